"""The generic API and page suites for saved reports: every role builds its own; each user
reaches only theirs (and those shared with them); another organisation gets 404."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from tests.generic import Api, ApiSuite, Call, Page, PageSuite
from tests.reports.factories import COUNT_ACCOUNTS, report

VIEW = "reports.view"


def build(admin, owner):
    return report(owner)


class TestReportApi(ApiSuite):
    api = Api("report", "reports", build, per_user=True,
              create=lambda admin, user: {"name": "Cuentas por sector",
                                          "definition": COUNT_ACCOUNTS},
              update=lambda record: {"name": f"{record.name} (revisado)"},
              delete=True,
              calls=(Call("result", VIEW, method="get"),))


class TestReportPages(PageSuite):
    page = Page("report", "reports", build, list="reports:report_list",
                detail="reports:report_detail", create="reports:report_create",
                edit="reports:report_update", per_user=True)


def build_objective(admin, owner):
    from tests.core.factories import as_user
    from vinculo.reports.services_objectives import objective_create

    with as_user(admin):
        return objective_create(actor=admin, data={
            "indicator": "complaints", "start": dt.date(2026, 3, 1), "end": dt.date(2026, 3, 31),
            "target": Decimal("5")})


class TestObjectiveApi(ApiSuite):
    api = Api("objective", "objectives", build_objective,
              create=lambda admin, user: {"indicator": "complaints", "start": "2026-04-01",
                                          "end": "2026-04-30", "target": "4"},
              update=lambda record: {"target": "3"},
              delete=True,
              calls=(Call("progress", "objectives.view", method="get"),))


class TestObjectivePages(PageSuite):
    page = Page("objective", "objectives", build_objective, list="reports:objective_list",
                detail="reports:objective_detail", create="reports:objective_create",
                edit="reports:objective_update")
