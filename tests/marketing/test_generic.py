"""The generic API and page suites for campaigns and their A/B variants."""

from __future__ import annotations

import itertools

from tests.core.factories import as_user
from tests.generic import Api, ApiSuite, Call, Page, PageSuite
from tests.marketing.factories import CampaignFactory, VariantFactory, contacts, ready_campaign


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
