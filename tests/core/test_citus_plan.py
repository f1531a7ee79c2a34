"""`vinculo citus_plan` on PostgreSQL: the SQL it prints turns the migrated schema into one
Citus accepts. There is no Citus on this machine, so the plain-PostgreSQL steps (keys and
unique rules widened with organization_id, foreign keys made composite) run here on the
suite's own schema, inside a transaction rolled back, and the catalog is checked after them;
the Citus calls are checked against the declarations. (PostgreSQL only: tests/conftest.py
leaves this module out on SQLite, where there is nothing to shard.)"""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.db import connection, transaction

from vinculo.core import sharding

pytestmark = pytest.mark.django_db

UNIQUE_WITHOUT_ORGANIZATION = """
    SELECT t.relname, i.relname FROM pg_index x
    JOIN pg_class t ON t.oid = x.indrelid JOIN pg_class i ON i.oid = x.indexrelid
    WHERE x.indisunique AND t.relname = ANY(%s) AND NOT EXISTS (
        SELECT 1 FROM pg_attribute a WHERE a.attrelid = t.oid AND a.attname = 'organization_id'
        AND a.attnum = ANY(x.indkey))"""

FOREIGN_KEYS_BETWEEN = """
    SELECT t.relname, con.conname,
           ARRAY(SELECT a.attname FROM unnest(con.conkey) WITH ORDINALITY AS k(n, position)
                 JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.n
                 ORDER BY k.position)
    FROM pg_constraint con JOIN pg_class t ON t.oid = con.conrelid
    JOIN pg_class r ON r.oid = con.confrelid
    WHERE con.contype = 'f' AND t.relname = ANY(%s) AND r.relname = ANY(%s)"""


def test_the_prepared_schema_has_organization_id_in_every_key_and_unique_rule():
    distributed = sharding.tables()["distributed"]
    plan = sharding.citus_plan(connection)
    with connection.cursor() as cursor:
        cursor.execute(FOREIGN_KEYS_BETWEEN, [distributed, distributed])
        before = {(table, name) for table, name, _columns in cursor.fetchall()}
        cursor.execute(UNIQUE_WITHOUT_ORGANIZATION, [distributed])
        assert len(cursor.fetchall()) > len(distributed)  # every primary key, every uuid…
    assert len(before) > 100
    with transaction.atomic():
        with connection.cursor() as cursor:
            for statement in plan["prepare"] + plan["foreign_keys"]:
                cursor.execute(statement)
            cursor.execute(UNIQUE_WITHOUT_ORGANIZATION, [distributed])
            assert cursor.fetchall() == []
            cursor.execute(FOREIGN_KEYS_BETWEEN, [distributed, distributed])
            after = {(table, name): columns for table, name, columns in cursor.fetchall()}
        assert set(after) == before  # every key between tenant tables is back…
        single = {key: columns for key, columns in after.items()
                  if len(columns) != 2 or columns[0] != "organization_id"}
        assert single == {}  # …composite, organisation first
        transaction.set_rollback(True)


def test_the_command_prints_the_citus_calls_for_the_declared_tables():
    out = io.StringIO()
    call_command("citus_plan", stdout=out)
    text = out.getvalue()
    assert text.startswith("BEGIN;") and text.rstrip().endswith("COMMIT;")
    layout = sharding.tables()
    for table in layout["reference"]:
        assert f"SELECT create_reference_table('{table}');" in text
    for table in layout["distributed"]:
        assert f"SELECT create_distributed_table('{table}', 'organization_id');" in text
    for table in layout["local"] + layout["pending"]:
        assert f"('{table}'" not in text  # left on the coordinator
    # reference tables before the distributed tables that point at them, keys last
    assert text.index("create_reference_table") < text.index("create_distributed_table") \
        < text.index("FOREIGN KEY (organization_id")
