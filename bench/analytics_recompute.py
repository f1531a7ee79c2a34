"""Benchmark ``analytics.services.recompute`` on a fresh database.

    .venv/bin/python bench/analytics_recompute.py [--db sqlite|postgresql|both]
        [--customers 1000000] [--orders 10000000]

Creates a fresh database (SQLite file in a temporary directory, or PostgreSQL database
``vinculo_bench_analytics`` at ``BENCH_PG``), migrates it, generates accounts and orders with
bulk SQL (``INSERT … SELECT`` over ``generate_series`` / a recursive CTE), then times
``recompute`` and, as the reference in the same run, the bare aggregate summary query alone.
Prints wall time, the ratio to the reference, and peak memory (ru_maxrss). Drops what it made.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_SERVER = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
PG_NAME = "vinculo_bench_analytics"


def child(args: argparse.Namespace) -> None:
    sys.path.insert(0, str(ROOT / "src"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vinculo.settings")
    os.environ["DEBUG"] = "0"
    import django
    from django.conf import settings

    if "vinculo.analytics" not in settings.INSTALLED_APPS:  # until the app is registered
        settings.INSTALLED_APPS = [*settings.INSTALLED_APPS, "vinculo.analytics"]
    django.setup()
    import datetime as dt

    from django.core.management import call_command
    from django.db import connection, transaction

    from vinculo.analytics import services
    from vinculo.core.models import Organization
    from vinculo.core.tenancy import organization_scope
    from vinculo.customers.models import Account
    from vinculo.sales.models import Order

    call_command("migrate", verbosity=0)
    vendor = connection.vendor
    org = Organization.objects.create(name="Bench", country="ES")
    with organization_scope(org):
        template = Account.objects.create(organization=org, name="Template")
        Order.objects.create(organization=org, account=template, number="T-0",
                             ordered_on=dt.date(2024, 1, 1), promised_date=dt.date(2024, 1, 2))
    n, m = args.customers, args.orders
    t0 = time.perf_counter()
    _generate(connection, vendor, org.pk, template.pk, n, m)
    gen = time.perf_counter() - t0
    as_of = dt.date(2025, 12, 31)
    with connection.cursor() as c:
        c.execute("ANALYZE")
    t0 = time.perf_counter()
    with organization_scope(org):
        summary = services.customer_summary_sql(organization_id=org.pk, as_of=as_of)
    ref = time.perf_counter() - t0
    steps: dict[str, float] = {}
    last = [time.perf_counter(), "start"]

    def progress(pct: int, step: str) -> None:
        now = time.perf_counter()
        if step != last[1]:
            steps[last[1]] = steps.get(last[1], 0) + now - last[0]
            last[0], last[1] = now, step

    t0 = time.perf_counter()
    with organization_scope(org), transaction.atomic():
        result = services.recompute(organization=org, as_of=as_of, progress=progress)
    total = time.perf_counter() - t0
    steps[last[1]] = steps.get(last[1], 0) + time.perf_counter() - last[0]
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"== {vendor}: {n:,} customers, {m:,} orders (generated in {gen:.1f} s) ==")
    print(f"  reference: aggregate summary query alone  {ref:8.2f} s ({len(summary):,} rows)")
    print(f"  recompute (SQL + fit + score + upsert)    {total:8.2f} s  ratio {total / ref:.2f}x")
    print("  steps: " + ", ".join(f"{k} {v:.1f} s" for k, v in steps.items() if k != "start"))
    print(f"  snapshots written: {result['customers']:,}; peak RSS {peak:,.0f} MiB")
    bg = result["parameters"].get("bgnbd", {})
    print("  BG/NBD: " + ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}"
                                   for k, v in bg.items()))


def _generate(connection, vendor: str, org_id: int, account_id: int, n: int, m: int) -> None:
    """Copy the template account n times and the template order m times, in SQL."""
    from vinculo.customers.models import Account
    from vinculo.sales.models import Order

    def columns(model) -> list[str]:  # type: ignore[no-untyped-def]
        return [f.column for f in model._meta.concrete_fields if f.column != "id"]

    if vendor == "postgresql":
        series = "SELECT generate_series(1, %s) AS i"
        uuid = "gen_random_uuid()"
        rnd = "random()"
    else:
        series = ("WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < %s) "
                  "SELECT i FROM s")
        uuid = "lower(hex(randomblob(16)))"
        rnd = "((abs(random()) %% 1000000) / 1000000.0)"
    with connection.cursor() as c:
        c.execute("SELECT MAX(id) FROM customers_account")
        base = c.fetchone()[0]
        acc_cols = columns(Account)
        sel = [{"uuid": uuid, "name": "'Cuenta ' || g.i"}.get(col, f"t.{col}") for col in acc_cols]
        c.execute(f"INSERT INTO customers_account ({', '.join(acc_cols)}) "
                  f"SELECT {', '.join(sel)} FROM customers_account t, ({series}) g "
                  f"WHERE t.id = %s", [n, account_id])
        first = base + 1
        ord_cols = columns(Order)
        # Heterogeneous customers: account drawn with a skew (heavy buyers at low ids), each
        # account active from a start day for a lifetime derived from its id (drop-out).
        acc = f"({first} + CAST(floor({n} * {rnd} * {rnd}) AS BIGINT))"
        if vendor == "postgresql":
            day = ("DATE '2024-01-01' + CAST(((a.acc * 7919) %% 365) + "
                   "floor(random() * (30 + (a.acc * 104729) %% 300)) AS INTEGER)")
            amount = "CAST(round(CAST(5 + random() * 200 AS NUMERIC), 2) AS NUMERIC(14, 2))"
        else:
            day = ("date('2024-01-01', '+' || (((a.acc * 7919) %% 365) + "
                   "(abs(random()) %% (30 + (a.acc * 104729) %% 300))) || ' days')")
            amount = "round(5 + (abs(random()) %% 20000) / 100.0, 2)"
        sel = [{"uuid": uuid, "number": "'B-' || a.i", "account_id": "a.acc",
                "ordered_on": day, "promised_date": day, "net_amount": amount,
                "total_amount": amount, "status": "'delivered'"}.get(col, f"t.{col}")
               for col in ord_cols]
        chunk = 2_000_000
        for start in range(0, m, chunk):
            size = min(chunk, m - start)
            c.execute(f"INSERT INTO sales_order ({', '.join(ord_cols)}) "
                      f"SELECT {', '.join(sel)} FROM sales_order t, "
                      f"(SELECT g.i + {start} AS i, {acc} AS acc FROM ({series}) g) a "
                      f"WHERE t.number = 'T-0'", [size])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--orders", type=int, default=10_000_000)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    vendors = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    for vendor in vendors:
        data_dir = tempfile.mkdtemp(prefix="vinculo-bench-analytics-")
        env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
        env["VINCULO_DATA_DIR"] = data_dir
        if vendor == "postgresql":
            import psycopg

            with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
                conn.execute(f"DROP DATABASE IF EXISTS {PG_NAME}")
                conn.execute(f"CREATE DATABASE {PG_NAME}")
            env["DATABASE_URL"] = f"{PG_SERVER}/{PG_NAME}"
        try:
            subprocess.run([sys.executable, __file__, "--child", "--customers",
                            str(args.customers), "--orders", str(args.orders)],
                           env=env, check=True)
        finally:
            shutil.rmtree(data_dir, ignore_errors=True)
            if vendor == "postgresql":
                with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
                    conn.execute(f"DROP DATABASE IF EXISTS {PG_NAME}")


if __name__ == "__main__":
    main()
