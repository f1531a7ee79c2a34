"""Service packages made through their services, and analytics snapshots to place customers."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from django.utils import timezone

from tests.core.factories import as_user
from tests.segments.factories import snapshot
from vinculo.analytics.models import AnalyticsRun, RunStatus
from vinculo.core.models import User
from vinculo.customers.models import Account
from vinculo.packages import services
from vinculo.packages.models import ServicePackage

_n = itertools.count(1)

TOP = {"match": "all", "conditions": [
    {"field": "analytics.profit_segment", "op": "in", "value": ["High"]}]}
MIDDLE = {"match": "all", "conditions": [
    {"field": "analytics.profit_segment", "op": "in", "value": ["High", "Medium"]}]}


def make_package(actor: User, services_: Any = None, **data: Any) -> ServicePackage:
    data.setdefault("name", f"Paquete {next(_n)}")
    with as_user(actor):
        return services.package_create(actor=actor, data=data, services=services_)


def recompute(accounts: dict[Account, str], as_of: dt.date | None = None) -> AnalyticsRun:
    """A finished analytics run for today with each account's profit segment."""
    as_of = as_of or timezone.localdate()
    organization_id = next(iter(accounts)).organization_id
    run, _created = AnalyticsRun.all_objects.get_or_create(
        organization_id=organization_id, as_of=as_of, defaults={"status": RunStatus.DONE})
    from vinculo.analytics.models import CustomerSnapshot

    CustomerSnapshot.all_objects.filter(organization_id=organization_id, as_of=as_of).delete()
    for account, segment in accounts.items():
        snapshot(account, as_of, profit_segment=segment)
    return run
