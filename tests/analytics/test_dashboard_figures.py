"""The dashboard's figures as the view builds them (data and layout), in Spanish and English:
translated labels and month names, numbers in the user's locale, legends clear of the axis
labels, complete months only, migration between two different dates, conversion by the real
source, and one definition of the delivery indicators on both pages that show them."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.templatetags.static import static
from django.urls import reverse

from tests.analytics.test_product_pages import scored  # noqa: F401  (fixture)
from tests.analytics.test_product_recompute import AS_OF_1, AS_OF_2
from tests.customers.factories import AccountFactory, LeadFactory
from tests.sales.factories import DeliveryFactory, OpportunityFactory, OrderFactory
from vinculo.analytics import selectors
from vinculo.billing import selectors as billing_selectors
from vinculo.sales import services as sales_services
from vinculo.sales.documents import services as documents

pytestmark = pytest.mark.django_db

FIGURES = ("retention_chart", "segments_chart", "recency_chart",
           "clv_chart", "whale_chart", "migration_chart")


def dashboard(client, user, language: str, **params):
    user.language = language
    user.save(update_fields=["language"])
    client.force_login(user)
    response = client.get(reverse("analytics:dashboard"), params)
    assert response.status_code == 200
    return response


@pytest.mark.parametrize(("language", "separators", "last_month", "champions"), [
    ("es", ",.", "Dic 2024", "Campeones"),
    ("en", ".,", "Dec 2024", "Champions"),
])
def test_figures_speak_the_users_language(scored, client, language,  # noqa: F811
                                          separators, last_month, champions):
    admin, _accounts = scored
    response = dashboard(client, admin, language)
    context = response.context
    for name in FIGURES:
        layout = context[name]["layout"]
        assert layout["separators"] == separators, name
        if layout.get("showlegend", True):
            # the legend sits above the plot, clear of the axis labels below it
            assert layout["legend"]["y"] >= 1 and layout["legend"]["yanchor"] == "bottom", name
    retention = context["retention_chart"]["data"][0]
    assert retention["x"][-1] == last_month  # month names in the language, not ISO dates
    assert context["retention_chart"]["layout"]["xaxis"]["type"] == "category"
    assert champions in context["segments_chart"]["data"][0]["x"]
    assert champions in context["migration_chart"]["data"][0]["y"]
    # axes that count customers show whole numbers, grouped like the language groups them
    for name, axis in (("retention_chart", "yaxis2"), ("segments_chart", "yaxis"),
                       ("clv_chart", "yaxis")):
        layout = context[name]["layout"][axis]
        assert (layout["tickformat"], layout["separatethousands"]) == (",d", True), name
    assert context["segments_chart"]["layout"]["yaxis2"]["separatethousands"] is True
    # each figure is a JSON block drawn by a static script: no inline script on the page
    html = response.content.decode()
    # the cards of money (total CLV, revenue, profit) carry the organisation's currency
    cards = re.findall(r'<div class="h4 mb-0">([^<]*)</div>', html)
    assert [("€" in card) for card in cards[:5]] == [False, False, True, True, True], cards
    assert html.count('class="plotly-figure"') == len(FIGURES)
    assert "Plotly.newPlot" not in html and static("vinculo/figures.js") in html


def test_migration_compares_the_last_two_dates_never_one_date_with_itself(scored,  # noqa: F811
                                                                          client):
    admin, _accounts = scored
    context = dashboard(client, admin, "en").context
    assert (context["since"], context["as_of"]) == (AS_OF_1, AS_OF_2)
    titles = context["migration_chart"]["layout"]
    assert titles["yaxis"]["title"]["text"] != titles["xaxis"]["title"]["text"]
    # asked for the same date twice: the date before it instead
    context = dashboard(client, admin, "en", as_of=AS_OF_2, **{"from": AS_OF_2}).context
    assert context["since"] == AS_OF_1
    # the oldest date has nothing before it: no matrix, and the page says why
    response = dashboard(client, admin, "en", as_of=AS_OF_1)
    assert response.context["since"] is None and response.context["migration_chart"] is None
    assert "Needs snapshots of two dates" in response.content.decode()


def test_retention_leaves_out_the_month_under_way(as_admin):
    account = AccountFactory(actor=as_admin, name="Frutas Ruiz SL")
    for day in (dt.date(2025, 1, 10), dt.date(2025, 2, 10), dt.date(2025, 3, 3)):
        OrderFactory(actor=as_admin, account=account, ordered_on=day, promised=day)
    months = [r["month"] for r in selectors.retention_by_month(as_of=dt.date(2025, 3, 15))]
    assert months[-1] == dt.date(2025, 2, 1)  # March is not over: no fake churn
    months = [r["month"] for r in selectors.retention_by_month(as_of=dt.date(2025, 3, 31))]
    assert months[-1] == dt.date(2025, 3, 1)  # on its last day, March is complete


@pytest.mark.parametrize(("language", "web", "referral"), [
    ("es", "Sitio web", "Recomendación"), ("en", "Website", "Referral")])
def test_conversion_groups_opportunities_by_their_real_source(as_admin, client, api,
                                                              language, web, referral):
    admin = as_admin
    sales_services.pipeline_default(organization=admin.organization)
    for i in range(2):
        LeadFactory(actor=admin, source="web", email=f"w{i}@x.es", company_name=f"Web {i}")
    lead = LeadFactory(actor=admin, source="web", email="c@x.es", company_name="Conv")
    sales_services.lead_convert_to_opportunity(actor=admin, lead=lead)
    referred = AccountFactory(actor=admin, name="Recomendada SL", source="referral")
    OpportunityFactory(actor=admin, account=referred, name="Ampliación")
    context = dashboard(client, admin, language).context
    bars = {trace["name"]: dict(zip(trace["x"], trace["y"], strict=True))
            for trace in context["conversion_chart"]["data"]}
    opportunities = next(v for k, v in bars.items() if k in ("Opportunities", "Oportunidades"))
    # the converted lead's opportunity counts under its lead's source, the other under its
    # account's; none falls under an unknown source
    assert opportunities == {web: 1, referral: 1}
    rows = {r["key"]: r for r in api.get("/api/opportunities/funnel/").json()}
    assert (rows["web"]["opportunities"], rows["referral"]["opportunities"]) == (1, 1)
    assert "" not in rows  # nothing under an unknown source
    layout = context["conversion_chart"]["layout"]
    assert layout["separators"] == (",." if language == "es" else ".,")
    assert layout["legend"]["y"] >= 1


def test_both_pages_show_one_order_fill_rate(as_admin, client):
    admin = as_admin
    account = AccountFactory(actor=admin, name="Bodega Norte SL")
    promised = dt.date.today() - dt.timedelta(days=20)
    ordered = promised - dt.timedelta(days=10)
    whole = OrderFactory(actor=admin, account=account, ordered_on=ordered, promised=promised)
    DeliveryFactory(actor=admin, order=whole, delivered_on=promised)
    split = OrderFactory(actor=admin, account=account, ordered_on=ordered, promised=promised)
    first, second = split.lines.all()
    # completed, but in two deliveries: 100 % of the units, not a complete order
    documents.delivery_create(actor=admin, order=split, lines=[(first, first.quantity)],
                              delivered_on=ordered)
    documents.delivery_create(actor=admin, order=split, lines=[(second, second.quantity)],
                              delivered_on=promised)
    (row,) = billing_selectors.service_indicators(by="month", user=admin)
    dashboard_context = dashboard(client, admin, "en").context
    delivery = dashboard_context["delivery"]
    assert delivery["order_fill_rate"] == row["order_fill_rate"] == 50.0
    assert delivery["unit_fill_rate"] == 100.0 and delivery["line_fill_rate"] == 100.0
    html = client.get(reverse("analytics:dashboard")).content.decode()
    assert 'id="order-fill-rate">50.0 %' in html
    assert "orders shipped complete in a single delivery" in html  # its definition
    levels = client.get(reverse("billing:service_levels"), {"by": "month"}).content.decode()
    assert "orders shipped complete in a single delivery" in levels
    assert "<td class=\"text-end\">50.0</td>" in levels
    assert Decimal(delivery["orders_due"]) == 2


def test_the_conversion_chart_counts_won_deals_in_the_plural():
    """Next to "Clientes potenciales" and "Oportunidades" the won series read "Ganada" (a
    stage's kind, singular): as a count of deals it is "Ganadas"."""
    from django.utils import translation

    from vinculo.analytics import charts

    rows = [{"key": "web", "label": "Sitio web", "leads": 3, "opportunities": 2, "won": 1}]
    with translation.override("es"):
        names = [series["name"] for series in charts.conversion(rows)["data"]]
        assert names == ["Clientes potenciales", "Oportunidades", "Ganadas"]
        assert translation.gettext("Won") == "Ganada"  # the stage kind keeps its word


def test_the_whale_note_gives_both_shares_with_one_decimal(scored, client):  # noqa: F811
    """The note said "el 52,0 % superior genera el 105,36 % del beneficio": two shares of the
    same sentence now read alike, in the user's locale."""
    import re

    from django.utils import translation

    admin, _accounts = scored
    with translation.override(None):  # the Spanish request's language stays in this test
        html = dashboard(client, admin, "es").content.decode()
    shares = re.search(r"el (\S+) % superior genera el (\S+) % del beneficio", html)
    assert shares, "no whale note"
    assert all(re.fullmatch(r"-?[\d.]+,\d", share) for share in shares.groups()), shares.groups()
