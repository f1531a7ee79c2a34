"""The generic API and page suites for pipelines, opportunities, quotes, orders and
deliveries."""

from __future__ import annotations

from tests.core.factories import as_user
from tests.customers.factories import AccountFactory
from tests.generic import Api, ApiSuite, Call, Page, PageSuite
from tests.sales.factories import DeliveryFactory, OpportunityFactory, OrderFactory, QuoteFactory
from vinculo.sales.services import pipeline_create

LINES = [{"description": "Aceite 5 l", "quantity": "2", "unit_price": "42.50", "tax_rate": "10"}]


def customer(admin, owner):
    return AccountFactory(actor=admin, owner=owner, team=owner.team)


def pipeline(admin, owner):
    with as_user(admin):
        pipeline.n = getattr(pipeline, "n", 0) + 1
        return pipeline_create(actor=admin, organization=admin.organization,
                               name=f"Embudo {pipeline.n}")


def opportunity(admin, owner):
    return OpportunityFactory(actor=admin, account=customer(admin, owner), owner=owner,
                              team=owner.team)


def quote(admin, owner):
    return QuoteFactory(actor=admin, account=customer(admin, owner))


def order(admin, owner):
    return OrderFactory(actor=admin, account=customer(admin, owner))


def deliver_everything(admin, user, order):
    with as_user(admin):
        lines = [{"order_line": str(line.uuid), "quantity": str(line.quantity)}
                 for line in order.lines.all()]
    return {"lines": lines}


def delivery(admin, owner):
    return DeliveryFactory(actor=admin, order=order(admin, owner))


class TestPipelineApi(ApiSuite):
    api = Api("pipeline", "sales", pipeline, versioned=False,
              create=lambda admin, user: {"name": "Embudo nuevo", "stages": [
                  {"name": "Contacto", "order": 1, "probability": "10", "kind": "open"},
                  {"name": "Ganado", "order": 2, "probability": "100", "kind": "won"},
                  {"name": "Perdido", "order": 3, "probability": "0", "kind": "lost"}]})


class TestOpportunityApi(ApiSuite):
    api = Api("opportunity", "sales", opportunity,
              create=lambda admin, user: {"name": "Trato nuevo",
                                          "account": str(customer(admin, user).uuid)},
              update=lambda record: {"name": "Trato renombrado"},
              delete=True,
              calls=(Call("forecast", "sales.view", method="get", detail=False),))


class TestQuoteApi(ApiSuite):
    api = Api("quote", "sales", quote,
              create=lambda admin, user: {"account": str(customer(admin, user).uuid),
                                          "lines": LINES},
              update=lambda record: {"notes": "Entrega en marzo"},
              calls=(Call("pdf", "sales.view", method="get"),
                     Call("accept", "sales.add", ok=201,
                          payload=lambda a, u, r: {"promised_date": "2030-01-15"})))


class TestOrderApi(ApiSuite):
    api = Api("order", "sales", order,
              create=lambda admin, user: {"account": str(customer(admin, user).uuid),
                                          "promised_date": "2030-01-15", "lines": LINES},
              calls=(Call("cancel", "sales.change", audit_rows=1),
                     Call("deliver", "sales.change", ok=201, payload=deliver_everything)))


class TestDeliveryApi(ApiSuite):
    api = Api("delivery", "sales", delivery)


class TestOpportunityPages(PageSuite):
    page = Page("opportunity", "sales", opportunity, list="sales:opportunity_list",
                detail="sales:opportunity_detail", create="sales:opportunity_create",
                edit="sales:opportunity_update")


class TestQuotePages(PageSuite):
    page = Page("quote", "sales", quote, list="sales:quote_list", detail="sales:quote_detail",
                create="sales:quote_create", edit="sales:quote_update")


class TestOrderPages(PageSuite):
    page = Page("order", "sales", order, list="sales:order_list", detail="sales:order_detail")


class TestDeliveryPages(PageSuite):
    page = Page("delivery", "sales", delivery, list="sales:delivery_list",
                detail="sales:delivery_detail")


# ---- settings pages (administrators): pipelines, their stages, reasons for losing ------------

SETTINGS_PAGES = {action: "sales.manage" for action in ("list", "create", "edit")}


def stage(admin, owner):
    with as_user(admin):
        return pipeline(admin, owner).stages.order_by("order").first()


def lost_reason(admin, owner):
    from vinculo.sales.settings.services import lost_reason_create

    with as_user(admin):
        lost_reason.n = getattr(lost_reason, "n", 0) + 1
        return lost_reason_create(actor=admin, data={"name": f"Motivo {lost_reason.n}"})


class TestPipelineSettingsPages(PageSuite):
    page = Page("pipeline-settings", "sales", pipeline, list="sales:pipeline_settings_list",
                create="sales:pipeline_settings_create", edit="sales:pipeline_settings_update",
                permissions=SETTINGS_PAGES)


class TestStageSettingsPages(PageSuite):
    page = Page("stage-settings", "sales", stage, edit="sales:stage_update",
                permissions=SETTINGS_PAGES)


class TestLostReasonPages(PageSuite):
    page = Page("lost-reason", "sales", lost_reason, list="sales:lost_reason_list",
                create="sales:lost_reason_create", edit="sales:lost_reason_update",
                permissions=SETTINGS_PAGES)
