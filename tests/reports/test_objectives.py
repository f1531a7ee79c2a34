"""Objectives: actuals measured by the apps' selectors against figures counted here from the
rows, the pace projection, the trend, who sets and who sees them, and bad input refused by
field with nothing written."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from tests.billing.factories import InvoiceFactory
from tests.conftest import make_user, token_client
from tests.core.factories import as_user
from tests.customers.factories import AccountFactory
from tests.sales.factories import OpportunityFactory, free_line
from tests.service.factories import QueueFactory, TicketFactory
from vinculo.billing.models import Invoice
from vinculo.core.roles import Role
from vinculo.core.services import team_get_or_create
from vinculo.core.tenancy import organization_scope
from vinculo.reports import services_objectives
from vinculo.reports.models import Objective
from vinculo.reports.objectives import pace, previous_periods, progress, visible_objectives
from vinculo.reports.templatetags.objectives import indicator_target
from vinculo.sales.models import Opportunity, OpportunityStatus
from vinculo.service.models import Ticket, TicketType

MARCH = (dt.date(2026, 3, 1), dt.date(2026, 3, 31))
D = Decimal


def objective(admin, indicator="revenue", start=MARCH[0], end=MARCH[1], target="1000", **more):
    with as_user(admin):
        return services_objectives.objective_create(actor=admin, data={
            "indicator": indicator, "start": start, "end": end, "target": D(target), **more})


# ---- pace and periods (no database) ------------------------------------------------------------


def test_a_sum_is_projected_linearly_and_a_rate_at_its_value():
    running = pace(actual=D("300"), target=D("800"), start=MARCH[0], end=MARCH[1],
                   today=dt.date(2026, 3, 10), additive=True, higher_is_better=True)
    assert (running.state, running.days_gone, running.days_total) == ("running", 10, 31)
    assert running.projected == D("930.00") and running.on_track is True  # 300 × 31 / 10
    behind = pace(actual=D("200"), target=D("800"), start=MARCH[0], end=MARCH[1],
                  today=dt.date(2026, 3, 10), additive=True, higher_is_better=True)
    assert behind.projected == D("620.00") and behind.on_track is False
    complaints = pace(actual=D("4"), target=D("10"), start=MARCH[0], end=MARCH[1],
                      today=dt.date(2026, 3, 10), additive=True, higher_is_better=False)
    assert complaints.projected == D("12.40") and complaints.on_track is False  # fewer is better
    rate = pace(actual=D("91.5"), target=D("90"), start=MARCH[0], end=MARCH[1],
                today=dt.date(2026, 3, 2), additive=False, higher_is_better=True)
    assert rate.projected == D("91.5") and rate.on_track is True
    assert pace(actual=None, target=D(1), start=MARCH[0], end=MARCH[1],
                today=dt.date(2026, 2, 1), additive=True, higher_is_better=True).state == "upcoming"
    closed = pace(actual=D("700"), target=D("800"), start=MARCH[0], end=MARCH[1],
                  today=dt.date(2026, 4, 3), additive=True, higher_is_better=True)
    assert (closed.state, closed.projected, closed.on_track) == ("closed", D("700"), False)


def test_previous_periods_keep_the_shape():
    assert previous_periods(dt.date(2026, 1, 1), dt.date(2026, 3, 31), 2) == [
        (dt.date(2025, 7, 1), dt.date(2025, 9, 30)), (dt.date(2025, 10, 1), dt.date(2025, 12, 31))]
    assert previous_periods(*MARCH, 1) == [(dt.date(2026, 2, 1), dt.date(2026, 2, 28))]
    assert previous_periods(dt.date(2026, 3, 5), dt.date(2026, 3, 14), 1) == [
        (dt.date(2026, 2, 23), dt.date(2026, 3, 4))]


# ---- actuals against the rows ------------------------------------------------------------------


@pytest.fixture
def invoices(users):
    """Invoices of accounts owned by the three representatives, issued in January–March, in
    two currencies (only the base currency, EUR, counts)."""
    admin = users[Role.ADMIN]
    owners = [users[Role.SALES_REP], users["sales_rep_2"], users["sales_rep_south"]]
    days = [dt.date(2026, 1, 20), dt.date(2026, 2, 3), dt.date(2026, 2, 27),
            dt.date(2026, 3, 2), dt.date(2026, 3, 9), dt.date(2026, 3, 30)]
    for n, day in enumerate(days):
        owner = owners[n % 3]
        account = AccountFactory(actor=admin, owner=owner, team=owner.team)
        InvoiceFactory(actor=admin, account=account, issued=True, issue_date=day,
                       currency="USD" if n == 4 else "EUR",
                       lines=[free_line("Aceite", str(n + 1), f"{100 + 7 * n}.35")])
    return owners


def _revenue(first, last, owners=None):
    """Net invoiced in EUR from the rows, counted in Python."""
    total = D(0)
    for invoice in Invoice.all_objects.select_related("account"):
        if (invoice.issue_date and first <= invoice.issue_date <= last
                and invoice.currency == "EUR"
                and (owners is None or invoice.account.owner_id in owners)):
            total += invoice.net_amount
    return total


def test_revenue_for_the_organisation_a_team_and_a_person(users, invoices):
    admin = users[Role.ADMIN]
    rep, rep2, south = invoices
    org_wide = objective(admin, target="2000")
    team = objective(admin, target="700", scope="team", team=rep.team)
    person = objective(admin, target="300", scope="user", user=south)
    today = dt.date(2026, 3, 10)
    with organization_scope(admin.organization):
        shown = progress(org_wide, today=today)
        assert shown.actual == _revenue(MARCH[0], today) > 0
        assert [row["value"] for row in shown.trend] == [
            _revenue(dt.date(2025, 12, 1), dt.date(2025, 12, 31)),
            _revenue(dt.date(2026, 1, 1), dt.date(2026, 1, 31)),
            _revenue(dt.date(2026, 2, 1), dt.date(2026, 2, 28))]
        assert shown.trend[2]["value"] > 0
        assert shown.pace.projected == (shown.actual * 31 / 10).quantize(D("0.01"))
        assert progress(team, today=today).actual == _revenue(MARCH[0], today, {rep.pk, rep2.pk})
        assert progress(person, today=today).actual == _revenue(MARCH[0], today, {south.pk})
        closed = progress(org_wide, today=dt.date(2026, 4, 2))
        assert closed.actual == _revenue(*MARCH) and closed.pace.state == "closed"
        assert closed.pace.on_track is (closed.actual >= D("2000"))


def test_complaints_and_conversion_counted_from_the_rows(users):
    admin, agent = users[Role.ADMIN], users[Role.SERVICE_AGENT]
    rep, south = users[Role.SALES_REP], users["sales_rep_south"]
    queue = QueueFactory(actor=admin)
    for n in range(5):
        TicketFactory(actor=admin, queue=queue, subject=f"Queja {n}",
                      type=TicketType.COMPLAINT if n != 2 else TicketType.REQUEST,
                      assignee=agent if n % 2 else None)
    statuses = [OpportunityStatus.WON, OpportunityStatus.LOST, OpportunityStatus.WON,
                OpportunityStatus.OPEN, OpportunityStatus.LOST]
    for n, status in enumerate(statuses):
        opp = OpportunityFactory(actor=admin, owner=rep if n < 3 else south)
        Opportunity.all_objects.filter(pk=opp.pk).update(status=status)
    today = dt.date.today()
    start, end = today.replace(day=1), today + dt.timedelta(days=30)
    everyone = objective(admin, "complaints", start, end, "10")
    mine = objective(admin, "complaints", start, end, "2", scope="user", user=agent)
    won = objective(admin, "conversion_rate", start, end, "50")
    reps = objective(admin, "conversion_rate", start, end, "50", scope="user", user=rep)
    with organization_scope(admin.organization):
        tickets = list(Ticket.objects.all())
        assert progress(everyone, today=today).actual == sum(
            t.type == TicketType.COMPLAINT for t in tickets) == 4
        assert progress(mine, today=today).actual == sum(
            t.type == TicketType.COMPLAINT and t.assignee_id == agent.pk for t in tickets) == 2
        rows = list(Opportunity.objects.all())

        def win_rate(opps):
            done = [o for o in opps if o.status in (OpportunityStatus.WON, OpportunityStatus.LOST)]
            return round(D(100) * sum(o.status == OpportunityStatus.WON for o in done)
                         / len(done), 1)

        assert progress(won, today=today).actual == win_rate(rows) == D("50.0")
        assert progress(reps, today=today).actual == win_rate(
            [o for o in rows if o.owner_id == rep.pk]) == D("66.7")


# ---- who sets and who sees ---------------------------------------------------------------------


def test_who_sets_objectives_and_who_sees_them(users):
    admin, manager = users[Role.ADMIN], users[Role.SALES_MANAGER]
    rep, rep2, agent = users[Role.SALES_REP], users["sales_rep_2"], users[Role.SERVICE_AGENT]
    revenue = objective(manager, target="5000")
    for_rep2 = objective(admin, "complaints", scope="user", user=rep2, target="1")
    for_north = objective(admin, "complaints", scope="team", team=rep.team, target="3")
    complaints = objective(admin, "complaints", target="9")
    with organization_scope(admin.organization):
        assert set(visible_objectives(manager)) == {revenue, for_rep2, for_north, complaints}
        # a representative: no organisation-wide money, their team's and the organisation's
        assert set(visible_objectives(rep)) == {for_north, complaints}
        assert set(visible_objectives(rep2)) == {for_rep2, for_north, complaints}
        assert set(visible_objectives(agent)) == {complaints}
    response = token_client(rep).post("/api/objectives/", {
        "indicator": "complaints", "start": "2026-03-01", "end": "2026-03-31", "target": "2"},
        format="json")
    assert response.status_code == 403
    hidden = token_client(agent).get(f"/api/objectives/{revenue.uuid}/progress/")
    assert hidden.status_code == 404


def test_the_api_gives_the_progress(users, invoices):
    admin = users[Role.ADMIN]
    shown = objective(admin, start=dt.date(2026, 1, 1), end=dt.date(2026, 2, 28), target="100")
    with organization_scope(admin.organization):
        expected = _revenue(dt.date(2026, 1, 1), dt.date(2026, 2, 28))
    body = token_client(admin).get(f"/api/objectives/{shown.uuid}/progress/").json()
    assert body["actual"] == str(expected) and body["state"] == "closed"
    assert body["projection"] == "linear" and body["on_track"] is True
    assert [row["start"] for row in body["trend"]] == ["2025-07-01", "2025-09-01", "2025-11-01"]


# ---- bad input ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("change", "field"), [
    ({"indicator": "happiness"}, "indicator"),
    ({"end": "2026-02-28"}, "end"),
    ({"target": "140"}, "target"),  # a percentage over 100
    ({"scope": "team", "team": "OTHER"}, "team"),
    ({"scope": "team"}, "team"),
    ({"indicator": "retention", "scope": "user", "user": "REP"}, "scope"),
])
def test_bad_input_is_refused_by_field_and_nothing_is_written(users, other_org, change, field):
    admin = users[Role.ADMIN]
    other_team = team_get_or_create(organization=other_org, name="Fuera")
    payload = {"indicator": "sla_compliance", "start": "2026-03-01", "end": "2026-03-31",
               "target": "95", **change}
    if payload.get("team") == "OTHER":
        payload["team"] = str(other_team.uuid)
    if payload.get("user") == "REP":
        payload["user"] = str(users[Role.SALES_REP].uuid)
    response = token_client(admin).post("/api/objectives/", payload, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert not Objective.all_objects.exists()



def test_a_return_is_not_a_share_its_objective_may_pass_100_or_be_negative(users):
    """Campaign ROI is a gain over a cost: 250 % is an objective, where a share over 100 is
    refused (above)."""
    admin = users[Role.ADMIN]
    for target in ("250", "-20"):
        shown = objective(admin, indicator="campaign_roi", target=target)
        assert shown.target == D(target)
    response = token_client(admin).post("/api/objectives/", {
        "indicator": "sla_compliance", "start": "2026-03-01", "end": "2026-03-31",
        "target": "-5"}, format="json")
    assert response.status_code == 400 and "target" in response.json()
    with as_user(admin), translation.override("es"):
        assert indicator_target(Objective.objects.get(target=D(250))) == "250,0 %"

def test_a_team_of_another_organisation_is_refused_by_the_service(users, other_org):
    admin = users[Role.ADMIN]
    other = make_user(other_org, Role.SALES_REP, "x@globex.test")
    with as_user(admin), pytest.raises(ValidationError) as refused:
        services_objectives.objective_create(actor=admin, data={
            "indicator": "revenue", "scope": "user", "user": other, "start": MARCH[0],
            "end": MARCH[1], "target": D(1)})
    assert "user" in refused.value.message_dict
    assert not Objective.all_objects.exists()
