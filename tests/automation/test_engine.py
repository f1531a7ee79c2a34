"""Rules at work: on a domain event, on the scheduled scan, after a recompute and a segment
refresh; once per episode; failures logged without stopping others; no loops. E-mail goes to
a real SMTP server."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from html import unescape

import pytest
from django.utils import timezone

from tests.automation.factories import TASK, customer, rule
from tests.billing.factories import InvoiceFactory
from tests.core.factories import as_user
from tests.sales.factories import OrderFactory
from tests.segments.factories import make_segment, snapshot
from tests.service.factories import QueueFactory, TicketFactory
from vinculo.analytics.models import AnalyticsRun, RunStatus
from vinculo.automation import engine
from vinculo.automation.models import Episode, Firing, FiringStatus
from vinculo.core import events
from vinculo.core.roles import Role
from vinculo.interactions import mailing
from vinculo.interactions.models import EmailMessage, Interaction, Task
from vinculo.interactions.services import interaction_log
from vinculo.sales.documents.services import order_cancel
from vinculo.segments.models import SegmentKind, Subject
from vinculo.segments.services import segment_refresh

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()
TOP_TIER = {"conditions": [{"field": "account.service_tier", "op": "in",
                            "value": ["platinum", "gold"]}]}


@pytest.fixture
def rep(users):
    return users[Role.SALES_REP]


def _tasks():
    return list(Task.all_objects.order_by("id"))


def test_complaint_from_a_top_tier_customer_goes_to_the_account_manager(
        admin, rep, users, mail_server, django_capture_on_commit_callbacks):
    rule(admin, name="Queja top", trigger={"kind": "event", "event": "ticket.created",
                                           "record": {"type": ["complaint"]}},
         conditions=TOP_TIER,
         actions=[{"type": "assign_owner", "to": "account_owner"},
                  {"type": "notify", "to": "account_owner", "message": "Queja de un top."}])
    gold = customer(admin, rep, service_tier="gold")
    standard = customer(admin, rep, service_tier="standard")
    agent = users[Role.SERVICE_AGENT]
    with as_user(admin):
        QueueFactory(actor=admin, name="Soporte")
    with as_user(agent), django_capture_on_commit_callbacks(execute=True):
        complaint = TicketFactory(actor=agent, account=gold, type="complaint")
        question = TicketFactory(actor=agent, account=gold, type="request")
        other = TicketFactory(actor=agent, account=standard, type="complaint")
    for ticket in (complaint, question, other):
        ticket.refresh_from_db()
    assert complaint.assignee == rep
    assert question.assignee != rep and other.assignee != rep
    firing = Firing.all_objects.get()
    assert (firing.record_uuid, firing.trigger, firing.status) == (
        complaint.uuid, "ticket.created", FiringStatus.DONE)
    assert [r["action"] for r in firing.results] == ["assign_owner", "notify"]
    subjects = [m["Subject"] for m in mail_server]
    assert any("Queja top" in s for s in subjects), subjects
    assert [m["To"] for m in mail_server if "Queja top" in m["Subject"]] == [rep.email]


def test_a_late_order_gets_one_task_per_episode(admin, rep):
    account = customer(admin, rep)
    late = rule(admin, trigger={"kind": "order_due", "days": 3})
    with as_user(admin):
        soon = OrderFactory(actor=admin, account=account, promised=TODAY + dt.timedelta(days=2))
        OrderFactory(actor=admin, account=account, promised=TODAY + dt.timedelta(days=20))
    assert engine.evaluate_all(admin.organization) == 1
    assert engine.evaluate_all(admin.organization) == 0  # the next scan: same episode
    tomorrow = TODAY + dt.timedelta(days=1)
    assert engine.evaluate_all(admin.organization, today=tomorrow) == 0
    tasks = _tasks()
    assert len(tasks) == 1
    assert (tasks[0].assignee, tasks[0].account, tasks[0].related) == (rep, account, soon)
    assert tasks[0].title.startswith(TASK["title"])
    assert Episode.all_objects.get(rule=late).closed_at is None
    with as_user(admin):
        order_cancel(actor=admin, order=soon)
    assert engine.evaluate_all(admin.organization) == 0
    assert Episode.all_objects.get(rule=late).closed_at is not None
    assert Firing.all_objects.filter(rule=late).count() == 1


def test_an_order_that_becomes_due_again_opens_a_new_episode(admin, rep):
    account = customer(admin, rep)
    rule(admin, trigger={"kind": "order_due", "days": 3}, conditions=TOP_TIER)
    with as_user(admin):
        OrderFactory(actor=admin, account=account, promised=TODAY + dt.timedelta(days=1))
    assert engine.evaluate_all(admin.organization) == 0  # a standard customer: no match
    with as_user(admin):
        from vinculo.customers.services import account_update
        account_update(actor=admin, account=account, data={"service_tier": "gold"},
                       expected_version=None)
    assert engine.evaluate_all(admin.organization) == 1
    with as_user(admin):
        account_update(actor=admin, account=account, data={"service_tier": "silver"},
                       expected_version=None)
    assert engine.evaluate_all(admin.organization) == 0
    with as_user(admin):
        account_update(actor=admin, account=account, data={"service_tier": "platinum"},
                       expected_version=None)
    assert engine.evaluate_all(admin.organization) == 1  # a new episode
    assert len(_tasks()) == 2


@pytest.mark.django_db(transaction=True)  # the real worker commits and closes connections
def test_overdue_invoice_reminder_reaches_the_customer(
        task_queue, queued_mail_server, admin, rep, django_capture_on_commit_callbacks):
    """The reminder is sent by the task backend under test, with its real worker."""
    mail_server = queued_mail_server
    account = customer(admin, rep)
    with as_user(admin):
        template = mailing.email_template_create(actor=admin, data={
            "name": "Recordatorio", "subject": "Factura vencida de {{ account.name }}",
            "body": "Hola {{ contact.first_name }}, una factura ha vencido."})
        overdue = InvoiceFactory(actor=admin, account=account, issued=True, terms=30,
                                 issue_date=TODAY - dt.timedelta(days=40))
        InvoiceFactory(actor=admin, account=account, issued=True, terms=30,
                       issue_date=TODAY - dt.timedelta(days=33))  # 3 days overdue only
    rule(admin, trigger={"kind": "invoice_overdue", "days": 7},
         actions=[{"type": "send_email", "template": str(template.uuid), "to": "contact"}])
    with django_capture_on_commit_callbacks(execute=True):
        assert engine.evaluate_all(admin.organization) == 1
        assert engine.evaluate_all(admin.organization) == 0
    assert mail_server == []  # queued, for the worker
    task_queue.run()
    assert [m["Subject"] for m in mail_server] == [f"Factura vencida de {account.name}"]
    assert mail_server[0]["To"] == f"compras@{account.pk}.cliente.es"
    message = EmailMessage.all_objects.get()
    assert message.interaction.related == overdue  # on the customer's timeline


def test_a_failing_action_is_logged_and_stops_nothing(admin, rep):
    account = customer(admin, rep)
    broken = rule(admin, name="Rota", actions=[
        {"type": "set_field", "field": "ticket.priority", "value": "urgent"}, TASK])
    other = rule(admin, name="Otra")
    with as_user(admin):
        OrderFactory(actor=admin, account=account, promised=TODAY)
    assert engine.evaluate_all(admin.organization) == 2
    firing = Firing.all_objects.get(rule=broken)
    assert firing.status == FiringStatus.PARTIAL
    assert firing.results[0]["ok"] is False and "ticket" in firing.results[0]["detail"]
    assert firing.results[1]["ok"] is True
    assert Firing.all_objects.get(rule=other).status == FiringStatus.DONE
    assert len(_tasks()) == 2


def test_an_account_without_owner_is_an_error_on_the_log(admin):
    account = customer(admin, None)
    rule(admin)
    with as_user(admin):
        OrderFactory(actor=admin, account=account, promised=TODAY)
    engine.evaluate_all(admin.organization)
    firing = Firing.all_objects.get()
    assert firing.status == FiringStatus.FAILED
    assert _tasks() == []


def test_a_rule_does_not_trigger_itself(admin, rep, mail_server,
                                        django_capture_on_commit_callbacks):
    """Each e-mail the rule sends is an interaction, whose event wakes the same rule: it is
    refused (logged as skipped) instead of mailing for ever."""
    account = customer(admin, rep)
    with as_user(admin):
        template = mailing.email_template_create(actor=admin, data={
            "name": "Gracias", "subject": "Gracias", "body": "Gracias por su llamada."})
    echo = rule(admin, name="Eco", trigger={"kind": "event", "event": "interaction.logged"},
                actions=[{"type": "send_email", "template": str(template.uuid),
                          "to": "contact"}])
    with as_user(admin), django_capture_on_commit_callbacks(execute=True):
        interaction_log(actor=admin, data={"channel": "phone", "direction": "inbound",
                                           "subject": "Llamada", "account": account,
                                           "occurred_at": timezone.now()})
    firings = list(Firing.all_objects.filter(rule=echo).order_by("id"))
    assert [(f.status, f.depth) for f in firings] == [(FiringStatus.DONE, 0),
                                                      (FiringStatus.SKIPPED, 1)]
    assert len(mail_server) == 1
    assert Interaction.all_objects.filter(channel="email").count() == 1


def test_no_chain_goes_deeper_than_the_limit(admin, rep):
    account = customer(admin, rep)
    deep = rule(admin)
    with as_user(admin):
        order = OrderFactory(actor=admin, account=account, promised=TODAY)
    firing = engine.fire(deep, order, trigger="order_due", chain=(-1, -2, -3))
    assert firing.status == FiringStatus.SKIPPED and firing.depth == engine.MAX_DEPTH
    assert _tasks() == []
    assert engine.fire(deep, order, trigger="order_due", chain=(-1, -2)).status == \
        FiringStatus.DONE


def test_a_redelivered_event_fires_once(admin, rep):
    account = customer(admin, rep)
    rule(admin, trigger={"kind": "event", "event": "account.created"})
    occurrence = events.Occurrence(name="account.created", record=account,
                                   organization_id=account.organization_id, actor_id=None)
    assert engine.event_received(occurrence) == 1
    assert engine.event_received(occurrence) == 0
    assert len(_tasks()) == 1


def test_at_risk_high_value_customers_after_a_recompute(
        admin, rep, django_capture_on_commit_callbacks):
    valuable, safe = customer(admin, rep), customer(admin, rep)
    run = AnalyticsRun.all_objects.create(organization=admin.organization, as_of=TODAY,
                                          status=RunStatus.DONE)
    snapshot(valuable, TODAY, p_alive=0.2, clv=Decimal("9000"), value_tier="Platinum")
    snapshot(safe, TODAY, p_alive=0.9, clv=Decimal("9000"), value_tier="Platinum")
    rule(admin, trigger={"kind": "analytics"}, conditions={"conditions": [
        {"field": "analytics.p_alive", "op": "lt", "value": 0.5},
        {"field": "analytics.clv", "op": "gte", "value": 1000}]})
    for _ in range(2):  # two recomputes, one episode
        with as_user(admin), django_capture_on_commit_callbacks(execute=True):
            events.publish("snapshot.recomputed", record=run,
                           data={"as_of": TODAY.isoformat(), "customers": 2})
    assert [(t.account, t.assignee) for t in _tasks()] == [(valuable, rep)]


def test_entering_a_segment(admin, rep, django_capture_on_commit_callbacks):
    gold, plain = customer(admin, rep, service_tier="gold"), customer(admin, rep)
    segment = make_segment(admin, subject=Subject.ACCOUNTS, kind=SegmentKind.RULE,
                           rule=TOP_TIER)
    rule(admin, trigger={"kind": "segment_entered", "segment": str(segment.uuid)})
    with as_user(admin), django_capture_on_commit_callbacks(execute=True):
        segment_refresh(segment=segment)
        segment_refresh(segment=segment)
    assert [t.account for t in _tasks()] == [gold]
    assert plain not in [t.account for t in _tasks()]


def test_the_log_on_the_rule_page(admin, rep, page):
    account = customer(admin, rep)
    late = rule(admin, name="Retraso")
    with as_user(admin):
        OrderFactory(actor=admin, account=account, promised=TODAY)
    engine.evaluate_all(admin.organization)
    html = unescape(page.get(f"/automation/rules/{late.uuid}/").content.decode())
    assert "SO-" in html  # the firing, on its order
    # the rule in words, not its stored JSON
    assert "An order is due within 3 days and not delivered" in html
    assert "Create the task “Avisar del retraso” for the account's owner, due in 1 days" in html
    assert "create_task" not in html and "{'" not in html and "order_due" not in html


def test_the_contract_listens_to_every_event_a_rule_may_name():
    from vinculo.automation.apps import _EVENTS
    from vinculo.automation.checks import EVENTS
    from vinculo.core import events as core_events

    assert set(_EVENTS) == set(EVENTS)
    assert set(EVENTS) <= set(core_events.declared())


def test_set_field_and_assign_owner_go_through_the_owners_services(admin, rep, users):
    account = customer(admin, rep)
    other = users["sales_rep_2"]
    changing = rule(admin, trigger={"kind": "order_due", "days": 3}, actions=[
        {"type": "set_field", "field": "account.service_tier", "value": "gold"},
        {"type": "assign_owner", "to": str(other.uuid)}])
    with as_user(admin):
        OrderFactory(actor=admin, account=account, promised=TODAY)
    assert engine.evaluate_all(admin.organization) == 1
    account.refresh_from_db()
    assert (account.service_tier, account.owner) == ("gold", other)
    assert Firing.all_objects.get(rule=changing).status == FiringStatus.DONE
    from vinculo.core.models import AuditEntry
    changes = AuditEntry.all_objects.filter(object_uuid=account.uuid, action="update")
    assert changes.filter(actor=admin).exists()  # run as the rule's author, audited


def test_a_ticket_rule_raises_the_priority(admin, rep, users, django_capture_on_commit_callbacks):
    rule(admin, trigger={"kind": "event", "event": "ticket.created"}, conditions=TOP_TIER,
         actions=[{"type": "set_field", "field": "ticket.priority", "value": "urgent"}])
    gold = customer(admin, rep, service_tier="gold")
    with as_user(admin):
        QueueFactory(actor=admin, name="Soporte")
    with as_user(admin), django_capture_on_commit_callbacks(execute=True):
        ticket = TicketFactory(actor=admin, account=gold, priority="low")
    ticket.refresh_from_db()
    assert ticket.priority == "urgent"


def test_leaving_a_segment(admin, rep, django_capture_on_commit_callbacks):
    from vinculo.customers.services import account_update

    gold = customer(admin, rep, service_tier="gold")
    segment = make_segment(admin, subject=Subject.ACCOUNTS, kind=SegmentKind.RULE,
                           rule=TOP_TIER)
    with as_user(admin):
        segment_refresh(segment=segment)  # gold is in
    rule(admin, trigger={"kind": "segment_left", "segment": str(segment.uuid)})
    with as_user(admin), django_capture_on_commit_callbacks(execute=True):
        segment_refresh(segment=segment)
        assert _tasks() == []  # still in: nothing
        account_update(actor=admin, account=gold, data={"service_tier": "standard"},
                       expected_version=None)
        segment_refresh(segment=segment)
        segment_refresh(segment=segment)
    assert [t.account for t in _tasks()] == [gold]


def test_a_ticket_rule_moves_it_to_a_queue(admin, rep, django_capture_on_commit_callbacks):
    gold = customer(admin, rep, service_tier="gold")
    with as_user(admin):
        QueueFactory(actor=admin, name="General")
        vip = QueueFactory(actor=admin, name="Clientes top")
    rule(admin, trigger={"kind": "event", "event": "ticket.created"}, conditions=TOP_TIER,
         actions=[{"type": "assign_queue", "queue": str(vip.uuid)}])
    with as_user(admin), django_capture_on_commit_callbacks(execute=True):
        ticket = TicketFactory(actor=admin, account=gold)
    ticket.refresh_from_db()
    assert ticket.queue == vip


def test_the_list_names_triggers_and_actions_in_words(admin, page):
    rule(admin, name="Retraso")
    html = unescape(page.get("/automation/rules/").content.decode())
    assert "An order is due within 3 days and not delivered" in html and "Create a task" in html
    assert "create_task" not in html and "order_due" not in html
