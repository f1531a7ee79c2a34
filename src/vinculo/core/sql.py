"""Set-based writes in SQL that runs on SQLite and PostgreSQL alike.

Services that move a million rows after a recompute (segments' members, accounts' packages)
cannot afford one Python object per row: they stage ids in a temporary table and write with
``INSERT … SELECT`` / ``UPDATE … WHERE … IN (SELECT …)``. What differs between the two
engines — a new random UUID inside a statement — is written here once.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connection

# Django stores a UUIDField as 32 hex digits on SQLite: a version-4 UUID drawn by the engine.
_SQLITE_UUID4 = (
    "lower(hex(randomblob(6))) || '4' || substr(lower(hex(randomblob(2))), 2)"
    " || substr('89ab', 1 + (random() & 3), 1) || substr(lower(hex(randomblob(2))), 2)"
    " || lower(hex(randomblob(6)))")


def execute(sql: str, params: Iterable[Any] = ()) -> int:
    """Run one statement on the default connection; the number of rows it touched."""
    with connection.cursor() as cursor:
        cursor.execute(sql, list(params))
        return cursor.rowcount


def rows(sql: str, params: Iterable[Any] = ()) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, list(params))
        return cursor.fetchall()


def new_uuid() -> str:
    """An SQL expression giving each row its own random (version 4) UUID, as Django stores it."""
    return "gen_random_uuid()" if connection.vendor == "postgresql" else _SQLITE_UUID4


@contextmanager
def temporary_table(name: str, columns: str) -> Iterator[str]:
    """A temporary table for the statement block, dropped after it even on error."""
    execute(f"DROP TABLE IF EXISTS {name}")
    execute(f"CREATE TEMPORARY TABLE {name} ({columns})")
    try:
        yield name
    finally:
        execute(f"DROP TABLE IF EXISTS {name}")


def room_to_hash() -> None:
    """Within the current transaction, let PostgreSQL hash a segment rule's ``NOT IN`` / ``OR``
    subqueries in memory instead of re-scanning them per customer (SQLite: nothing to do)."""
    if connection.vendor == "postgresql":
        execute("SET LOCAL work_mem = '256MB'")


def analyze(table: str) -> None:
    """Give PostgreSQL's planner the staged table's size (it assumes a small one otherwise)."""
    if connection.vendor == "postgresql":
        execute(f"ANALYZE {table}")
