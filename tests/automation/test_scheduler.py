"""The real `vinculo scheduler` runs the rules' scan: a late order gets its task from the
deployed command, and a second scan (the next slot) makes no second one."""

from __future__ import annotations

from pathlib import Path

from tests.deploy import fresh_database, vinculo

SETUP = """
import datetime as dt
from decimal import Decimal
from django.utils import timezone
from vinculo.automation.services import rule_create
from vinculo.core.audit import acting_as
from vinculo.core.models import Organization
from vinculo.core.services import user_create
from vinculo.core.tenancy import organization_scope
from vinculo.customers.services import account_create
from vinculo.sales.documents.services import order_create

org = Organization.objects.create(name="Programada", country="ES")
admin = user_create(organization=org, email="admin@programada.test", password="x" * 12,
                    role="admin")
with organization_scope(org), acting_as(admin):
    account = account_create(actor=admin, data={"name": "Cliente SL", "owner": admin})
    order_create(actor=admin, account=account, promised_date=timezone.localdate()
                 + dt.timedelta(days=1), lines=[{"description": "Servicio", "quantity": Decimal(1),
                 "unit_price": Decimal(100), "discount_percent": Decimal(0),
                 "tax_rate": Decimal(21)}])
    rule_create(actor=admin, data={"name": "Retraso", "trigger": {"kind": "order_due",
                "days": 3}, "actions": [{"type": "create_task", "title": "Avisar",
                "assignee": "account_owner"}]})
print("ready")
"""

COUNT = """
from vinculo.automation.models import Firing
from vinculo.interactions.models import Task
print("tasks", Task.all_objects.count(), "firings", Firing.all_objects.count())
"""


def test_the_scheduler_fires_a_rule_once_per_episode(tmp_path: Path, migrated):
    with fresh_database(tmp_path, migrated) as env:
        assert "ready" in vinculo("shell", "-c", SETUP, env=env)
        out = vinculo("scheduler", "--once", env=env)
        assert "automation_scan --all: slot" in out, out
        assert "Programada: 1 rule firing(s)" in out, out
        again = vinculo("automation_scan", "--all", env=env)
        assert "Programada: 0 rule firing(s)" in again, again
        assert "tasks 1 firings 1" in vinculo("shell", "-c", COUNT, env=env)
