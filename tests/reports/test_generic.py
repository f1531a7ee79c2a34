"""The generic API and page suites for saved reports: every role builds its own; each user
reaches only theirs (and those shared with them); another organisation gets 404."""

from __future__ import annotations

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
