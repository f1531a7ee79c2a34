"""Issuing invoices on PostgreSQL through the real service: invoices/s and a ratio to bare INSERTs.

    .venv/bin/python bench/invoices.py [--invoices 100000] [--batch 1000] [--keep]

A fresh database ``vinculo_bench_inv`` (created and dropped here; ``$BENCH_PG``, default
``postgres://postgres@127.0.0.1:5432``), ``vinculo migrate``, one organisation, an administrator
and 100 accounts. Then N invoices of two lines each (a 21 % and a 10 % line with a discount) are
created and issued by ``billing.services.invoice_issue_many`` in batches (one transaction per
batch): priced lines and stored totals by ``core.money``, a number from the gap-free series
(``sequence_next``, one locked update per invoice), the immutability triggers, and an audit row
per change by the usual signals. Target: ≥ 300 invoices/s.

Reference, same run: the very rows produced (invoices and lines) inserted again by
``executemany`` into bare copies of the two tables (no index, no trigger, no constraint) in one
transaction. The ratio is service time / reference time.
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

NAME = "vinculo_bench_inv"
TARGET = 300.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=1000)
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
    import django

    django.setup()
    from django.db import connection, transaction

    from vinculo.billing import services
    from vinculo.billing.models import Invoice, InvoiceLine
    from vinculo.core.audit import acting_as
    from vinculo.core.models import AuditEntry, Organization
    from vinculo.core.services import user_create
    from vinculo.core.tenancy import organization_scope
    from vinculo.customers import services as customers

    org = Organization.objects.create(name="Bench SA")
    admin = user_create(organization=org, email="bench@bench.test", password="x" * 12,
                        role="admin")
    with organization_scope(org), acting_as(admin):
        accounts = [customers.account_create(actor=admin, data={"name": f"Cliente {i} SL"})
                    for i in range(100)]
        lines = [
            {"description": "Aceite de oliva 5 l", "quantity": Decimal("12"),
             "unit_price": Decimal("42.50"), "discount_percent": Decimal("7.5"),
             "tax_rate": Decimal("10")},
            {"description": "Transporte", "quantity": Decimal("1"),
             "unit_price": Decimal("35.00"), "tax_rate": Decimal("21")},
        ]
        say(f"issuing {args.invoices:,} invoices in batches of {args.batch} …")
        started = time.perf_counter()
        done = 0
        while done < args.invoices:
            size = min(args.batch, args.invoices - done)
            services.invoice_issue_many(actor=admin, invoices=[
                {"account": accounts[(done + i) % len(accounts)], "lines": lines}
                for i in range(size)])
            done += size
        service_seconds = time.perf_counter() - started

    issued = Invoice.all_objects.filter(organization=org).exclude(number="").count()
    numbers = Invoice.all_objects.filter(organization=org).order_by("number").values_list(
        "number", flat=True)
    first, last = numbers.first(), numbers.last()
    audit_rows = AuditEntry.all_objects.filter(object_type="billing.invoice").count()
    expected_last = f"{first.rsplit('-', 1)[0]}-{args.invoices:06d}"
    gap_free = issued == args.invoices and last == expected_last

    # Reference: the same rows, bare INSERTs into copies of the tables without indexes.
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE ref_invoice AS SELECT * FROM billing_invoice WITH NO DATA")
        cursor.execute("CREATE TABLE ref_invoiceline AS SELECT * FROM billing_invoiceline "
                       "WITH NO DATA")
        cursor.execute("SELECT * FROM billing_invoice")
        invoice_rows = cursor.fetchall()
        invoice_cols = len(cursor.description)
        cursor.execute("SELECT * FROM billing_invoiceline")
        line_rows = cursor.fetchall()
        line_cols = len(cursor.description)
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        for table_name, rows, width in (("ref_invoice", invoice_rows, invoice_cols),
                                        ("ref_invoiceline", line_rows, line_cols)):
            marks = ", ".join(["%s"] * width)
            for start in range(0, len(rows), args.batch):
                cursor.executemany(f"INSERT INTO {table_name} VALUES ({marks})",
                                   rows[start:start + args.batch])
    reference_seconds = time.perf_counter() - started

    rate = args.invoices / service_seconds
    ratio = service_seconds / reference_seconds
    verdict = "PASS" if rate >= TARGET and gap_free else "FAIL"
    headers = ("invoices", "lines", "service s", "invoices/s", "reference s", "ratio",
               "numbers", "audit rows", "target ≥ 300/s")
    row = (f"{args.invoices:,}", f"{InvoiceLine.all_objects.count():,}",
           f"{service_seconds:.1f}", f"{rate:,.0f}", f"{reference_seconds:.1f}", f"{ratio:.1f}×",
           f"{first} … {last}" + ("" if gap_free else " (GAP!)"), f"{audit_rows:,}", verdict)
    print(table(headers, [row]))
    print()
    print(markdown(headers, [row]))
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    raise SystemExit(main())
