"""The phone and visit channels: tasks for the account owners or the agent queue, the call
list each one sees, and the outcome logged as an interaction that closes the task."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from tests.conftest import make_user
from tests.core.factories import as_user
from tests.marketing.factories_channels import campaign, customer, recipient
from vinculo.core.models import Team
from vinculo.core.roles import Role
from vinculo.interactions.models import Interaction, Task
from vinculo.marketing import calls
from vinculo.marketing.models import CallAssignment, CampaignRecipient

pytestmark = pytest.mark.django_db

SCRIPT = "Hola {{ contact.first_name }}, le llamo de {{ organization.name }}."


@pytest.fixture
def queue_team(users, org):
    """The campaign owner's team: the marketing user and two agents who work call lists."""
    team = Team.all_objects.create(organization=org, name="Televenta")
    owner = users[Role.MARKETING]
    owner.team = team
    owner.save()
    agents = [make_user(org, Role.SALES_REP, f"agente{i}@acme.test", team=team)
              for i in (1, 2)]
    make_user(org, Role.ANALYST, "analista@acme.test", team=team)  # may not work call lists
    return owner, agents


def test_tasks_go_to_owners_and_the_rest_round_robin(admin, users, queue_team):
    owner, agents = queue_team
    rep = users[Role.SALES_REP]
    camp = campaign(owner, channel="phone", body=SCRIPT, name="Renovación")
    owned = customer(admin, owner=rep, first_name="Marta")
    orphans = [customer(admin, first_name=f"Sin{i}") for i in range(4)]
    for account, contact in [owned, *orphans]:
        recipient(camp, contact, account)
    with as_user(owner):
        assert calls.deliver(camp) == 5
        assert calls.deliver(camp) == 0  # every recipient already has its line
    lines = list(CallAssignment.all_objects.filter(campaign=camp).order_by("id"))
    assert lines[0].assignee == rep
    queue = sorted([owner, *agents], key=lambda u: u.pk)
    assert [line.assignee for line in lines[1:]] == [queue[0], queue[1], queue[2], queue[0]]
    task = Task.all_objects.get(pk=lines[0].task_id)
    assert task.assignee == rep and task.status == "open"
    assert task.title == "Call Marta Pérez: Renovación"
    assert task.notes == "Hola Marta, le llamo de Acme Ibérica."
    assert task.related == camp and task.contact_id == owned[1].pk
    # a recipient added later continues the turn where it stopped
    late = customer(admin, first_name="Tarde")
    recipient(camp, late[1], late[0])
    with as_user(owner):
        calls.deliver(camp)
    assert CallAssignment.all_objects.filter(campaign=camp).order_by("-id").first().assignee == \
        queue[1]


def test_a_visit_campaign_plans_visits(admin, users):
    camp = campaign(admin, channel="visit", body="Visita")
    account, contact = customer(admin, owner=users[Role.SALES_REP])
    recipient(camp, contact, account)
    with as_user(admin):
        calls.deliver(camp)
    assert Task.all_objects.get().title.startswith("Visit ")


def test_no_owner_refuses(admin):
    camp = campaign(admin, channel="phone", owner=None)
    account, contact = customer(admin)
    recipient(camp, contact, account)
    from django.core.exceptions import ValidationError
    with as_user(admin), pytest.raises(ValidationError, match="active owner"):
        calls.deliver(camp)
    assert not Task.all_objects.exists() and not CallAssignment.all_objects.exists()


def _line(admin, users, channel="phone"):
    camp = campaign(admin, channel=channel, body=SCRIPT, name="Renovación")
    account, contact = customer(admin, owner=users[Role.SALES_REP], first_name="Marta")
    row = recipient(camp, contact, account)
    with as_user(admin):
        calls.deliver(camp)
    return camp, CallAssignment.all_objects.get(recipient=row), row


def test_logging_the_outcome(admin, users):
    rep = users[Role.SALES_REP]
    camp, line, row = _line(admin, users)
    with as_user(rep):
        calls.call_outcome_log(actor=rep, call=line, outcome="interested",
                               notes="Quiere presupuesto")
    line.refresh_from_db()
    assert line.outcome == "interested" and line.outcome_at is not None
    interaction = Interaction.all_objects.get(pk=line.interaction_id)
    assert (interaction.channel, interaction.direction, interaction.outcome) == (
        "phone", "outbound", "completed")
    assert interaction.contact_id == row.contact_id and interaction.related == camp
    assert interaction.user == rep and interaction.notes == "Quiere presupuesto"
    assert Task.all_objects.get(pk=line.task_id).status == "done"
    recipient_row = CampaignRecipient.objects.get(pk=row.pk)
    assert recipient_row.status == "sent" and recipient_row.sent_at is not None


def test_callback_opens_a_new_task(admin, users):
    rep = users[Role.SALES_REP]
    _camp, line, _row = _line(admin, users, channel="visit")
    with as_user(rep):
        calls.call_outcome_log(actor=rep, call=line, outcome="callback")
    tasks = Task.all_objects.order_by("id")
    assert [t.status for t in tasks] == ["done", "open"]
    assert tasks[1].title.startswith("Call back Marta") and tasks[1].assignee == rep
    assert Interaction.all_objects.get().channel == "visit"


def test_bad_outcomes_write_nothing(admin, users):
    from django.core.exceptions import ValidationError

    rep, other = users[Role.SALES_REP], users["sales_rep_south"]
    _camp, line, row = _line(admin, users)
    with as_user(rep):
        with pytest.raises(ValidationError) as bad:
            calls.call_outcome_log(actor=rep, call=line, outcome="maybe")
        assert "outcome" in bad.value.message_dict
        with pytest.raises(ValidationError) as long:
            calls.call_outcome_log(actor=rep, call=line, outcome="reached", notes="x" * 10001)
        assert "notes" in long.value.message_dict
    with as_user(other), pytest.raises(ValidationError):  # another team's line
        calls.call_outcome_log(actor=other, call=line, outcome="reached")
    assert not Interaction.all_objects.exists()
    assert Task.all_objects.get().status == "open"
    assert CampaignRecipient.objects.get(pk=row.pk).status == "pending"
    with as_user(rep):
        calls.call_outcome_log(actor=rep, call=line, outcome="no_answer")
        with pytest.raises(ValidationError, match="already logged"):
            calls.call_outcome_log(actor=rep, call=line, outcome="reached")
    assert Interaction.all_objects.count() == 1


def test_call_list_page_and_outcome_form(admin, users, client):
    rep, other = users[Role.SALES_REP], users["sales_rep_south"]
    camp, line, _row = _line(admin, users)
    theirs = customer(admin, owner=other, first_name="Ajena")
    recipient(camp, theirs[1], theirs[0])
    with as_user(admin):
        calls.deliver(camp)
    url = reverse("marketing:call_list", kwargs={"uuid": camp.uuid})
    client.force_login(rep)
    page = client.get(url).content.decode()
    assert "Marta Pérez" in page and "Ajena" not in page and "Hola Marta" in page
    client.force_login(admin)
    assert "Ajena" in client.get(url).content.decode()
    client.force_login(rep)
    outcome = reverse("marketing:call_outcome", kwargs={"uuid": line.uuid})
    response = client.post(outcome, {"outcome": ""})
    assert response.status_code == 302 and not Interaction.all_objects.exists()
    client.post(outcome, {"outcome": "reached", "notes": "Todo bien"})
    line.refresh_from_db()
    assert line.outcome == "reached"
    other_line = CallAssignment.all_objects.get(contact=theirs[1])
    assert client.post(reverse("marketing:call_outcome", kwargs={"uuid": other_line.uuid}),
                       {"outcome": "reached"}).status_code == 404
    client.force_login(users[Role.SERVICE_AGENT])
    assert client.get(url).status_code == 403


def test_my_call_lists(admin, users, client):
    rep = users[Role.SALES_REP]
    camp, line, _row = _line(admin, users)
    client.force_login(rep)
    page = client.get(reverse("marketing:my_call_lists")).content.decode()
    assert "Renovación" in page and reverse("marketing:call_list",
                                             kwargs={"uuid": camp.uuid}) in page
    with as_user(rep):
        calls.call_outcome_log(actor=rep, call=line, outcome="reached")
    assert "Renovación" not in client.get(reverse("marketing:my_call_lists")).content.decode()


def test_a_started_call_or_visit_list_reads_calling_or_visiting_not_sending(admin, client):
    calling = campaign(admin, channel="phone", name="Renovación")
    account, contact = customer(admin, first_name="Marta")
    recipient(calling, contact, account)
    visiting = campaign(admin, channel="visit", name="Ruta de visitas")
    form = campaign(admin, channel="web_form", name="Catálogo")
    mail = campaign(admin, channel="email", name="Boletín")
    with translation.override("en"):
        assert calling.get_status_display() == "Calling"
        assert visiting.get_status_display() == "Visiting"
        assert form.get_status_display() == "Form open"
        assert mail.get_status_display() == "Sending"  # e-mail still sends
    with translation.override("es"):
        assert calling.get_status_display() == "Llamando"
        assert mail.get_status_display() == "Enviando"
    client.force_login(admin)
    listing = client.get(reverse("marketing:campaign_list"), HTTP_ACCEPT_LANGUAGE="en")
    rows = {row.split("</a>")[0].rsplit(">", 1)[-1]: row
            for row in listing.content.decode().split("<tr>")[1:]}
    assert ">Calling<" in rows["Renovación"] and "Sending" not in rows["Renovación"]
    assert ">Sending<" in rows["Boletín"]
    detail = client.get(reverse("marketing:campaign_detail", kwargs={"uuid": calling.uuid}),
                        HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert ">Calling<" in detail and ">Sending<" not in detail
    # its progress counts the calls made; opens and clicks are e-mail's only
    assert ">Called</th>" in detail and ">Opened</th>" not in detail
    # the list's status filter names the shared value for every channel
    assert "Sending or in progress" in listing.content.decode()
