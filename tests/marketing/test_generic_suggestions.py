"""The generic API suite for suggested actions: every role, the representative's record rule
(their own and their team's accounts), another organisation's 404, the query counts.

Each suggestion is written directly on an account of ``owner`` (the rules' own tests are in
test_actions.py): the suite needs one open suggestion per role, not a snapshot each."""

from __future__ import annotations

import datetime as dt

from tests.core.factories import as_user
from tests.customers.factories import AccountFactory
from tests.generic import Api, ApiSuite, Call
from vinculo.marketing.actions.models import Suggestion

FACTS = {"tier": "Gold", "clv": "3844.00", "currency": "EUR", "p_alive": 0.9,
         "p_alive_before": 0.9, "frequency": 10, "recency_days": 60, "T": 400,
         "last_order": "2026-09-16", "complaint_since": None, "as_of": "2026-12-06",
         "today": "2026-12-06"}


def suggestion(admin, owner):
    account = AccountFactory(actor=admin, owner=owner, team=owner.team)
    with as_user(admin):
        return Suggestion.objects.create(organization_id=admin.organization_id,
                                         account=account, rule="overdue", action="call",
                                         facts=FACTS, as_of=dt.date(2026, 12, 6))


class TestSuggestionApi(ApiSuite):
    api = Api("suggestion", "suggestions", suggestion, versioned=False, calls=(
        Call("accept", "suggestions.change"),
        Call("dismiss", "suggestions.change",
             payload=lambda admin, user, record: {"reason": "Ya es cliente fiel"}),
    ))
