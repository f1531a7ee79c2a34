"""Saved reports, made through the reports' services."""

from __future__ import annotations

import itertools
from typing import Any

from tests.core.factories import as_user
from vinculo.core.models import User
from vinculo.core.tenancy import organization_scope
from vinculo.reports import services
from vinculo.reports.models import Report

COUNT_ACCOUNTS = {"dataset": "accounts", "group_by": [{"field": "industry"}],
                  "aggregates": [{"fn": "count"}]}
_n = itertools.count(1)


def report(owner: User, name: str | None = None, **data: Any) -> Report:
    with organization_scope(owner.organization), as_user(owner):
        return services.report_create(actor=owner, data={
            "name": name or f"Informe {next(_n)}", "definition": COUNT_ACCOUNTS, **data})
