"""A report over ten million order lines: revenue by month and product line, for one segment.

    .venv/bin/python bench/reports.py [--reuse URL | --customers 1000000 [--keep]]
        [--database postgresql|sqlite] [--lines 10000000] [--repeat 3]

On the 1M-contact demo database (``--reuse`` one loaded before, see ``bench/_big.py``; with
``--database sqlite`` and no ``--reuse`` a fresh SQLite demo is loaded). Setup, not timed and
done once per database, the same on both engines (``_extend``): orders of four lines are added
until the database holds ``--lines`` order lines — server-side, one ``INSERT … SELECT`` per
table, the tables' secondary indexes dropped and built again once at the end
(``core.demo.BulkWriter``) — for accounts drawn uniformly from all the demo's accounts, dated
over the last three years, on the demo catalogue's products that have a product line; then a
segment of accounts (the industry the most accounts share, through ``segments.services``:
created, refreshed) and ``VACUUM ANALYZE`` (``ANALYZE`` on SQLite).

Timed: the report as the reports app runs it — ``reports.definition.check`` of

    {"dataset": "order_lines",
     "filters": [{"field": "segment", "op": "in", "value": [<segment>]}],
     "group_by": [{"field": "order.ordered_on", "bucket": "month"}, {"field": "product__line"}],
     "aggregates": [{"fn": "sum", "field": "net_amount"}], "limit": 500}

then ``reports.query.run`` as the demo administrator (compile to one ORM query, run under the
statement timeout, name the product lines) — ``--repeat`` times, first and best. Reference,
same run, interleaved: the same SQL written by hand (the lines joined to their orders and
products, the segment's members as a semi-join, ``GROUP BY`` month and line), through a cursor.
Both results must hold the same groups and totals. Targets: ≤ 2 s on PostgreSQL, ≤ 6 s on
SQLite. The plan of both queries is printed (``EXPLAIN ANALYZE`` on PostgreSQL, ``EXPLAIN
QUERY PLAN`` on SQLite).
"""

from __future__ import annotations

import argparse
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
from _common import markdown, say, table

TARGETS = {"postgresql": 2.0, "sqlite": 6.0}
SEGMENT_NAME = "Bench: industry"


def _extend(lines_wanted: int) -> int:
    """Add orders of four lines until the database holds ``lines_wanted`` order lines; returns
    lines added.

    One function for both engines, so that the two targets are measured on the same data:
    server-side, one ``INSERT … SELECT`` per table (copies of a demo order and line, what varies
    overridden, ``_big.clone_rows``) with the secondary indexes dropped and built again once
    (``core.demo.BulkWriter``). Orders get an account drawn uniformly from the demo's accounts
    and a day over the last three years; lines, a product of the demo catalogue that has a
    product line. Accounts and products are picked by row number from a temporary table of
    their ids, SQLite having no arrays; the UUIDs come from ``core.sql.new_uuid``. What is left
    to each engine is below: the numbers 1…n (``generate_series``, or a recursive CTE on
    SQLite) and the day n days ago with its midnight."""
    from django.db import connection, transaction

    from vinculo.core import sql
    from vinculo.core.demo import BulkWriter
    from vinculo.core.models import Organization
    from vinculo.sales.models import Order, OrderLine

    have = OrderLine.all_objects.count()
    orders = (lines_wanted - have + 3) // 4
    if orders <= 0:
        return 0
    if connection.vendor == "postgresql":
        def numbers(n: int, name: str) -> str:
            return f"generate_series(1::bigint, {n}) {name}"

        def days_ago(n: str) -> str:
            return f"(CURRENT_DATE - ({n})::int)"

        def midnight(day: str) -> str:
            return f"{day}::timestamptz"
    else:
        def numbers(n: int, name: str) -> str:
            return (f"(WITH RECURSIVE s(v) AS (SELECT 1 UNION ALL SELECT v + 1 FROM s"
                    f" WHERE v < {n}) SELECT v AS {name} FROM s) {name}")

        def days_ago(n: str) -> str:
            return f"date('now', -({n}) || ' days')"

        def midnight(day: str) -> str:
            return f"({day} || ' 00:00:00')"

    org = Organization.objects.get(name="Vínculo Demo")
    template = Order.all_objects.filter(lines__isnull=False).order_by("id").first()
    line = OrderLine.all_objects.filter(order=template).order_by("id").first()
    say(f"adding {orders:,} orders of four lines to the {have:,} lines there (setup) …")
    started = time.perf_counter()
    writer = BulkWriter(defer_indexes=True)
    writer.prepare()
    with (transaction.atomic(), connection.cursor() as cursor,
          sql.temporary_table("bench_accounts", "rn integer PRIMARY KEY, id bigint"),
          sql.temporary_table("bench_products",
                              "rn integer PRIMARY KEY, id bigint, price decimal(14, 2)")):
        accounts = sql.execute("INSERT INTO bench_accounts SELECT row_number() OVER"
                               " (ORDER BY id), id FROM customers_account"
                               " WHERE organization_id = %s", [org.pk])
        products = sql.execute("INSERT INTO bench_products SELECT row_number() OVER"
                               " (ORDER BY id), id, list_price FROM catalog_product"
                               " WHERE organization_id = %s AND line_id IS NOT NULL", [org.pk])
        cursor.execute("SELECT COALESCE(MAX(id), 0) FROM sales_order")
        last = cursor.fetchone()[0]  # the new orders are those after it
        for model in (Order, OrderLine):
            writer.models.append(model)
            writer._drop_indexes(model._meta.db_table)
        day = days_ago("(g * 104729) %% 1095")
        clone_rows(cursor, "sales_order", template.pk,
                   f"{numbers(orders, 'g')} JOIN bench_accounts a"
                   f" ON a.rn = 1 + (g * 7919) %% {accounts}",
                   {"uuid": sql.new_uuid(), "number": f"'SO-G-' || ({last} + g)",
                    "account_id": "a.id", "contact_id": "NULL",
                    "quote_id": "NULL", "opportunity_id": "NULL", "ordered_on": day,
                    "promised_date": days_ago("(g * 104729) %% 1095 - 7"),
                    "delivered_on": days_ago("(g * 104729) %% 1095 - 7"),
                    "created_at": midnight(day), "updated_at": midnight(day),
                    "status": "'delivered'"})
        say(f"  orders {time.perf_counter() - started:.0f} s")
        quantity = "(1 + (o.id * k) %% 10)"
        net = f"{quantity} * p.price"
        tax = f"round({net} * t.tax_rate / 100.0, 2)"  # 100.0: SQLite divides integers as such
        clone_rows(cursor, "sales_orderline", line.pk,
                   f"(SELECT id, created_at FROM sales_order WHERE id > {last}) o"
                   f" CROSS JOIN {numbers(4, 'k')}"
                   f" JOIN bench_products p ON p.rn = 1 + (o.id + k) %% {products}",
                   {"uuid": sql.new_uuid(), "order_id": "o.id", "position": "k - 1",
                    "created_at": "o.created_at", "updated_at": "o.created_at",
                    "product_id": "p.id", "quantity": quantity, "unit_price": "p.price",
                    "discount_percent": "0", "net_amount": net, "tax_amount": tax,
                    "total_amount": f"{net} + {tax}", "delivered_quantity": quantity})
        say(f"  lines {time.perf_counter() - started:.0f} s; building the indexes again …")
        writer.finish()
    say(f"  {time.perf_counter() - started:.0f} s")
    return orders * 4


def _segment(admin: object) -> object:
    """An account segment (the industry most accounts share), created and refreshed once."""
    from django.db.models import Count

    from vinculo.customers.models import Account
    from vinculo.segments import services as segments
    from vinculo.segments.models import Segment, Subject

    segment = Segment.objects.filter(name=SEGMENT_NAME).first()
    if segment is not None:
        return segment
    industry = (Account.objects.exclude(industry="").values("industry")
                .annotate(n=Count("id")).order_by("-n").first()["industry"])
    segment = segments.segment_create(
        actor=admin, name=SEGMENT_NAME, subject=Subject.ACCOUNTS,
        rule={"match": "all", "conditions": [
            {"field": "account.industry", "op": "eq", "value": industry}]})
    say(f"segment «{industry}»: refreshing (setup) …")
    segments.segment_refresh(segment=segment)
    return segment


def _hand_sql(vendor: str) -> str:
    month = ("date_trunc('month', o.ordered_on)::date" if vendor == "postgresql"
             else "strftime('%%Y-%%m-01', o.ordered_on)")
    return (f"SELECT {month} AS month, p.line_id, SUM(l.net_amount)"
            " FROM sales_orderline l JOIN sales_order o ON o.id = l.order_id"
            " LEFT JOIN catalog_product p ON p.id = l.product_id"
            " WHERE l.organization_id = %s AND o.account_id IN (SELECT m.account_id FROM"
            " segments_segmentmember m WHERE m.segment_id = %s AND m.left_at IS NULL)"
            " GROUP BY 1, 2 ORDER BY 1, 2")


def run(args: argparse.Namespace) -> dict[str, object]:
    from django.db import connection

    from vinculo.catalog.models import ProductLine
    from vinculo.core.audit import acting_as
    from vinculo.core.models import Organization, User
    from vinculo.core.roles import Role
    from vinculo.core.tenancy import organization_scope
    from vinculo.reports import definition, query
    from vinculo.sales.models import OrderLine
    from vinculo.segments.models import SegmentMember

    org = Organization.objects.get(name="Vínculo Demo")
    admin = User.objects.filter(organization=org, role=Role.ADMIN).order_by("pk").first()
    added = _extend(args.lines)
    with organization_scope(org), acting_as(admin):
        segment = _segment(admin)
        members = SegmentMember.objects.filter(segment=segment, left_at__isnull=True).count()
        if added:
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql"
                               else "ANALYZE")
        lines = OrderLine.all_objects.count()
        report = {"dataset": "order_lines",
                  "filters": [{"field": "segment", "op": "in", "value": [str(segment.uuid)]}],
                  "group_by": [{"field": "order.ordered_on", "bucket": "month"},
                               {"field": "product__line"}],
                  "aggregates": [{"fn": "sum", "field": "net_amount"}], "limit": 500}
        hand = _hand_sql(connection.vendor)
        params = [org.pk, segment.pk]
        names = {line.pk: str(line) for line in ProductLine.all_objects.all()}
        report_times, sql_times, result, rows = [], [], None, []
        say(f"measuring (load {load()}) …")
        for _ in range(args.repeat):
            started = time.perf_counter()
            checked = definition.check(report, admin)
            result = query.run(checked, admin, timeout_ms=600_000)
            report_times.append(time.perf_counter() - started)
            with connection.cursor() as cursor:
                started = time.perf_counter()
                cursor.execute(hand, params)
                rows = cursor.fetchall()
                sql_times.append(time.perf_counter() - started)
        compiled = str(query.compile_query(definition.check(report, admin), admin).query)
        plans = {}
        with connection.cursor() as cursor:
            sql, sql_params = query.compile_query(definition.check(report, admin),
                                                  admin).query.sql_with_params()
            for label, text, values in (("report", sql, sql_params), ("by hand", hand, params)):
                explain = ("EXPLAIN (ANALYZE, BUFFERS) " if connection.vendor == "postgresql"
                           else "EXPLAIN QUERY PLAN ")
                cursor.execute(explain + text, values)
                plans[label] = [" ".join(str(c) for c in row) for row in cursor.fetchall()]
    assert result is not None
    ours = {(str(r[0])[:7], r[1]): Decimal(str(r[2])).quantize(Decimal("0.01"))
            for r in result.rows}
    theirs = {(str(r[0])[:7], names.get(r[1])): Decimal(str(r[2])).quantize(Decimal("0.01"))
              for r in rows}
    return {"vendor": connection.vendor, "lines": lines, "members": members,
            "groups": len(ours), "same": ours == theirs, "report": report_times,
            "sql": sql_times, "compiled": compiled, "plans": plans, "load": load(),
            "truncated": result.truncated}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_arguments(parser)
    parser.add_argument("--database", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument("--lines", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    db = open_database(args, args.database)
    try:
        django_setup()
        r = run(args)
    finally:
        close_database(db, args)
    target = TARGETS[r["vendor"]]  # type: ignore[index]
    best, first = min(r["report"]), r["report"][0]  # type: ignore[type-var, index]
    sql_best = min(r["sql"])  # type: ignore[type-var]
    headers = ("database", "order lines", "segment accounts", "groups", "report (first)",
               "report (best)", "hand-written SQL (best)", "ratio", "same totals",
               "load (1/5/15 min)", f"≤ {target:g} s")
    row = (r["vendor"], f"{r['lines']:,}", f"{r['members']:,}", r["groups"],
           f"{first:.2f} s", f"{best:.2f} s", f"{sql_best:.2f} s",
           f"{best / sql_best:.2f}×", "yes" if r["same"] else "NO", r["load"],
           "PASS" if best <= target and r["same"] and not r["truncated"] else "FAIL")
    print(table(headers, [row]))
    print("\nall runs (s): report", ", ".join(f"{t:.2f}" for t in r["report"]),  # type: ignore[union-attr]
          "; by hand", ", ".join(f"{t:.2f}" for t in r["sql"]))  # type: ignore[union-attr]
    print(f"\ncompiled SQL: {r['compiled']}")
    for label, plan in r["plans"].items():  # type: ignore[union-attr]
        print(f"\n-- plan, {label}:")
        print("\n".join("   " + line for line in plan[:40]))
    print("\nMarkdown for the README:")
    print(markdown(headers, [row]))
    return 0 if row[-1] == "PASS" else 1


if __name__ == "__main__":
    raise SystemExit(main())
