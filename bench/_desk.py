"""What the service-desk benchmarks (sla_scan.py, inbound_poll.py) share: running the measuring
child process on each database, and printing the figures with the checks they made."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections.abc import Callable, Sequence

from _common import markdown, pg_available, pg_database, say, sqlite_database, table

#: Notifications are sent by the immediate tasks backend to memory, inside the timed call.
NOTIFY_ENV = {"EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
              "TASKS_BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}


def arguments(parser: argparse.ArgumentParser,
              inner: Callable[[argparse.Namespace], dict]) -> argparse.Namespace | None:
    """Add ``--only`` and the hidden ``--inner``. In the measuring child (``--inner``) run
    ``inner`` and print its result as JSON, and return None; otherwise return the arguments."""
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    parser.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.inner:
        print(json.dumps(inner(args)))
        return None
    return args


def run_on_databases(script: str, inner_args: list[str], *, only: str | None, pg_name: str,
                     doing: str) -> list[dict]:
    """For each database (fresh, migrated, dropped afterwards) the JSON result that
    ``script --inner …`` prints as its last line; its stderr (progress, logs) passes through."""
    databases = []
    if only in (None, "sqlite"):
        databases.append(sqlite_database())
    if only in (None, "postgresql") and pg_available():
        databases.append(pg_database(pg_name))
    results = []
    for db in databases:
        try:
            say(f"{db.vendor}: migrate")
            db.vinculo("migrate", "--verbosity", "0")
            say(f"{db.vendor}: {doing}")
            proc = subprocess.run([sys.executable, script, "--inner", *inner_args],
                                  env=db.env | NOTIFY_ENV, text=True, stdout=subprocess.PIPE)
            if proc.returncode:
                raise SystemExit(f"{db.vendor}: the benchmark failed ({proc.returncode})")
            results.append(json.loads(proc.stdout.strip().splitlines()[-1]))
        finally:
            db.drop()
    return results


def failures(result: dict) -> list[str]:
    """The checks a result did not pass, and the errors it reported."""
    failed = [name for name, ok in result["checks"].items() if not ok]
    return [f"{result['vendor']}: {what}" for what in failed + result["errors"]]


def report(tables: Sequence[tuple[Sequence[str], Sequence[Sequence[object]]]],
           failed: Sequence[str]) -> int:
    """Print the tables, the failed checks and the Markdown rows; the exit status."""
    for headers, rows in tables:
        print(table(headers, rows))
        print()
    for failure in failed:
        print(f"CHECK FAILED {failure}")
    print("\nMarkdown for the README:")
    print("\n\n".join(markdown(headers, rows) for headers, rows in tables))
    return 1 if failed else 0
