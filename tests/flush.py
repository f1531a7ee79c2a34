"""After a test that commits (a live server, a browser, threads, concurrency), empty only the
tables it wrote to.

Django's ``TransactionTestCase`` empties every table after such a test (``DELETE`` of each of
the 120-odd tables on SQLite), then re-creates the content types and permissions it threw
away. Here, on SQLite, one query finds the tables that hold rows and were empty in the
migrated template this database was copied from (tests/databases.py), and only those are
emptied, in one transaction with foreign keys unchecked. The rows the migrations wrote
(content types and permissions) stay as they were, with their ids. A test that changed how many
of those there are, or that asks for Django's own variants (``available_apps``,
``serialized_rollback``), gets Django's full flush, and so does PostgreSQL (below).
"""

from __future__ import annotations

from typing import Any

from django.db import connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.test import TransactionTestCase

# Rows each table held right after the database was copied from the template, for the tables
# that held any (by database alias, then table).
_template_rows: dict[str, dict[str, int]] = {}


def _quote(connection: BaseDatabaseWrapper, table: str) -> str:
    return connection.ops.quote_name(table)


def _counts(connection: BaseDatabaseWrapper, tables: list[str],
            counted: set[str]) -> dict[str, int]:
    """Rows of each table in ``counted``; for the others, 1 if it holds any row (absent if
    empty). One query."""
    parts = []
    for table in tables:
        name = _quote(connection, table)
        if table in counted:
            parts.append(f"SELECT '{table}', (SELECT COUNT(*) FROM {name})")
        else:
            parts.append(f"SELECT '{table}', 1 WHERE EXISTS (SELECT 1 FROM {name})")
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts))
        return {table: int(rows) for table, rows in cursor.fetchall()}


def _tables(connection: BaseDatabaseWrapper) -> list[str]:
    return sorted(connection.introspection.django_table_names(only_existing=True,
                                                              include_views=False))


def remember_template(alias: str = "default") -> None:
    """Note which tables hold rows in the freshly copied test database (called once, before
    any test ran on it)."""
    connection = connections[alias]
    counts = _counts(connection, _tables(connection), set())
    _template_rows[alias] = _counts(connection, sorted(counts), set(counts))


def _restore(alias: str) -> bool:
    """Empty what the test wrote; False when only a full flush can restore the template."""
    template = _template_rows.get(alias)
    connection = connections[alias]
    if template is None or connection.vendor == "postgresql":
        # PostgreSQL keeps Django's TRUNCATE: a DELETE leaves the tables' pages behind, and
        # the planner's estimates with them, so a later test's query plan changed
        # (tests/catalog/test_search_index.py chose another index)
        return False
    now = _counts(connection, _tables(connection), set(template))
    if any(now.get(table, 0) != rows for table, rows in template.items()):
        return False
    written = [table for table in now if table not in template]
    if not written:
        return True
    deletes = [f"DELETE FROM {_quote(connection, table)}" for table in written]
    with connection.constraint_checks_disabled(), transaction.atomic(using=alias), \
            connection.cursor() as cursor:
        for sql in deletes:
            cursor.execute(sql)
    return True


_django_teardown = TransactionTestCase._fixture_teardown


def _fixture_teardown(self: Any) -> None:
    if self.available_apps is None and not self.serialized_rollback and all(
            _restore(alias) for alias in self._databases_names(include_mirrors=False)):
        return
    _django_teardown(self)


def install() -> None:
    """Use the restore above for every test that commits (pytest-django's transactional
    tests are ``TransactionTestCase``\\ s)."""
    TransactionTestCase._fixture_teardown = _fixture_teardown  # type: ignore[method-assign]
