"""The 1M-contact demo database that portal.py, retain.py and reports.py share.

Loading ``vinculo demo --customers 1000000`` takes minutes; the three benchmarks can load it
once and reuse it: ``bench/demo.py --only postgresql --keep`` (or any of the three with
``--keep``) prints a URL for ``--reuse URL``. Each benchmark adds what it needs on top (orders
for one account, snapshots for every account, ten million order lines) only when the database
does not have it yet, so a reused database is set up once per addition.
"""

from __future__ import annotations

import argparse
import os
import subprocess

from _common import (
    PYTHON,
    Database,
    existing_database,
    pg_available,
    pg_database,
    say,
)

NAME = "vinculo_bench_big"


def add_arguments(parser: argparse.ArgumentParser, customers: int = 1_000_000) -> None:
    parser.add_argument("--customers", type=int, default=customers,
                        help="Contacts of the demo loaded into a fresh database.")
    parser.add_argument("--reuse", metavar="URL",
                        help="DATABASE_URL of a loaded demo database (postgres://… or "
                             "sqlite:///…/vinculo.sqlite3); never dropped.")
    parser.add_argument("--keep", action="store_true",
                        help="Keep the database this run created (its --reuse URL is printed).")


def _contacts(db: Database) -> int:
    code = ("import django; django.setup(); from django.db import connection\n"
            "c = connection.cursor()\n"
            "try:\n    c.execute('SELECT COUNT(*) FROM customers_contact')\n"
            "    print(c.fetchone()[0])\n"
            "except Exception:\n    print(0)\n")
    done = subprocess.run([PYTHON, "-c", code], env=db.env, text=True, capture_output=True,
                          check=True)
    return int(done.stdout.strip() or 0)


def open_database(args: argparse.Namespace, vendor: str = "postgresql") -> Database:
    """The reused database (migrated, in case a migration was added since it was loaded), or a
    fresh one with the demo; the process's environment then points Django at it."""
    if args.reuse:
        db = existing_database(args.reuse)
    elif vendor == "postgresql":
        if not pg_available():
            raise SystemExit("PostgreSQL does not answer at $BENCH_PG")
        db = pg_database(NAME)
    else:
        from _common import sqlite_database

        db = sqlite_database()
    say(f"[{db.vendor}] migrate")
    db.vinculo("migrate", "--verbosity", "0")
    if _contacts(db) < args.customers:
        say(f"[{db.vendor}] vinculo demo --customers {args.customers:,} (a few minutes)")
        db.vinculo("demo", "--customers", str(args.customers), "--reset", "--no-progress")
    os.environ.update(db.env)
    return db


def close_database(db: Database, args: argparse.Namespace) -> None:
    if args.keep and db.owned:
        say(f"[{db.vendor}] kept: --reuse {db.url}")
    else:
        db.drop()


def django_setup() -> None:
    import django

    django.setup()


def load() -> str:
    """The machine's load averages, as ``uptime`` prints them (other work shares the cores)."""
    with open("/proc/loadavg") as f:
        return " / ".join(f.read().split()[:3])


def clone_rows(cursor, table: str, template_id: int, source: str, overrides: dict[str, str],
               params: tuple = ()) -> int:
    """``INSERT … SELECT`` copies of one row of ``table`` (``t``), one per row of ``source``
    (e.g. ``generate_series(1, 5000) g`` on PostgreSQL), with ``overrides`` (column → SQL
    expression) — every other column copied from the template, the id from the sequence. A
    quick way to grow a table on a loaded machine; ``params`` fill the expressions' ``%s``
    (so a literal ``%`` is written ``%%``). The statement is the engine's; finding the columns
    is not (Django's introspection), so SQLite can use it too (``reports.py``)."""
    from django.db import connection

    columns = [c.name for c in connection.introspection.get_table_description(cursor, table)
               if c.name != "id"]
    unknown = set(overrides) - set(columns)
    if unknown:
        raise SystemExit(f"{table} has no column {sorted(unknown)}")
    names = ", ".join(f'"{c}"' for c in columns)
    values = ", ".join(overrides.get(c, f't."{c}"') for c in columns)
    cursor.execute(f"INSERT INTO {table} ({names}) SELECT {values} FROM {source}, {table} t"
                   " WHERE t.id = %s", [*params, template_id])
    return cursor.rowcount
