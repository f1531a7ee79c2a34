"""Print the SQL that shards a migrated PostgreSQL database by organisation (Citus)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError
from django.db import connection

from vinculo.core import sharding
from vinculo.core.management.base import OperatorCommand

STEPS = {
    "prepare": "1. Plain PostgreSQL: foreign keys to distributed tables dropped, primary keys "
               "and unique rules widened with organization_id.",
    "reference": "2. Reference tables, copied to every node.",
    "distribute": "3. Tenant tables, distributed by organization_id (co-located).",
    "foreign_keys": "4. The foreign keys again, composite: a row points only at a row of its "
                    "own organisation.",
}


class Command(OperatorCommand):
    help = ("Print the SQL that distributes this PostgreSQL database by organisation on Citus "
            "(docs/deployment.md, 'Sharded'); it changes nothing itself.")

    def handle(self, *args: Any, **options: Any) -> None:
        if connection.vendor != "postgresql":
            raise CommandError("citus_plan reads the PostgreSQL catalog: point DATABASE_URL at "
                               "the PostgreSQL database to shard.")
        undeclared = sharding.tables().get("undeclared")
        if undeclared:
            raise CommandError("Tables without organization_id and not declared in "
                               f"vinculo.core.sharding: {', '.join(undeclared)}.")
        plan = sharding.citus_plan(connection)
        self.stdout.write("BEGIN;")
        for step, title in STEPS.items():
            self.stdout.write(f"\n-- {title}")
            for statement in plan[step]:
                self.stdout.write(statement)
        self.stdout.write("\nCOMMIT;")
