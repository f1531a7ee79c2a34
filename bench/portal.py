"""The customer portal's home, orders and invoices pages for an account with 5,000 orders.

    .venv/bin/python bench/portal.py [--reuse URL | --customers 1000000 [--keep]]
        [--orders 5000] [--requests 50] [--warmup 5]

On the 1M-contact demo database (PostgreSQL; ``--reuse`` one kept by ``bench/demo.py --keep``
or by another of these benchmarks, else a fresh ``vinculo_bench_big`` is loaded, see
``bench/_big.py``). Setup, not timed and done once per database: the demo's portal user (a
buyer of the account with the most invoices) gets ``--orders`` orders — copies of a demo order
and its line, one ``INSERT … SELECT`` each (``_big.clone_rows``: there is no bulk service for
orders, and ``order_create`` one by one took minutes on the loaded machine), dated over the last
five years, delivered but for the last three weeks' — and as many two-line invoices through
``billing.services.invoice_issue_many`` (the bulk path: a block of numbers, bulk rows, one
issuing UPDATE, a batch a month); invoices older than two months are paid with a payment each
(bulk rows), so the account looks like a long-standing customer: a few open orders, a few open
and overdue invoices, thousands of closed ones.

Timed, in-process with Django's test ``Client`` (the whole middleware stack and templates, no
network, ``DEBUG=0``), signed in as that portal user (the portal's own session keys, as
``force_login`` does for staff): ``GET /portal/``, ``/portal/orders/`` and ``/portal/invoices/``,
``--warmup`` requests then ``--requests`` timed ones each (p50, p95). Reference, same run: every
SELECT one request sent, replayed bare through a cursor the same number of times (the ratio is
page p95 / SQL p95). Target: p95 ≤ 100 ms on PostgreSQL. Printed too: the load average, the
number of queries of one request and its slowest ones, and the plan of the slowest.

Webhook delivery throughput (the issue's other figure) is ``bench/webhooks.py``'s.
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _big import (
    add_arguments,
    clone_rows,
    close_database,
    django_setup,
    load,
    open_database,
)
from _common import markdown, percentile, say, table

TARGET_MS = 100.0
PAGES = (("home", "/portal/"), ("orders", "/portal/orders/"), ("invoices", "/portal/invoices/"))


def setup(orders: int) -> tuple[object, dict[str, int]]:
    """The demo's portal user, with ``orders`` orders and invoices added to its account."""
    from django.db import connection, transaction
    from django.utils import timezone

    from vinculo.billing import services as billing
    from vinculo.billing.models import Invoice, InvoiceStatus, Payment
    from vinculo.catalog.models import Product
    from vinculo.core.audit import acting_as
    from vinculo.core.models import Organization, User
    from vinculo.core.roles import Role
    from vinculo.core.tenancy import organization_scope
    from vinculo.portal.models import PortalRole, PortalUser
    from vinculo.sales.models import Order

    org = Organization.objects.get(name="Vínculo Demo")
    portal_user = (PortalUser.all_objects.filter(organization=org, role=PortalRole.BUYER,
                                                 is_active=True)
                   .select_related("account").order_by("id").first())
    if portal_user is None:
        raise SystemExit("the demo has no portal user")
    account = portal_user.account
    admin = User.objects.filter(organization=org, role=Role.ADMIN).order_by("pk").first()
    have = Order.all_objects.filter(account=account).count()
    today = timezone.localdate()
    with organization_scope(org), acting_as(admin):
        products = list(Product.objects.filter(active=True).order_by("id")[:30])
        missing = orders - have
        if missing > 0:
            say(f"adding {missing:,} orders to {account.name} (bulk, setup) …")
            template = Order.all_objects.filter(lines__isnull=False).order_by("id").first()
            line = template.lines.order_by("id").first()
            started = time.perf_counter()
            with transaction.atomic(), connection.cursor() as cursor:
                day = f"(%s::date - (g * {5 * 365} / {missing})::int)"
                recent = f"{day} >= %s::date - 21"
                columns = {"uuid": "gen_random_uuid()", "number": "'SO-P-' || g",
                            "account_id": str(account.pk), "contact_id": "NULL",
                            "quote_id": "NULL", "opportunity_id": "NULL",
                            "ordered_on": day, "promised_date": f"{day} + 7",
                            "created_at": f"{day}::timestamptz",
                            "updated_at": f"{day}::timestamptz",
                            "status": f"CASE WHEN {recent} THEN 'open' ELSE 'delivered' END",
                           "delivered_on": f"CASE WHEN {recent} THEN NULL ELSE {day} + 7 END"}
                clone_rows(cursor, "sales_order", template.pk, f"generate_series(1, {missing}) g",
                           columns, (today,) * sum(v.count("%s") for v in columns.values()))
                clone_rows(cursor, "sales_orderline", line.pk,
                           "(SELECT id, status, created_at FROM sales_order"
                           " WHERE starts_with(number, 'SO-P-')) o",
                           {"uuid": "gen_random_uuid()", "order_id": "o.id",
                            "created_at": "o.created_at", "updated_at": "o.created_at",
                            "delivered_quantity": "CASE WHEN o.status = 'delivered' THEN"
                                                  " t.quantity ELSE 0 END"})
            say(f"  {time.perf_counter() - started:.0f} s")
        have_invoices = Invoice.all_objects.filter(account=account).exclude(
            status=InvoiceStatus.DRAFT).count()
        missing = orders - have_invoices
        if missing > 0:
            say(f"issuing {missing:,} invoices (invoice_issue_many, setup) …")
            started = time.perf_counter()
            per_batch = max(1, missing // 60)  # a batch a month over five years
            for start in range(0, missing, per_batch):
                size = min(per_batch, missing - start)
                issued = today - dt.timedelta(days=(missing - start) * 5 * 365 // missing)
                billing.invoice_issue_many(actor=admin, issue_date=issued, invoices=[
                    {"account": account, "lines": [
                        {"product": products[(start + i) % len(products)],
                         "quantity": Decimal(1 + i % 5)},
                        {"description": "Transporte", "quantity": Decimal(1),
                         "unit_price": Decimal("35.00"), "tax_rate": Decimal("21")}]}
                    for i in range(size)])
            say(f"  {time.perf_counter() - started:.0f} s")
            old = Invoice.all_objects.filter(account=account, status=InvoiceStatus.ISSUED,
                                             kind="invoice",
                                             issue_date__lt=today - dt.timedelta(days=60))
            Payment.all_objects.bulk_create([
                Payment(organization=org, invoice_id=pk, amount=total, paid_on=due,
                        recorded_by=admin)
                for pk, total, due in old.values_list("id", "total_amount", "due_date")],
                batch_size=1000)
            old.update(status=InvoiceStatus.PAID, paid_on=today)
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE sales_order" if connection.vendor == "postgresql"
                           else "ANALYZE")
            if connection.vendor == "postgresql":
                for name in ("sales_orderline", "billing_invoice", "billing_payment"):
                    cursor.execute(f"VACUUM ANALYZE {name}")
    counts = {
        "orders": Order.all_objects.filter(account=account).count(),
        "open orders": Order.all_objects.filter(account=account).exclude(
            status="delivered").count(),
        "invoices": Invoice.all_objects.filter(account=account).exclude(
            status=InvoiceStatus.DRAFT).count(),
        "unpaid invoices": Invoice.all_objects.filter(account=account,
                                                      status=InvoiceStatus.ISSUED).count(),
    }
    return portal_user, counts


def measure(portal_user: object, requests: int, warmup: int) -> list[dict]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from vinculo.portal import auth

    client = Client()
    session = client.session
    session[auth.SESSION_KEY] = portal_user.pk  # type: ignore[attr-defined]
    session[auth.HASH_KEY] = auth.session_hash(portal_user)  # type: ignore[arg-type]
    session.save()
    total = warmup + requests
    results = []
    for name, url in PAGES:
        times = []
        for i in range(total):
            started = time.perf_counter()
            response = client.get(url)
            elapsed = time.perf_counter() - started
            if response.status_code != 200:
                raise SystemExit(f"{url} answered {response.status_code}")
            if i >= warmup:
                times.append(elapsed * 1000)
        with CaptureQueriesContext(connection) as captured:
            client.get(url)
        replay = [q["sql"] for q in captured.captured_queries
                  if q["sql"].lstrip().upper().startswith("SELECT")]
        sql_times = []
        for i in range(total):
            with connection.cursor() as cursor:
                started = time.perf_counter()
                for query in replay:
                    cursor.execute(query)
                    cursor.fetchall()
                elapsed = time.perf_counter() - started
            if i >= warmup:
                sql_times.append(elapsed * 1000)
        slowest = sorted(captured.captured_queries, key=lambda q: -float(q["time"]))[:3]
        plan = []
        if connection.vendor == "postgresql" and slowest:
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + slowest[0]["sql"])
                plan = [row[0] for row in cursor.fetchall()]
        results.append({
            "page": name, "url": url, "p50": percentile(times, 50), "p95": percentile(times, 95),
            "sql_p95": percentile(sql_times, 95), "queries": len(captured), "load": load(),
            "bytes": len(response.content),
            "slowest": [(round(float(q["time"]) * 1000, 1),
                         re.sub(r"^SELECT .*? FROM", "SELECT … FROM", q["sql"], count=1)[:300])
                        for q in slowest], "plan": plan})
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_arguments(parser)
    parser.add_argument("--orders", type=int, default=5000)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--warmup", type=int, default=5)
    args = parser.parse_args()
    db = open_database(args)
    try:
        django_setup()
        from django.db import connection

        portal_user, counts = setup(args.orders)
        say(f"measuring (load {load()}) …")
        results = measure(portal_user, args.requests, args.warmup)
        vendor = connection.vendor
    finally:
        close_database(db, args)

    print(f"\n{vendor}: account «{portal_user.account.name}» — "  # type: ignore[attr-defined]
          + ", ".join(f"{v:,} {k}" for k, v in counts.items()))
    headers = ("database", "page", "p50 ms", "p95 ms", "bare SQL p95 ms", "ratio", "queries",
               "load (1/5/15 min)", f"p95 ≤ {TARGET_MS:.0f} ms")
    rows = [(vendor, f"{r['page']} ({r['url']})", f"{r['p50']:.1f}", f"{r['p95']:.1f}",
             f"{r['sql_p95']:.2f}", f"{r['p95'] / max(r['sql_p95'], 1e-6):.1f}×", r["queries"],
             r["load"], "PASS" if r["p95"] <= TARGET_MS else "FAIL") for r in results]
    print(table(headers, rows))
    for r in results:
        print(f"\n-- {r['page']}: {r['queries']} queries, {r['bytes']:,} bytes; slowest:")
        for ms, sql in r["slowest"]:
            print(f"   {ms:8.1f} ms  {sql}")
        if r["plan"]:
            print("   plan of the slowest:")
            print("\n".join("     " + line for line in r["plan"][:20]))
    print("\nMarkdown for the README:")
    print(markdown(headers, rows))
    return 0 if all(row[-1] == "PASS" for row in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
