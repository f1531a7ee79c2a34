"""The generic API and page suites for campaigns and their A/B variants, and for suggested
actions (each suggestion written directly on an account of ``owner``: the rules' own tests
are in test_actions.py; the suite needs one open suggestion per role, not a snapshot each)."""

from __future__ import annotations

import datetime as dt
import itertools

from tests.core.factories import as_user
from tests.customers.factories import AccountFactory
from tests.generic import Api, ApiSuite, Call, Page, PageSuite
from tests.marketing.factories import CampaignFactory, VariantFactory, contacts, ready_campaign
from vinculo.marketing.actions.models import Suggestion


def campaign(admin, owner):
    return CampaignFactory(actor=admin)


def variant(admin, owner):
    return VariantFactory(actor=admin, campaign=campaign(admin, owner), name="B", share=50)


_n = itertools.count()


def startable(admin, owner):
    n = next(_n)
    return ready_campaign(admin, contacts(admin, 2, prefix=f"g{n}"), segment_name=f"Lista {n}")


def started(admin, owner):
    record = startable(admin, owner)
    from vinculo.marketing import services

    with as_user(admin):
        services.campaign_start(campaign=record, actor=admin)
    return record


class TestCampaignApi(ApiSuite):
    api = Api("campaign", "marketing", campaign,
              create=lambda admin, user: {"name": "Vuelta al cole", "control_share": 10,
                                          "fixed_cost": "100.00", "cost_per_message": "0.0100"},
              update=lambda record: {"name": f"{record.name} bis"},
              delete=True,
              calls=(Call("start", "marketing.send", build=startable, payload=lambda a, u, r: {}),
                     Call("finish", "marketing.send", build=started,
                          payload=lambda a, u, r: {}, audit_rows=1),
                     Call("progress", "marketing.view", method="get")))


class TestCampaignVariantApi(ApiSuite):
    api = Api("campaign-variant", "marketing", variant,
              create=lambda admin, user: {"campaign": str(campaign(admin, user).uuid),
                                          "name": "B", "subject": "Hola", "body": "Texto",
                                          "share": 50},
              update=lambda record: {"subject": "Otro asunto"},
              delete=True,
              permissions={"create": "marketing.change", "delete": "marketing.change"})


class TestCampaignPages(PageSuite):
    page = Page("campaign", "marketing", campaign, list="marketing:campaign_list",
                detail="marketing:campaign_detail", create="marketing:campaign_create",
                edit="marketing:campaign_update")


class TestVariantPages(PageSuite):
    page = Page("variant", "marketing", variant, edit="marketing:variant_update")


# ---- suggested actions ---------------------------------------------------------------------
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
