"""Conversions attributed to a campaign within its window, first and last touch between
campaigns, revenue and margin of the attributed orders, the lift over the control group and
the return on margin."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from tests.catalog.factories import ProductFactory
from tests.core.factories import as_user
from tests.customers.factories import AccountFactory, ContactFactory, LeadFactory
from tests.marketing.factories_results import audience, campaign_make, recipient_make
from tests.sales.factories import DeliveryFactory, OpportunityFactory, OrderFactory, free_line
from vinculo.analytics.models import CostRate
from vinculo.core.roles import Role
from vinculo.core.services import PermissionDeniedError
from vinculo.customers.models import Lead
from vinculo.marketing.models import CampaignRecipient, RecipientStatus
from vinculo.marketing.results import attribution, selectors, services
from vinculo.reports import objectives
from vinculo.sales.models import Opportunity

pytestmark = pytest.mark.django_db
NOW = timezone.now()


def days_ago(n: float) -> dt.datetime:
    return NOW - dt.timedelta(days=n)


def _set_created(model, record, when):
    model.all_objects.filter(pk=record.pk).update(created_at=when)


def outcome(campaign, contact, model="last"):
    with_rows = attribution.outcomes(campaign, model=model).filter(contact=contact)
    return with_rows.values("lead_at", "opportunity_at", "order_on", "orders", "revenue",
                            "cogs").get()


def test_each_kind_of_conversion_counts_inside_the_window_only(admin):
    campaign = campaign_make(admin, started=days_ago(40), attribution_days=30)
    account = AccountFactory(actor=admin, name="Aceites Sur")
    ana = ContactFactory(actor=admin, email="ana@sur.es", first_name="Ana")
    recipient_make(campaign, ana, account=account)
    inside = OpportunityFactory(actor=admin, account=account)
    _set_created(Opportunity, inside, days_ago(35))
    lead = LeadFactory(actor=admin, email="ana@sur.es", last_name="Ana")
    _set_created(Lead, lead, days_ago(5))  # 35 days after the send: outside
    early = OpportunityFactory(actor=admin, account=account)
    _set_created(Opportunity, early, days_ago(41))  # before the send
    row = outcome(campaign, ana)
    assert row["opportunity_at"] == days_ago(35)
    assert row["lead_at"] is None and row["order_on"] is None


def test_a_click_extends_the_window_for_attribution_but_not_for_the_lift(admin):
    campaign = campaign_make(admin, started=days_ago(40), attribution_days=30)
    ana = ContactFactory(actor=admin, email="ana@sur.es", first_name="Ana")
    recipient_make(campaign, ana, clicked_at=days_ago(20))
    lead = LeadFactory(actor=admin, email="ana@sur.es", last_name="Ana")
    _set_created(Lead, lead, days_ago(5))  # 15 days after the click, 35 after the send
    assert outcome(campaign, ana)["lead_at"] == days_ago(5)
    lifted = attribution.outcomes(campaign, model=None, by_click=False).get()
    assert lifted.lead_at is None


def test_revenue_and_margin_of_the_attributed_orders(admin):
    campaign = campaign_make(admin, started=days_ago(3), attribution_days=30)
    account = AccountFactory(actor=admin)
    ana = ContactFactory(actor=admin, email="ana@sur.es", first_name="Ana")
    recipient_make(campaign, ana, account=account)
    oil = ProductFactory(actor=admin, cost_price=Decimal("20.00"))
    lines = [free_line("Aceite", "10", "42.50", tax_rate="10"),
             free_line("Transporte", "1", "15.00")]
    lines[0]["product"] = oil
    OrderFactory(actor=admin, account=account, lines=lines, ordered_on=timezone.localdate())
    OrderFactory(actor=admin, account=account, lines=[free_line("Antes", "1", "999")],
                 ordered_on=timezone.localdate() - dt.timedelta(days=10))
    row = outcome(campaign, ana)
    assert row["orders"] == 1
    assert row["revenue"] == Decimal("440.00")  # net: 425 + 15, tax left out
    assert row["cogs"] == Decimal("200.00")  # 10 × 20; the line without a product costs 0
    with as_user(admin):
        result = selectors.results(campaign)
    assert result.total.revenue == Decimal("440.00")
    assert result.total.margin == Decimal("240.00")
    assert result.total.converted == 1


def test_last_touch_by_default_first_touch_on_request_and_ties_go_to_the_older_campaign(admin):
    older = campaign_make(admin, name="Invierno", started=days_ago(20), attribution_days=30)
    newer = campaign_make(admin, name="Primavera", started=days_ago(10), attribution_days=30)
    ana = ContactFactory(actor=admin, email="ana@sur.es", first_name="Ana")
    recipient_make(older, ana)
    recipient_make(newer, ana)
    lead = LeadFactory(actor=admin, email="ana@sur.es", last_name="Ana")
    _set_created(Lead, lead, days_ago(2))
    assert outcome(newer, ana)["lead_at"] is not None
    assert outcome(older, ana)["lead_at"] is None
    assert outcome(older, ana, "first")["lead_at"] is not None
    assert outcome(newer, ana, "first")["lead_at"] is None
    # the same instant: the older campaign takes it under either model
    CampaignRecipient.objects.filter(campaign=newer).update(sent_at=days_ago(20))
    for model in ("last", "first"):
        assert outcome(older, ana, model)["lead_at"] is not None
        assert outcome(newer, ana, model)["lead_at"] is None
    # the lift shares nothing: each campaign counts the conversion in its own arm
    assert attribution.outcomes(newer, model=None, by_click=False).get().lead_at is not None


def test_an_unknown_attribution_model_is_refused(admin):
    campaign = campaign_make(admin)
    with pytest.raises(ValueError, match="attribution model"):
        attribution.outcomes(campaign, model="linear")
    with pytest.raises(ValueError, match="metric"):
        selectors.ab_winner(campaign, [], "likes")


def test_conversions_mark_stores_converted_at_and_clears_what_another_campaign_took(admin):
    older = campaign_make(admin, name="Invierno", started=days_ago(20))
    newer = campaign_make(admin, name="Primavera", started=days_ago(10))
    ana = ContactFactory(actor=admin, email="ana@sur.es", first_name="Ana")
    luis = ContactFactory(actor=admin, email="luis@sur.es", first_name="Luis")
    recipient_make(older, ana)
    recipient_make(older, luis)
    lead = LeadFactory(actor=admin, email="ana@sur.es", last_name="Ana")
    _set_created(Lead, lead, days_ago(2))
    with as_user(admin):
        assert services.conversions_mark(campaign=older, actor=admin) == 1
    assert CampaignRecipient.objects.get(campaign=older, contact=ana).converted_at == days_ago(2)
    assert CampaignRecipient.objects.get(campaign=older, contact=luis).converted_at is None
    recipient_make(newer, ana)  # a later touch takes the lead (last touch)
    with as_user(admin):
        assert services.conversions_mark(campaign=older, actor=admin) == 0
    assert CampaignRecipient.objects.get(campaign=older, contact=ana).converted_at is None


def test_conversions_mark_needs_the_change_permission(users):
    campaign = campaign_make(users[Role.ADMIN])
    with as_user(users[Role.ANALYST]), pytest.raises(PermissionDeniedError):
        services.conversions_mark(campaign=campaign, actor=users[Role.ANALYST])


# ---- the control group ----------------------------------------------------------------------


def test_no_lift_when_the_treated_convert_at_the_control_groups_rate(admin):
    campaign = campaign_make(admin, started=days_ago(5))
    audience(admin, campaign, treated=1500, control=1500, treated_rate=0.1, control_rate=0.1,
             treated_spend=100, control_spend=100)
    lifted = selectors.lift(campaign)
    assert (lifted.treated, lifted.control) == (1500, 1500)
    assert lifted.conversion.low < 0 < lifted.conversion.high
    assert lifted.revenue.low < 0 < lifted.revenue.high
    assert not lifted.conversion.excludes_zero


def test_a_real_effect_is_detected_in_conversion_and_revenue(admin):
    campaign = campaign_make(admin, started=days_ago(5))
    audience(admin, campaign, treated=1500, control=1500, treated_rate=0.2, control_rate=0.1,
             treated_spend=100, control_spend=100)
    lifted = selectors.lift(campaign)
    assert lifted.conversion.low > 0.05 and lifted.conversion.estimate == pytest.approx(
        lifted.treated_converted / 1500 - lifted.control_converted / 1500)
    assert lifted.revenue.low > 0
    assert lifted.incremental_margin > 0


def test_roi_on_incremental_margin_with_messages_and_cost_to_serve(admin):
    campaign = campaign_make(admin, started=days_ago(5), fixed_cost=Decimal("500"),
                             cost_per_message=Decimal("0.10"))
    audience(admin, campaign, treated=400, control=400, treated_rate=0.3, control_rate=0.1,
             treated_spend=50, control_spend=50)
    with as_user(admin):
        CostRate.objects.create(organization=admin.organization, driver="order",
                                rate=Decimal("2.5"))
        result = selectors.results(campaign)
    orders = result.total.orders
    assert result.roi.messages_cost == Decimal("40.00")
    assert result.roi.serve_cost == Decimal("2.5") * orders
    cost = Decimal("540.00") + result.roi.serve_cost
    assert result.roi.cost == cost
    margin = result.lift.incremental_margin
    assert result.roi.ratio == pytest.approx(float((margin - cost) / cost))


def test_deliveries_of_attributed_orders_cost_the_delivery_rate(admin):
    campaign = campaign_make(admin, started=days_ago(3))
    account = AccountFactory(actor=admin)
    ana = ContactFactory(actor=admin, email="ana@sur.es", first_name="Ana")
    recipient_make(campaign, ana, account=account)
    order = OrderFactory(actor=admin, account=account, ordered_on=timezone.localdate())
    DeliveryFactory(actor=admin, order=order)
    with as_user(admin):
        CostRate.objects.create(organization=admin.organization, driver="order", rate=3)
        CostRate.objects.create(organization=admin.organization, driver="delivery", rate=7)
        from vinculo.marketing.results import costs

        assert costs.serve_cost(campaign) == Decimal("10.00")


def test_a_campaign_without_a_control_group_has_no_measurable_lift(admin):
    campaign = campaign_make(admin)
    ana = ContactFactory(actor=admin, email="ana@sur.es", first_name="Ana")
    recipient_make(campaign, ana)
    lifted = selectors.lift(campaign)
    assert not lifted.measurable
    assert lifted.incremental_margin == Decimal("0.00")
    campaign.fixed_cost = Decimal("100")
    with as_user(admin):
        result = selectors.results(campaign)
    assert result.roi.cost == Decimal("100.00") and result.roi.ratio is None
    assert RecipientStatus.CONTROL not in set(
        CampaignRecipient.objects.values_list("status", flat=True))



def test_the_campaign_roi_objective_counts_the_periods_campaigns_with_a_control_group(users):
    """The indicator adds the margins and costs of the campaigns started in the period that
    can be measured, as their results pages show them; by owner for a person's objective."""
    admin, marketer = users[Role.ADMIN], users[Role.MARKETING]
    won = campaign_make(admin, name="Won", started=days_ago(5), fixed_cost=Decimal("300"),
                        cost_per_message=Decimal("0.10"))
    audience(admin, won, treated=300, control=300, treated_rate=0.3, control_rate=0.1,
             treated_spend=60, control_spend=60)
    lost = campaign_make(marketer, name="Lost", started=days_ago(4), fixed_cost=Decimal("900"))
    audience(admin, lost, treated=200, control=200, treated_rate=0.1, control_rate=0.15,
             treated_spend=40, control_spend=40, seed=12)
    unmeasured = campaign_make(admin, name="No control", started=days_ago(3),
                               fixed_cost=Decimal("5000"))
    recipient_make(unmeasured, ContactFactory(actor=admin, email="ana@sur.es"))
    older = campaign_make(admin, name="Older", started=days_ago(60), fixed_cost=Decimal("100"))
    audience(admin, older, treated=100, control=100, treated_rate=0.4, control_rate=0.1,
             treated_spend=30, control_spend=30, seed=13)
    indicator = objectives.indicators()["campaign_roi"]
    today = timezone.localdate()

    def measured(start, end, owners=None):
        with as_user(admin):
            return objectives.measure(indicator, organization=admin.organization,
                                      start=start, end=end, owners=owners)

    with as_user(admin):
        pages = {c.name: selectors.results(c).roi for c in (won, lost, older)}
        assert selectors.results(unmeasured).roi.ratio is None

    def percent(*names):
        margin = sum(pages[name].incremental_margin for name in names)
        cost = sum(pages[name].cost for name in names)
        return Decimal(str(round(float((margin - cost) / cost * 100), 1)))

    assert pages["Won"].cost + pages["Lost"].cost == Decimal("1230.00")  # 300 + 30 + 900
    assert pages["Won"].ratio > 0 > pages["Lost"].ratio
    week = (today - dt.timedelta(days=7), today)
    assert measured(*week) == percent("Won", "Lost")
    assert measured(*week, owners=[marketer.pk]) == percent("Lost")
    assert measured(today - dt.timedelta(days=70),
                    today - dt.timedelta(days=50)) == percent("Older")
    assert measured(today - dt.timedelta(days=40), today - dt.timedelta(days=20)) is None
    assert indicator.label == "Campaign ROI" and indicator.unit == "return"

# ---- the A/B winner ------------------------------------------------------------------------


def _ab(admin, *, a_clicks: int, b_clicks: int, size: int = 200):
    campaign = campaign_make(admin, variants=("A", "B"), started=days_ago(3))
    audience(admin, campaign, treated=2 * size, control=0, treated_rate=0.5, control_rate=0,
             treated_spend=40)
    rows = list(CampaignRecipient.objects.filter(campaign=campaign).order_by("id"))
    with as_user(admin):
        a, b = campaign.variants.order_by("name")
    for i, row in enumerate(rows):
        first = i < size
        row.variant = a if first else b
        index = i if first else i - size
        row.clicked_at = row.sent_at if index < (a_clicks if first else b_clicks) else None
    CampaignRecipient.objects.bulk_update(rows, ["variant", "clicked_at"])
    return campaign


def test_the_ab_winner_by_click_rate_needs_a_significant_difference(admin):
    clear = _ab(admin, a_clicks=30, b_clicks=60)
    with as_user(admin):
        result = selectors.results(clear, metric="click_rate")
    assert (result.winner.variant, result.winner.leader) == ("B", "B")
    assert result.winner.p_value < 0.001
    close = _ab(admin, a_clicks=50, b_clicks=52)
    with as_user(admin):
        result = selectors.results(close, metric="click_rate")
    assert result.winner.variant is None and result.winner.leader == "B"
    assert result.winner.p_value > 0.5


def test_the_ab_winner_by_revenue_per_recipient_uses_welchs_test(admin):
    campaign = _ab(admin, a_clicks=0, b_clicks=0)
    with as_user(admin):
        result = selectors.results(campaign, metric="revenue_per_recipient")
        rates = {group.name: group.rate("revenue_per_recipient") for group in result.variants}
    assert result.winner.leader == max(rates, key=lambda name: rates[name] or 0)
    assert 0 < result.winner.p_value <= 1
    assert result.winner.label == "Revenue per recipient"
