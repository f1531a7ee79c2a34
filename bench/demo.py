"""How long ``vinculo demo --customers N`` takes on SQLite and on PostgreSQL.

For each database: a fresh one (a temporary data directory for SQLite; a database
``vinculo_bench`` created and dropped on the PostgreSQL at $BENCH_PG, default
postgres://postgres@127.0.0.1:5432), ``vinculo migrate``, then the demo, timed from the outside
(wall time of the whole command: users, generation, inserts, index builds, statistics).

Reference, measured in the same run on the same database: inserting the same number of rows as
the demo wrote, but minimal ones (an integer key and a short text) into a bare table with no
index, by the fastest path of the driver (executemany on SQLite, COPY on PostgreSQL). The ratio
says how far the demo is from "just moving the bytes".

    .venv/bin/python bench/demo.py [--customers 1000000] [--only sqlite|postgresql] [--keep]
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (
    Database,
    markdown,
    pg_available,
    pg_database,
    rows_from_demo_output,
    say,
    sqlite_database,
    table,
)

TARGET_SECONDS = 300.0


def reference_seconds(db: Database, rows: int) -> float:
    """Insert ``rows`` minimal rows into a bare table: the floor for this database."""
    data = ((i, f"row {i}") for i in range(rows))
    if db.vendor == "sqlite":
        conn = sqlite3.connect(f"{db.data_dir}/vinculo.sqlite3")
        conn.execute("PRAGMA synchronous=OFF")
        conn.execute("CREATE TABLE bench_bare (id integer PRIMARY KEY, name text NOT NULL)")
        started = time.perf_counter()
        with conn:
            conn.executemany("INSERT INTO bench_bare VALUES (?, ?)", data)
        elapsed = time.perf_counter() - started
        conn.execute("DROP TABLE bench_bare")
        conn.close()
        return elapsed
    import psycopg

    with psycopg.connect(db.env["DATABASE_URL"].replace("postgres://", "postgresql://")) as conn:
        conn.execute("SET synchronous_commit TO off")
        conn.execute("CREATE TABLE bench_bare (id bigint PRIMARY KEY, name text NOT NULL)")
        conn.commit()
        started = time.perf_counter()
        with conn.cursor() as cursor, cursor.copy("COPY bench_bare FROM STDIN") as copy:
            for row in data:
                copy.write_row(row)
        conn.commit()
        elapsed = time.perf_counter() - started
        conn.execute("DROP TABLE bench_bare")
        conn.commit()
        return elapsed


def bench(db: Database, customers: int) -> dict[str, object]:
    say(f"[{db.vendor}] migrate")
    db.vinculo("migrate", "--verbosity", "0")
    say(f"[{db.vendor}] vinculo demo --customers {customers:,}")
    started = time.perf_counter()
    done = db.vinculo("demo", "--customers", str(customers), "--no-progress", check=False)
    seconds = time.perf_counter() - started
    if done.returncode:
        raise SystemExit(f"vinculo demo failed on {db.vendor}:\n{done.stderr}")
    rows = rows_from_demo_output(done.stdout)
    say(f"[{db.vendor}] {seconds:.1f} s, {rows:,} rows; reference insert of {rows:,} rows")
    reference = reference_seconds(db, rows)
    return {"database": db.vendor, "customers": customers, "rows": rows, "seconds": seconds,
            "rows_per_s": rows / seconds, "reference": reference,
            "ratio": seconds / reference, "pass": seconds <= TARGET_SECONDS,
            "last_line": done.stdout.strip().splitlines()[-1]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--only", choices=("sqlite", "postgresql"))
    parser.add_argument("--keep", action="store_true",
                        help="Keep the loaded databases (printed) for bench/customer_lists.py "
                             "--reuse; drop them yourself afterwards.")
    args = parser.parse_args()
    results = []
    targets = [v for v in ("sqlite", "postgresql") if args.only in (None, v)]
    for vendor in targets:
        if vendor == "postgresql" and not pg_available():
            say("PostgreSQL does not answer: skipped")
            continue
        db = sqlite_database() if vendor == "sqlite" else pg_database()
        try:
            results.append(bench(db, args.customers))
        finally:
            if args.keep:
                say(f"[{vendor}] kept: --reuse {db.url}")
            else:
                db.drop()
    headers = ("database", "contacts", "rows written", "wall time", "rows/s",
               "reference (bare insert)", "ratio", f"target ≤ {TARGET_SECONDS:.0f} s")
    rows = [(r["database"], f"{r['customers']:,}", f"{r['rows']:,}", f"{r['seconds']:.1f} s",
             f"{r['rows_per_s']:,.0f}", f"{r['reference']:.1f} s", f"{r['ratio']:.1f}×",
             "PASS" if r["pass"] else "FAIL") for r in results]
    print(table(headers, rows))
    print()
    print("Markdown for the README:")
    print(markdown(headers, rows))
    if any(not r["pass"] for r in results):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
