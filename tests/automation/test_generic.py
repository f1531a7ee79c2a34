"""The generic API and page suites for exception rules: administrators edit them; managers and
analysts read them and their log; nobody else sees them; another organisation gets 404."""

from __future__ import annotations

import itertools

from tests.automation.factories import TASK, rule
from tests.generic import Api, ApiSuite, Call, Page, PageSuite

VIEW, MANAGE = "automation.view", "automation.manage"
_n = itertools.count(1)


def build(admin, owner):
    return rule(admin, name=f"Regla {next(_n)}")


class TestRuleApi(ApiSuite):
    api = Api("automation-rule", "automation", build,
              permissions={"list": VIEW, "retrieve": VIEW, "create": MANAGE, "update": MANAGE,
                           "delete": MANAGE},
              create=lambda admin, user: {"name": "Retraso",
                                          "trigger": {"kind": "order_due", "days": 3},
                                          "actions": [TASK]},
              update=lambda record: {"name": f"{record.name} (revisada)", "active": False},
              delete=True,
              calls=(Call("firings", VIEW, method="get"),))


class TestRulePages(PageSuite):
    page = Page("rule", "automation", build, list="automation:rule_list",
                detail="automation:rule_detail", create="automation:rule_create",
                edit="automation:rule_update",
                permissions={"list": VIEW, "detail": VIEW, "create": MANAGE, "edit": MANAGE})
