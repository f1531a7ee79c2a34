"""Earning loyalty points for paid invoices on PostgreSQL: invoices/s and a ratio to bare SQL.

    .venv/bin/python bench/loyalty.py [--invoices 100000] [--batch 5000] [--keep]

A fresh database ``vinculo_bench_loyalty`` (created and dropped here; ``$BENCH_PG``, default
``postgres://postgres@127.0.0.1:5432``), ``vinculo migrate``, one organisation, an
administrator, 100 accounts enrolled in a programme (1 point per unit, 3 per unit on one
product line, a tier multiplier), and N invoices of two lines each issued by
``billing.services.invoice_issue_many`` and then marked paid in bulk (setup, not timed).
Timed: ``loyalty.services.invoices_earn`` over every invoice, in batches of ``--batch`` (one
transaction each) — the same set-based function the ``invoice.paid`` subscriber calls: one
grouped query over the lines, one over the members, one over what was already earned, one
bulk insert, and the tiers of the members touched. Target: ≥ 1,000 invoices/s.

Reference, same run: the bare SQL of the same computation — one ``INSERT … SELECT`` grouping
the lines by member and invoice with the same rates — into a bare table. The ratio is service
time / reference time. The points of both are compared, row by row in total.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (
    PG_SERVER,
    VINCULO,
    base_env,
    markdown,
    pg_admin_connect,
    pg_drop,
    say,
    table,
)

NAME = "vinculo_bench_loyalty"
TARGET = 1000.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=5000)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()

    pg_drop(NAME)
    with pg_admin_connect() as conn:
        conn.execute(f'CREATE DATABASE "{NAME}"')
    url = f"{PG_SERVER}/{NAME}"
    env = base_env() | {"DATABASE_URL": url}
    try:
        say("migrating …")
        subprocess.run([VINCULO, "migrate", "--noinput"], env=env, check=True,
                       capture_output=True)
        os.environ.update(env)
        return run(args)
    finally:
        if not args.keep:
            pg_drop(NAME)
        else:
            say(f"kept {url}")


def run(args: argparse.Namespace) -> int:
    import datetime as dt

    import django

    django.setup()
    from django.db import connection, transaction
    from django.db.models import Sum

    from vinculo.billing import services as billing
    from vinculo.billing.models import Invoice, InvoiceStatus
    from vinculo.catalog import services as catalog
    from vinculo.core.audit import acting_as
    from vinculo.core.models import Organization
    from vinculo.core.services import user_create
    from vinculo.core.tenancy import organization_scope
    from vinculo.customers import services as customers
    from vinculo.loyalty import services
    from vinculo.loyalty.models import LedgerEntry, Member

    org = Organization.objects.create(name="Bench SA")
    admin = user_create(organization=org, email="bench@bench.test", password="x" * 12,
                        role="admin")
    with organization_scope(org), acting_as(admin):
        category = catalog.category_create(actor=admin, data={"code": "01", "name": "Aceites"})
        line = catalog.product_line_create(actor=admin, category=category,
                                           data={"code": "01", "name": "Oliva"})
        product = catalog.product_create(actor=admin, data={
            "line": line, "code": "0001", "name": "Aceite de oliva 5 l",
            "list_price": Decimal("42.50"), "currency": "EUR", "tax_rate": Decimal("10")})
        program = services.program_create(actor=admin, data={
            "name": "Club", "points_per_unit": "1", "expiry_months": 24,
            "earn_rules": [{"kind": "product_line", "line": str(line.uuid),
                            "points_per_unit": "3"}],
            "tiers": [{"name": "Oro", "threshold": 10**9, "multiplier": "1.5"}]})
        accounts = [customers.account_create(actor=admin, data={"name": f"Cliente {i} SL"})
                    for i in range(100)]
        long_ago = dt.date.today() - dt.timedelta(days=3650)
        Member.objects.bulk_create([
            Member(organization=org, program=program, account=account, joined_on=long_ago)
            for account in accounts])
        lines = [{"product": product, "quantity": Decimal("12"),
                  "discount_percent": Decimal("7.5")},
                 {"description": "Transporte", "quantity": Decimal("1"),
                  "unit_price": Decimal("35.00"), "tax_rate": Decimal("21")}]
        say(f"issuing {args.invoices:,} invoices (setup) …")
        done = 0
        while done < args.invoices:
            size = min(1000, args.invoices - done)
            billing.invoice_issue_many(actor=admin, invoices=[
                {"account": accounts[(done + i) % len(accounts)], "lines": lines}
                for i in range(size)])
            done += size
        Invoice.all_objects.filter(organization=org).update(status=InvoiceStatus.PAID,
                                                             paid_on=dt.date.today())
        ids = list(Invoice.all_objects.filter(organization=org).order_by("id")
                   .values_list("id", flat=True))

        say(f"earning points for {len(ids):,} invoices in batches of {args.batch} …")
        started = time.perf_counter()
        written = 0
        for start in range(0, len(ids), args.batch):
            with transaction.atomic():
                written += services.invoices_earn(organization_id=org.pk,
                                                  invoice_ids=ids[start:start + args.batch])
        service_seconds = time.perf_counter() - started
        service_points = LedgerEntry.all_objects.aggregate(s=Sum("points"))["s"]

    # Reference: the bare SQL of the same computation, into a bare table.
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE ref_points (member_id bigint, invoice_id bigint, "
                       "points integer, occurred_on date)")
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("""
            INSERT INTO ref_points
            SELECT m.id, i.id,
                   floor(sum(l.net_amount * CASE WHEN p.line_id = %s THEN 3 ELSE 1 END)),
                   i.paid_on
            FROM billing_invoiceline l
            JOIN billing_invoice i ON i.id = l.invoice_id
            JOIN loyalty_member m ON m.account_id = i.account_id
            LEFT JOIN catalog_product p ON p.id = l.product_id
            WHERE i.organization_id = %s AND i.kind = 'invoice' AND i.status = 'paid'
            GROUP BY m.id, i.id, i.paid_on""", [line.pk, org.pk])
    reference_seconds = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("SELECT sum(points) FROM ref_points")
        reference_points = cursor.fetchone()[0]

    rate = len(ids) / service_seconds
    ratio = service_seconds / reference_seconds
    same = int(service_points) == int(reference_points)
    verdict = "PASS" if rate >= TARGET and same and written == len(ids) else "FAIL"
    headers = ("invoices", "ledger rows", "service s", "invoices/s", "reference s", "ratio",
               "points (service = SQL)", "target ≥ 1,000/s")
    row = (f"{len(ids):,}", f"{written:,}", f"{service_seconds:.2f}", f"{rate:,.0f}",
           f"{reference_seconds:.2f}", f"{ratio:.1f}×",
           f"{int(service_points):,}" + (" =" if same else f" ≠ {int(reference_points):,}"),
           verdict)
    print(table(headers, [row]))
    print()
    print(markdown(headers, [row]))
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    raise SystemExit(main())
