"""Pipelines, opportunities, moves between stages, forecast and funnel."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from tests.catalog.factories import ProductFactory
from tests.conftest import token_client
from tests.customers.factories import AccountFactory, LeadFactory
from vinculo.core.services import PermissionDeniedError
from vinculo.sales import selectors, services
from vinculo.sales.models import Opportunity, StageChange


@pytest.fixture
def pipeline(as_admin):
    return services.pipeline_default(organization=as_admin.organization)


def stage(pipeline, name):
    return pipeline.stages.get(name=name)


def opportunity(actor, **data):
    account = data.pop("account", None) or AccountFactory(actor=actor)
    return services.opportunity_create(actor=actor, data={"name": "Deal", "account": account,
                                                          **data})


@pytest.mark.django_db
def test_default_pipeline_has_ordered_stages_with_probabilities(pipeline):
    rows = list(pipeline.stages.order_by("order").values_list("name", "probability", "kind"))
    assert rows[0] == ("Qualification", Decimal("10.00"), "open")
    assert rows[-2:] == [("Won", Decimal("100.00"), "won"), ("Lost", Decimal("0.00"), "lost")]


@pytest.mark.django_db
def test_pipeline_needs_won_and_lost_stages(as_admin):
    with pytest.raises(ValidationError) as error:
        services.pipeline_create(actor=as_admin, organization=as_admin.organization, name="X",
                                 stages=[("Open", Decimal(10), "open")])
    assert "stages" in error.value.message_dict


@pytest.mark.django_db
def test_move_records_history_and_time_spent(as_admin, pipeline):
    opp = opportunity(as_admin, amount=Decimal("1200.00"))
    assert (opp.stage.name, opp.probability, opp.status) == ("Qualification", Decimal(10), "open")
    Opportunity.objects.filter(pk=opp.pk).update(
        stage_entered_at=timezone.now() - dt.timedelta(days=3))
    opp.refresh_from_db()
    services.opportunity_move(actor=as_admin, opportunity=opp, stage=stage(pipeline, "Proposal"))
    opp.refresh_from_db()
    assert (opp.stage.name, opp.probability) == ("Proposal", Decimal(50))
    change = StageChange.objects.filter(opportunity=opp).last()
    assert change.from_stage.name == "Qualification"
    assert 3 * 86400 - 5 <= change.seconds_in_previous <= 3 * 86400 + 5
    spent = {row["stage"].name: row["seconds"] for row in selectors.time_in_stages(opp)}
    assert spent["Qualification"] == change.seconds_in_previous
    assert opp.account.lifecycle_stage == "opportunity"


@pytest.mark.django_db
def test_winning_makes_a_customer_and_losing_needs_a_reason(as_admin, pipeline):
    won = opportunity(as_admin)
    services.opportunity_move(actor=as_admin, opportunity=won, stage=stage(pipeline, "Won"))
    won.refresh_from_db()
    assert (won.status, won.probability) == ("won", Decimal(100))
    assert won.closed_at is not None
    won.account.refresh_from_db()
    assert won.account.lifecycle_stage == "customer"
    lost = opportunity(as_admin)
    with pytest.raises(ValidationError) as error:
        services.opportunity_move(actor=as_admin, opportunity=lost, stage=stage(pipeline, "Lost"))
    assert "lost_reason" in error.value.message_dict
    services.opportunity_move(actor=as_admin, opportunity=lost, stage=stage(pipeline, "Lost"),
                              lost_reason="Price")
    lost.refresh_from_db()
    assert (lost.status, lost.lost_reason) == ("lost", "Price")


@pytest.mark.django_db
def test_weighted_forecast_by_month_and_owner(as_admin, users, pipeline):
    rep = users["sales_rep"]
    june = dt.date(2027, 6, 15)
    opportunity(as_admin, amount=Decimal("1000.00"), expected_close=june)  # 10 %
    moved = opportunity(as_admin, amount=Decimal("3000.00"), expected_close=june)
    services.opportunity_move(actor=as_admin, opportunity=moved,
                              stage=stage(pipeline, "Negotiation"))  # 75 %
    opportunity(as_admin, amount=Decimal("500.00"), expected_close=dt.date(2027, 7, 1),
                owner=rep)
    rows = selectors.weighted_forecast(user=as_admin)
    june_row = next(r for r in rows if r["month"].month == 6)
    assert (june_row["count"], june_row["amount"], june_row["weighted"]) == (
        2, Decimal("4000.00"), Decimal("2350.00"))
    july_row = next(r for r in rows if r["month"].month == 7)
    assert july_row["weighted"] == Decimal("50.00") and "Sales Rep" in july_row["owner"]


@pytest.mark.django_db
def test_funnel_rates_by_source(as_admin, pipeline):
    for i in range(4):
        LeadFactory(actor=as_admin, source="web", email=f"web{i}@x.es", company_name=f"Web {i}")
    leads = list(LeadFactory(actor=as_admin, source="event", email=f"ev{i}@x.es",
                             company_name=f"Ev {i}") for i in range(2))
    converted = []
    from vinculo.customers.models import Lead
    for lead in Lead.objects.filter(source="web")[:2]:
        converted.append(services.lead_convert_to_opportunity(actor=as_admin, lead=lead)[2])
    services.opportunity_move(actor=as_admin, opportunity=converted[0],
                              stage=stage(pipeline, "Won"))
    services.opportunity_move(actor=as_admin, opportunity=converted[1],
                              stage=stage(pipeline, "Lost"), lost_reason="Timing")
    rows = {row["key"]: row for row in selectors.conversion_funnel(user=as_admin)}
    assert rows["web"]["leads"] == 4 and rows["web"]["from_leads"] == 2
    assert rows["web"]["lead_to_opportunity"] == 50.0
    assert rows["web"]["win_rate"] == 50.0
    assert rows["web"]["days_to_close"] is not None
    assert rows["event"]["leads"] == 2 and rows["event"]["lead_to_opportunity"] == 0.0
    assert len(leads) == 2


@pytest.mark.django_db
def test_api_create_move_and_conflict(as_admin, api, pipeline):
    account = AccountFactory(actor=as_admin)
    created = api.post("/api/opportunities/", {
        "name": "Olive oil for 2027", "account": str(account.uuid), "currency": "EUR",
        "lines": [{"description": "Extra virgin 5 l", "quantity": "10", "unit_price": "42.50",
                   "discount_percent": "10"}]}, format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["amount"] == "382.50"  # 10 × 42.50 − 10 %
    won = str(stage(pipeline, "Won").uuid)
    moved = api.post(f"/api/opportunities/{body['id']}/move/", {"stage": won, "version": 1},
                     format="json")
    assert moved.status_code == 200 and moved.json()["status"] == "won"
    stale = api.patch(f"/api/opportunities/{body['id']}/", {"name": "x", "version": 1},
                      format="json")
    assert stale.status_code == 409


@pytest.mark.django_db
def test_other_organisation_and_read_only_cannot_move(as_admin, pipeline, other_admin, users):
    opp = opportunity(as_admin)
    won = str(stage(pipeline, "Won").uuid)
    assert token_client(other_admin).post(f"/api/opportunities/{opp.uuid}/move/",
                                          {"stage": won}, format="json").status_code == 404
    assert token_client(users["read_only"]).post(f"/api/opportunities/{opp.uuid}/move/",
                                                 {"stage": won}, format="json").status_code == 403
    opp.refresh_from_db()
    assert opp.status == "open"


@pytest.mark.django_db
def test_api_deletes_an_opportunity_through_its_service(as_admin, api, other_admin, users):
    opp = opportunity(as_admin, amount=Decimal("500.00"))
    url = f"/api/opportunities/{opp.uuid}/"
    assert token_client(other_admin).delete(url).status_code == 404
    assert token_client(users["read_only"]).delete(url).status_code == 403
    assert Opportunity.objects.filter(pk=opp.pk).exists()
    assert api.delete(url).status_code == 204
    assert not Opportunity.all_objects.filter(pk=opp.pk).exists()
    assert not StageChange.all_objects.filter(opportunity_id=opp.pk).exists()


@pytest.mark.django_db
def test_opportunity_delete_needs_the_delete_permission(as_admin, users):
    opp = opportunity(as_admin)
    with pytest.raises(PermissionDeniedError):
        services.opportunity_delete(actor=users["read_only"], opportunity=opp)
    services.opportunity_delete(actor=as_admin, opportunity=opp)
    assert not Opportunity.all_objects.filter(pk=opp.pk).exists()


@pytest.mark.django_db
def test_board_shows_counts_amounts_and_cards(as_admin, page, pipeline):
    for amount in ("100.00", "250.00"):
        opportunity(as_admin, amount=Decimal(amount), name=f"Deal {amount}")
    html = page.get("/sales/board/").content.decode()
    assert "Deal 100.00" in html and "Deal 250.00" in html
    columns = selectors.board(pipeline=pipeline, user=as_admin)
    first = columns[0]
    assert (first.count, first.amount) == (2, Decimal("350.00"))


@pytest.mark.django_db
def test_account_timeline_shows_opportunities(as_admin, page, pipeline):
    account = AccountFactory(actor=as_admin, name="Olivar SL")
    opp = opportunity(as_admin, account=account, name="Aceite 2027")
    services.opportunity_move(actor=as_admin, opportunity=opp, stage=stage(pipeline, "Won"))
    html = page.get(f"/customers/accounts/{account.uuid}/").content.decode()
    assert "Opportunity opened: Aceite 2027" in html
    assert "Opportunity won: Aceite 2027" in html
    assert f"/sales/opportunities/new/?account={account.uuid}" in html


@pytest.mark.django_db
def test_new_opportunity_page_with_account_picker(as_admin, page):
    account = AccountFactory(actor=as_admin, name="Conservas Ortiz SA")
    options = page.get("/sales/accounts/pick/?account_search=ortiz").content.decode()
    assert "Conservas Ortiz SA" in options and str(account.uuid) in options
    form = page.get(f"/sales/opportunities/new/?account={account.uuid}").content.decode()
    assert 'value="Conservas Ortiz SA"' in form
    response = page.post("/sales/opportunities/new/", {
        "account": str(account.uuid), "name": "Latas 2027", "amount": "900.00",
        "currency": "EUR", "source": ""})
    assert response.status_code == 302, response.content.decode()[:2000]
    opp = Opportunity.objects.get(name="Latas 2027")
    assert opp.account == account and opp.owner == as_admin


@pytest.mark.django_db
def test_opportunity_lines_from_the_catalogue(as_admin, api, pipeline):

    product = ProductFactory(actor=as_admin, name="Aceite 5 l", list_price="32.50")
    account = AccountFactory(actor=as_admin)
    created = api.post("/api/opportunities/", {
        "name": "Aceite", "account": str(account.uuid),
        "lines": [{"product": str(product.uuid), "quantity": "4"},
                  {"description": "Transporte", "quantity": "1", "unit_price": "20.00"}]},
        format="json")
    assert created.status_code == 201, created.content
    assert created.json()["amount"] == "150.00"  # 4 × 32.50 + 20
    assert created.json()["lines"][0]["description"] == "Aceite 5 l"
    bad = api.post("/api/opportunities/", {"name": "X", "account": str(account.uuid),
                                           "lines": [{"quantity": "1"}]}, format="json")
    assert bad.status_code == 400 and "lines" in bad.json()
