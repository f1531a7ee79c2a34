"""The next-best action: suggestions from the latest snapshots and activity, accepted (a task
or a campaign enrolment) or dismissed with a reason, outcomes and hit rates, and who sees
what."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from tests.conftest import token_client
from tests.core.factories import as_user
from tests.marketing.factories_channels import campaign, customer, snapshot
from tests.sales.factories import OrderFactory
from tests.service.factories import QueueFactory, TicketFactory
from vinculo.core import events
from vinculo.core.roles import Role
from vinculo.interactions.agenda.services import task_cancel, task_complete
from vinculo.interactions.models import Task
from vinculo.marketing.actions import selectors, services
from vinculo.marketing.actions.models import Suggestion
from vinculo.marketing.models import CampaignRecipient

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
BEFORE = TODAY - dt.timedelta(days=30)


def overdue_gold(admin, owner, name="Oro Atrasado SL"):
    """Gold, usually buys every 34 days, last order 81 days ago."""
    account, contact = customer(admin, owner=owner, name=name, first_name="Marta")
    snapshot(account, TODAY, value_tier="Gold", clv=Decimal("3844"), frequency=10,
             recency_days=81, T=421, last_purchase=TODAY - dt.timedelta(days=81))
    return account, contact


@pytest.fixture
def scene(admin, users):
    rep = users[Role.SALES_REP]
    late = overdue_gold(admin, rep)
    complaint, _c = customer(admin, owner=rep, name="Platino Quejoso SL")
    snapshot(complaint, TODAY, value_tier="Platinum", clv=Decimal("9000"))
    QueueFactory(actor=admin)
    TicketFactory(actor=admin, subject="Mal servicio", type="complaint", account=complaint)
    falling, _c = customer(admin, owner=users["sales_rep_south"], name="Hierro Cayendo SL")
    snapshot(falling, BEFORE, value_tier="Iron", p_alive=0.82)
    snapshot(falling, TODAY, value_tier="Iron", p_alive=0.41)
    steady, _c = customer(admin, name="Hierro Estable SL")
    snapshot(steady, BEFORE, value_tier="Iron", p_alive=0.82)
    snapshot(steady, TODAY, value_tier="Iron", p_alive=0.80)
    ordered, _c = customer(admin, name="Oro Al Dia SL")
    snapshot(ordered, TODAY, value_tier="Gold", frequency=10, recency_days=81, T=421,
             last_purchase=TODAY - dt.timedelta(days=81))
    OrderFactory(actor=admin, account=ordered, ordered_on=TODAY - dt.timedelta(days=3))
    return {"late": late[0], "complaint": complaint, "falling": falling, "steady": steady,
            "ordered": ordered}


def refresh(admin):
    with as_user(admin):
        return services.suggestions_refresh(organization=admin.organization)


def test_the_rules_over_snapshots_and_activity(admin, scene):
    result = refresh(admin)
    found = {(s.account_id, s.rule, s.action) for s in Suggestion.all_objects.all()}
    assert found == {(scene["late"].pk, "overdue", "call"),
                     (scene["complaint"].pk, "complaint_open", "call"),
                     (scene["falling"].pk, "p_alive_falling", "call")}
    assert (result.created, result.expired, result.open) == (3, 0, 3)
    # a second run adds nothing; what no longer fires expires
    assert refresh(admin).created == 0
    from vinculo.service.models import Ticket
    Ticket.all_objects.filter(account=scene["complaint"]).update(status="closed")
    again = refresh(admin)
    assert (again.created, again.expired) == (0, 1)
    assert Suggestion.all_objects.get(rule="complaint_open").status == "expired"


def test_nothing_without_a_finished_snapshot(admin):
    account, _c = customer(admin)
    assert refresh(admin).created == 0
    snapshot(account, TODAY, value_tier="Gold", frequency=10, recency_days=200, T=400)
    from vinculo.analytics.models import AnalyticsRun
    AnalyticsRun.all_objects.update(status="running")
    assert refresh(admin).created == 0


def test_accept_makes_the_task_for_the_owner(admin, users, scene):
    rep = users[Role.SALES_REP]
    refresh(admin)
    suggestion = Suggestion.all_objects.get(rule="overdue")
    with as_user(rep), events.recording() as published:
        services.suggestion_accept(actor=rep, suggestion=suggestion)
    suggestion.refresh_from_db()
    task = Task.all_objects.get(pk=suggestion.task_id)
    assert (suggestion.status, suggestion.decided_by) == ("accepted", rep)
    assert task.assignee == rep and task.account == scene["late"] and task.status == "open"
    assert task.title == "Call Oro Atrasado SL"
    assert task.notes.startswith("usually buys every 34 days, last order 81 days ago")
    assert [o.name for o in published] == ["suggestion.accepted"]
    with as_user(rep), pytest.raises(ValidationError, match="already accepted"):
        services.suggestion_accept(actor=rep, suggestion=suggestion)
    assert Task.all_objects.count() == 1


def test_accept_enrols_in_a_campaign(admin, users, scene):
    rep = users[Role.SALES_REP]
    refresh(admin)
    suggestion = Suggestion.all_objects.get(rule="overdue")
    finished = campaign(admin, channel="phone", status="finished", name="Cerrada")
    with as_user(rep), pytest.raises(ValidationError) as refused:
        services.suggestion_accept(actor=rep, suggestion=suggestion, campaign=finished)
    assert "campaign" in refused.value.message_dict
    _other, stranger = customer(admin, name="Otra SL")
    draft = campaign(admin, channel="phone", status="draft", name="Recuperación")
    with as_user(rep), pytest.raises(ValidationError) as wrong_contact:
        services.suggestion_accept(actor=rep, suggestion=suggestion, campaign=draft,
                                   contact=stranger)
    assert "contact" in wrong_contact.value.message_dict
    assert not CampaignRecipient.objects.exists()
    assert Suggestion.all_objects.get(pk=suggestion.pk).status == "open"
    with as_user(rep):
        services.suggestion_accept(actor=rep, suggestion=suggestion, campaign=draft)
    member = CampaignRecipient.objects.get()
    assert (member.campaign, member.account, member.status) == (draft, scene["late"], "pending")
    assert member.contact.first_name == "Marta" and len(member.token) == 32
    assert Suggestion.all_objects.get(pk=suggestion.pk).campaign == draft
    assert not Task.all_objects.exists()


def test_dismiss_needs_a_reason_and_is_not_suggested_again(admin, users, scene):
    rep = users[Role.SALES_REP]
    refresh(admin)
    suggestion = Suggestion.all_objects.get(rule="overdue")
    for bad in ("", "   ", "x" * 1001):
        with as_user(rep), pytest.raises(ValidationError) as refused:
            services.suggestion_dismiss(actor=rep, suggestion=suggestion, reason=bad)
        assert "reason" in refused.value.message_dict
    assert Suggestion.all_objects.get(pk=suggestion.pk).status == "open"
    with as_user(rep):
        services.suggestion_dismiss(actor=rep, suggestion=suggestion, reason="Cierra en verano")
    suggestion.refresh_from_db()
    assert (suggestion.status, suggestion.dismiss_reason) == ("dismissed", "Cierra en verano")
    assert refresh(admin).created == 0  # snoozed


def test_another_teams_representative_cannot_act(admin, users, scene):
    refresh(admin)
    suggestion = Suggestion.all_objects.get(rule="overdue")
    south = users["sales_rep_south"]
    with as_user(south), pytest.raises(ValidationError):
        services.suggestion_accept(actor=south, suggestion=suggestion)
    from vinculo.core.services import PermissionDeniedError
    analyst = users[Role.ANALYST]
    with as_user(analyst), pytest.raises(PermissionDeniedError):
        services.suggestion_dismiss(actor=analyst, suggestion=suggestion, reason="No")
    assert Suggestion.all_objects.get(pk=suggestion.pk).status == "open"


def test_outcomes_and_hit_rates(admin, users, scene, client):
    rep = users[Role.SALES_REP]
    refresh(admin)
    overdue = Suggestion.all_objects.get(rule="overdue")
    complaint = Suggestion.all_objects.get(rule="complaint_open")
    with as_user(rep):
        overdue = services.suggestion_accept(actor=rep, suggestion=overdue)
        complaint = services.suggestion_accept(actor=rep, suggestion=complaint)
        assert services.suggestion_outcomes_record() == {"hit": 0, "miss": 0}  # tasks open
        task_complete(actor=rep, task=Task.all_objects.get(pk=overdue.task_id))
        task_cancel(actor=rep, task=Task.all_objects.get(pk=complaint.task_id))
        assert services.suggestion_outcomes_record() == {"hit": 0, "miss": 1}
    OrderFactory(actor=admin, account=scene["late"], ordered_on=TODAY)
    with as_user(admin):
        assert services.suggestion_outcomes_record() == {"hit": 1, "miss": 0}
    assert Suggestion.all_objects.get(pk=overdue.pk).outcome == "hit"
    assert Suggestion.all_objects.get(pk=complaint.pk).outcome == "miss"
    with as_user(admin):
        rates = {row["rule"]: row for row in selectors.hit_rates()}
    assert (rates["overdue"]["hits"], rates["overdue"]["hit_rate"]) == (1, Decimal(100))
    assert (rates["complaint_open"]["misses"], rates["complaint_open"]["hit_rate"]) == (1, 0)
    assert rates["p_alive_falling"]["hit_rate"] is None
    client.force_login(users[Role.SALES_MANAGER])
    page = client.get(reverse("marketing:suggestion_rules")).content.decode()
    assert "Overdue for an order" in page and "100.0 %" in page


def test_an_order_after_the_window_is_a_miss(admin, users, scene):
    rep = users[Role.SALES_REP]
    refresh(admin)
    suggestion = Suggestion.all_objects.get(rule="overdue")
    with as_user(rep):
        suggestion = services.suggestion_accept(actor=rep, suggestion=suggestion)
        task_complete(actor=rep, task=Task.all_objects.get(pk=suggestion.task_id))
        later = timezone.now() + dt.timedelta(days=31)
        assert services.suggestion_outcomes_record(now=later) == {"hit": 0, "miss": 1}


def test_recompute_event_refreshes(admin, scene, django_capture_on_commit_callbacks):
    from vinculo.analytics.models import AnalyticsRun
    run = AnalyticsRun.all_objects.filter(as_of=TODAY).first()
    with as_user(admin), django_capture_on_commit_callbacks(execute=True):
        events.publish("snapshot.recomputed", record=run, actor=admin, data={})
    assert Suggestion.all_objects.count() == 3


def test_command_refreshes_and_settles(admin, scene, capsys):
    call_command("suggestions_refresh", "--all")
    assert "3 suggested" in capsys.readouterr().out
    assert Suggestion.all_objects.count() == 3
    from django.core.management.base import CommandError
    with pytest.raises(CommandError):
        call_command("suggestions_refresh", "--organization", "Nadie")


def test_pages_panel_and_home(admin, users, scene, client):
    rep, south = users[Role.SALES_REP], users["sales_rep_south"]
    refresh(admin)
    client.force_login(rep)
    mine = client.get(reverse("marketing:suggestion_list")).content.decode()
    assert "Oro Atrasado SL" in mine and "Platino Quejoso SL" in mine
    assert "Hierro Cayendo" not in mine
    assert "usually buys every 34 days, last order 81 days ago" in mine
    panel_url = reverse("marketing:suggestion_panel")
    ref = f"customers.account:{scene['late'].uuid}"
    panel = client.get(panel_url, {"record": ref})
    assert panel.status_code == 200 and "usually buys every 34 days" in panel.content.decode()
    client.force_login(south)
    assert client.get(panel_url, {"record": ref}).status_code == 404
    assert client.get(panel_url, {"record": "customers.account:nada"}).status_code == 404
    # dismiss through the page: a reason is asked for
    client.force_login(rep)
    suggestion = Suggestion.all_objects.get(rule="overdue")
    dismiss = reverse("marketing:suggestion_dismiss", kwargs={"uuid": suggestion.uuid})
    assert client.post(dismiss, {"reason": " "}).status_code == 400
    assert client.post(dismiss, {"reason": "Ya hablé con él",
                                 "next": "https://evil.example/"}).status_code == 302
    assert Suggestion.all_objects.get(pk=suggestion.pk).status == "dismissed"
    accept = reverse("marketing:suggestion_accept",
                     kwargs={"uuid": Suggestion.all_objects.get(rule="complaint_open").uuid})
    assert client.post(accept, {"campaign": "nada"}).status_code == 400
    assert client.post(accept, {}).status_code == 302
    with as_user(rep):
        home = selectors.home_suggestions(rep)
    assert home["rows"] == [] and home["more"] is False
    client.force_login(users[Role.SALES_MANAGER])
    assert client.get(accept).status_code == 200


def test_api_list_accept_dismiss(admin, users, scene):
    rep = users[Role.SALES_REP]
    refresh(admin)
    api = token_client(rep)
    listed = api.get("/api/suggestions/", {"status": "open", "mine": "true"}).json()["results"]
    assert {row["account_name"] for row in listed} == {"Oro Atrasado SL", "Platino Quejoso SL"}
    overdue = next(row for row in listed if row["rule"] == "overdue")
    assert overdue["reason"].startswith("usually buys every 34 days")
    bad = api.post(f"/api/suggestions/{overdue['id']}/dismiss/", {"reason": ""}, format="json")
    assert bad.status_code == 400 and "reason" in bad.json()
    done = api.post(f"/api/suggestions/{overdue['id']}/accept/", {}, format="json")
    assert done.status_code == 200 and done.json()["status"] == "accepted"
    assert done.json()["task"] is not None
    again = api.post(f"/api/suggestions/{overdue['id']}/accept/", {}, format="json")
    assert again.status_code == 400
    falling = Suggestion.all_objects.get(rule="p_alive_falling")  # another team's account
    assert api.post(f"/api/suggestions/{falling.uuid}/accept/", {},
                    format="json").status_code == 404


def test_the_scheduler_lists_the_daily_refresh():
    """The job is declared in the contract, so ``vinculo scheduler`` (or cron) runs the
    command tested above every day."""
    from io import StringIO

    listed = StringIO()
    call_command("scheduler", "--list", stdout=listed)
    assert "suggestions_refresh --all: daily at 04:00" in listed.getvalue()
