"""Benchmark ``analytics.services.recompute`` on a fresh database.

    .venv/bin/python bench/analytics_recompute.py [--db sqlite|postgresql|both]
        [--customers 1000000] [--orders 10000000] [--seed 0]

Creates a fresh database (SQLite file in a temporary directory, or PostgreSQL database
``vinculo_bench_analytics`` at ``BENCH_PG``) and, in a first process, fills it: N accounts and
about M orders drawn from the BG/NBD purchase process with Gamma-Gamma spend
(``analytics.stats.simulate``), customers acquired over the first of two years, the rate scale
chosen so the expected number of orders is M. The orders are simulated with NumPy, loaded into a
staging table (binary COPY / executemany) and copied into ``sales_order`` by one
``INSERT … SELECT``, with the secondary indexes built once at the end (``core.demo.BulkWriter``).

A second process times ``recompute`` for the last day and, as the reference in the same run,
the bare aggregate summary query alone; it prints the wall time of each step, the ratio to the
reference, the fitted parameters against the true ones, and the peak memory of that process
(ru_maxrss). Targets (issue 5): 1,000,000 customers and 10,000,000 orders in ≤ 120 s on
PostgreSQL and ≤ 180 s on SQLite, peak memory ≤ 2 GB. Drops what it made.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, existing_database, pg_database, sqlite_database

PG_NAME = "vinculo_bench_analytics"
AS_OF = dt.date(2025, 12, 31)
DAYS = 730  # two years of orders up to AS_OF; customers acquired during the first
# The purchase process (weeks): heterogeneous rates (r = 2) and drop-out (a, b); alpha is
# solved so that the expected number of orders per customer is M / N. Spend: mean 240 €.
TRUE_BG = {"r": 2.0, "a": 1.5, "b": 20.0}
TRUE_GG = {"p": 6.0, "q": 4.0, "gamma": 120.0}
ORDER_COST = 3.5  # € per order (activity-based cost to serve)
TARGETS = {"postgresql": 120.0, "sqlite": 180.0}
PEAK_TARGET_MIB = 2048


def django_setup() -> None:
    sys.path.insert(0, str(ROOT / "src"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vinculo.settings")
    os.environ["DEBUG"] = "0"
    import django

    django.setup()


def alpha_for_args(args: argparse.Namespace) -> float:
    sys.path.insert(0, str(ROOT / "src"))
    return alpha_for(args.orders / args.customers)


def alpha_for(mean_orders: float) -> float:
    """alpha giving E[1 + X(T)] = ``mean_orders`` over the acquisition spread (bisection)."""
    from vinculo.analytics.stats.bgnbd import BGNBD

    T = (DAYS - np.linspace(0, DAYS // 2, 366)) / 7.0
    lo, hi = 1e-3, 1e4
    for _ in range(100):
        mid = np.sqrt(lo * hi)
        model = BGNBD(TRUE_BG["r"], mid, TRUE_BG["a"], TRUE_BG["b"])
        if 1 + float(np.mean(model.expected_purchases(T))) > mean_orders:
            lo = mid
        else:
            hi = mid
    return float(np.sqrt(lo * hi))


# ---------------------------------------------------------------------------------- generate


def generate(n: int, m: int, seed: int) -> None:
    django_setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    from vinculo.analytics.models import CostRate
    from vinculo.analytics.stats.simulate import simulate_bgnbd_transactions
    from vinculo.core.demo import BulkWriter
    from vinculo.core.models import Organization
    from vinculo.core.tenancy import organization_scope
    from vinculo.customers.models import Account
    from vinculo.sales.models import Order, OrderStatus

    call_command("migrate", verbosity=0)
    vendor = connection.vendor
    t0 = time.perf_counter()
    alpha = alpha_for(m / n)
    start = AS_OF - dt.timedelta(days=DAYS)  # the simulated log ends on AS_OF
    log = simulate_bgnbd_transactions(
        n, TRUE_BG["r"], alpha, TRUE_BG["a"], TRUE_BG["b"], **TRUE_GG,
        start=start.isoformat(), acquisition_days=DAYS // 2, observation_days=DAYS,
        rng=np.random.default_rng(seed),
    )
    # In date order, as a real order table fills (the simulator lists them by customer).
    keep = np.flatnonzero(log.date <= np.datetime64(AS_OF))
    keep = keep[np.argsort(log.date[keep], kind="stable")]
    customer, amount = log.customer[keep], np.round(log.amount[keep], 2)
    day = (log.date[keep] - np.datetime64("1970-01-01", "D")).astype(np.int64)
    del log, keep
    sim = time.perf_counter() - t0
    print(f"  simulated {customer.size:,} orders of {n:,} customers in {sim:.1f} s "
          f"(alpha = {alpha:.4f})", flush=True)

    org = Organization.objects.create(name="Bench", country="ES")
    with organization_scope(org):
        template = Account.objects.create(organization=org, name="Template")
        template_order = Order.objects.create(
            organization=org, account=template, number="T-0", ordered_on=start,
            promised_date=start, status=OrderStatus.CANCELLED)  # not a purchase
        # A cost per order, so that every snapshot carries a cost to serve and its breakdown.
        CostRate.objects.create(organization=org, driver="order", rate=ORDER_COST)
    writer = BulkWriter(defer_indexes=True)
    writer.prepare()
    t0 = time.perf_counter()
    # The generated rows reference existing accounts by construction: no per-row foreign-key
    # checks while loading (SQLite: PRAGMA foreign_keys = OFF; PostgreSQL: the replica role,
    # as pg_restore does, when the user may set it).
    with connection.constraint_checks_disabled(), transaction.atomic():
        if vendor == "postgresql":
            try:
                with transaction.atomic(), connection.cursor() as c:
                    c.execute("SET LOCAL session_replication_role = replica")
            except Exception as exc:  # not a superuser: load with the checks
                print(f"  (foreign keys checked while loading: {exc})")
        # No rows through the writer: it only drops the secondary indexes here and builds
        # them once in finish(); the rows come from SQL.
        writer.insert(Account, _not_null(Account), [])
        writer.insert(Order, _not_null(Order), [])
        first = _copy_accounts(connection, vendor, template.pk, n)
        t_acc = time.perf_counter() - t0
        _load_orders(connection, vendor, template_order.pk, first + customer, day, amount)
        loaded = time.perf_counter() - t0
        print(f"  accounts {t_acc:.1f} s, orders {loaded - t_acc:.1f} s", flush=True)
        if vendor == "sqlite":
            with connection.cursor() as c:
                c.execute("PRAGMA threads = 2")  # index builds sort with a helper thread
        writer.finish()
    with connection.cursor() as c:
        c.execute("ANALYZE")
    print(f"  indexes and statistics {time.perf_counter() - t0 - loaded:.1f} s", flush=True)


def _not_null(model) -> list[str]:  # type: ignore[no-untyped-def]
    return [f.attname for f in model._meta.concrete_fields if not f.null and not f.primary_key]


def _columns(model) -> list[str]:  # type: ignore[no-untyped-def]
    return [f.column for f in model._meta.concrete_fields if f.column != "id"]


def _copy_accounts(connection, vendor: str, template_id: int, n: int) -> int:  # type: ignore[no-untyped-def]
    """n copies of the template account; returns the first id (the ids are consecutive)."""
    from vinculo.customers.models import Account

    if vendor == "postgresql":
        series, uuid = "SELECT generate_series(1, %s) AS i", "gen_random_uuid()"
    else:
        series = ("WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < %s) "
                  "SELECT i FROM s")
        uuid = "lower(hex(randomblob(16)))"
    cols = _columns(Account)
    sel = [{"uuid": uuid, "name": "'Cuenta ' || g.i"}.get(col, f"t.{col}") for col in cols]
    with connection.cursor() as c:
        c.execute("SELECT MAX(id) FROM customers_account")
        base = c.fetchone()[0]
        c.execute(f"INSERT INTO customers_account ({', '.join(cols)}) "
                  f"SELECT {', '.join(sel)} FROM customers_account t, ({series}) g "
                  f"WHERE t.id = %s ORDER BY g.i", [n, template_id])
        c.execute("SELECT MIN(id), MAX(id), COUNT(*) FROM customers_account WHERE id > %s", [base])
        lo, hi, count = c.fetchone()
    if (hi - lo + 1, count) != (n, n):
        raise RuntimeError("account ids are not consecutive; cannot map customers to accounts")
    return lo


def _load_orders(connection, vendor: str, template_id: int, account: np.ndarray,  # type: ignore[no-untyped-def]
                 day: np.ndarray, amount: np.ndarray) -> None:
    """One sales_order row per simulated purchase, other columns from the template order.

    PostgreSQL: (i, account, day, amount, uuid) by binary COPY into a staging table, then
    one INSERT … SELECT. SQLite: executemany of an INSERT … SELECT per row (no staging
    copy); its UNIQUE indexes stay during the load, so UUIDs and numbers grow with the row
    number and every insertion appends.
    """
    from vinculo.analytics.bulk import binary_copy
    from vinculo.sales.models import Order

    cols = _columns(Order)
    template = f"SELECT * FROM sales_order WHERE id = {int(template_id)}"
    chunk = 1_000_000
    with connection.cursor() as c:
        if vendor == "sqlite":
            prefix = int(np.random.default_rng().integers(0, 2**62))
            day_sql = "date(2440587.5 + ?3)"
            sel = [{"uuid": f"printf('%%016x%%016x', {prefix}, ?1)",
                    "number": "printf('B-%%09d', ?1)", "account_id": "?2",
                    "ordered_on": day_sql, "promised_date": day_sql, "net_amount": "?4",
                    "total_amount": "?4", "status": "'delivered'"}.get(col, f"t.{col}")
                   for col in cols]
            sql = (f"INSERT INTO sales_order ({', '.join(cols)}) "
                   f"SELECT {', '.join(sel)} FROM ({template}) t")
            for lo in range(0, account.size, chunk):
                hi = min(lo + chunk, account.size)
                c.executemany(sql, zip(range(lo + 1, hi + 1), account[lo:hi].tolist(),
                                       day[lo:hi].tolist(), amount[lo:hi].tolist(),
                                       strict=True))
            return
        c.execute("CREATE TABLE bench_orders (i BIGINT, account_id BIGINT, day INTEGER, "
                  "amount DOUBLE PRECISION, uuid UUID)")
        rng = np.random.default_rng()
        for lo in range(0, account.size, chunk):
            hi = min(lo + chunk, account.size)
            # Version-4 UUIDs drawn here: gen_random_uuid() costs ~5 µs a row on this VM.
            raw = rng.integers(0, 256, size=(hi - lo, 16), dtype=np.uint8)
            raw[:, 6] = (raw[:, 6] & 0x0F) | 0x40
            raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80
            with c.cursor.copy("COPY bench_orders FROM STDIN (FORMAT BINARY)") as copy:
                copy.write(binary_copy([np.arange(lo + 1, hi + 1), account[lo:hi],
                                        day[lo:hi].astype(np.int32), amount[lo:hi],
                                        raw.view("V16").ravel()]))
        sel = [{"uuid": "s.uuid", "number": "'B-' || lpad(CAST(s.i AS TEXT), 9, '0')",
                "account_id": "s.account_id", "ordered_on": "DATE '1970-01-01' + s.day",
                "promised_date": "DATE '1970-01-01' + s.day",
                "net_amount": "CAST(s.amount AS NUMERIC(14, 2))",
                "total_amount": "CAST(s.amount AS NUMERIC(14, 2))",
                "status": "'delivered'"}.get(col, f"t.{col}") for col in cols]
        # The template row is read once (a scan of the table being filled would be repeated).
        c.execute(f"WITH t AS MATERIALIZED ({template}) "
                  f"INSERT INTO sales_order ({', '.join(cols)}) "
                  f"SELECT {', '.join(sel)} FROM t CROSS JOIN bench_orders s")
        c.execute("DROP TABLE bench_orders")


# ---------------------------------------------------------------------------------- measure


def measure(true_alpha: float) -> None:
    django_setup()
    from django.db import connection, transaction

    from vinculo.analytics import services
    from vinculo.analytics.models import CustomerSnapshot
    from vinculo.core.models import Organization
    from vinculo.core.tenancy import organization_scope

    vendor = connection.vendor
    org = Organization.objects.get(name="Bench")
    with connection.cursor() as c:
        c.execute("SELECT COUNT(*) FROM sales_order WHERE status = 'delivered'")
        orders = c.fetchone()[0]
    def reference() -> float:
        t0 = time.perf_counter()
        with organization_scope(org):
            services.customer_summary_sql(organization_id=org.pk, as_of=AS_OF)
        return time.perf_counter() - t0

    # The reference runs before and after the recompute (the first run also reads the table
    # into the cache); the ratio is taken to the faster of the two.
    ref_before = reference()
    steps: dict[str, float] = {}
    last = [time.perf_counter()]

    def progress(pct: int, step: str) -> None:  # time since the last tick went to ``step``
        now = time.perf_counter()
        steps[step] = steps.get(step, 0.0) + now - last[0]
        last[0] = now

    t0 = last[0] = time.perf_counter()
    with organization_scope(org), transaction.atomic():
        result = services.recompute(organization=org, as_of=AS_OF, progress=progress)
    total = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    ref_after = reference()
    ref = min(ref_before, ref_after)
    written = CustomerSnapshot.all_objects.filter(organization=org, as_of=AS_OF).count()
    target = TARGETS[vendor]
    print(f"== {vendor}: {result['customers']:,} customers, {orders:,} orders ==")
    print(f"  reference: aggregate summary query alone  {ref:8.2f} s  (before {ref_before:.2f} s,"
          f" after {ref_after:.2f} s)")
    print(f"  recompute (SQL + fit + score + upsert)    {total:8.2f} s  ratio {total / ref:.2f}x"
          f"  ({'PASS' if total <= target else 'FAIL'}: target <= {target:.0f} s)")
    print("  steps: " + ", ".join(f"{k} {v:.1f} s" for k, v in steps.items() if v >= 0.05))
    print(f"  snapshots in the table for {AS_OF}: {written:,}; peak RSS {peak:,.0f} MiB "
          f"({'PASS' if peak <= PEAK_TARGET_MIB else 'FAIL'}: target <= {PEAK_TARGET_MIB} MiB)")
    params = result["parameters"]
    bg, gg = params.get("bgnbd", {}), params.get("gamma_gamma", {})
    true = {**TRUE_BG, "alpha": true_alpha}
    print("  BG/NBD fitted (true): " + ", ".join(
        f"{k} {bg[k]:.4g} ({true[k]:.4g})" if k in bg else f"{k} -"
        for k in ("r", "alpha", "a", "b")) + (f"; error: {bg['error']}" if "error" in bg else ""))
    print("  Gamma-Gamma fitted (true): " + ", ".join(
        f"{k} {gg[k]:.4g} ({TRUE_GG[k]:.4g})" if k in gg else f"{k} -" for k in TRUE_GG))
    with organization_scope(org):
        scored = CustomerSnapshot.objects.filter(as_of=AS_OF, clv__isnull=False).count()
    print(f"  customers with P(alive), expected purchases and CLV: {scored:,}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--orders", type=int, default=10_000_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", action="store_true",
                        help="keep the generated database and print how to --reuse it")
    parser.add_argument("--reuse", metavar="URL",
                        help="measure on a database kept by --keep (sqlite:///… or postgres://…)")
    parser.add_argument("--phase", choices=("generate", "measure"), help=argparse.SUPPRESS)
    parser.add_argument("--true-alpha", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase == "generate":
        generate(args.customers, args.orders, args.seed)
        return
    if args.phase == "measure":
        measure(args.true_alpha)
        return
    if args.reuse:
        db = existing_database(args.reuse)
        try:
            subprocess.run([sys.executable, __file__, "--phase", "measure", "--true-alpha",
                            str(alpha_for_args(args))], env=db.env, check=True)
        finally:
            db.drop()  # a reused database stays; only the temporary data directory goes
        return
    vendors = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    for vendor in vendors:
        db = pg_database(PG_NAME) if vendor == "postgresql" else sqlite_database()
        try:
            print(f"== {vendor}: generating ==", flush=True)
            t0 = time.perf_counter()
            subprocess.run(
                [sys.executable, __file__, "--phase", "generate", "--customers",
                 str(args.customers), "--orders", str(args.orders), "--seed", str(args.seed)],
                env=db.env, check=True)
            print(f"  generated in {time.perf_counter() - t0:.1f} s", flush=True)
            # A fresh process: its peak memory is the recompute's, not the generator's.
            subprocess.run([sys.executable, __file__, "--phase", "measure", "--true-alpha",
                            str(alpha_for_args(args))], env=db.env, check=True)
        finally:
            if args.keep:
                print(f"  kept: --reuse {db.url}")
            else:
                db.drop()


if __name__ == "__main__":
    main()
