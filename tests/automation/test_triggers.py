"""The triggers issue 12 asked for that the first rules lacked: a field crossing a value
(fires on the crossing, not on every change), a date relative to a field (once per record and
date, by the scan), a delivery late or short — and their bad input refused by name."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from tests.automation.factories import TASK, customer, rule
from tests.billing.factories import InvoiceFactory
from tests.core.factories import as_user
from tests.sales.factories import DeliveryFactory, OpportunityFactory, OrderFactory
from vinculo.automation import engine
from vinculo.automation.models import Episode, Firing, Rule
from vinculo.automation.services import rule_create
from vinculo.billing.models import Invoice
from vinculo.core import events
from vinculo.core.roles import Role
from vinculo.interactions.models import Task
from vinculo.sales.documents.services import delivery_create
from vinculo.sales.models import Order
from vinculo.sales.services import opportunity_update

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


@pytest.fixture
def rep(users):
    return users[Role.SALES_REP]


def _titles():
    return [t.title for t in Task.all_objects.order_by("id")]


def _amount(admin, deal, value, capture):
    deal.refresh_from_db()
    with as_user(admin), capture(execute=True):
        opportunity_update(actor=admin, opportunity=deal, data={"amount": Decimal(value)},
                           expected_version=None)


def test_a_value_crossing_fires_once_not_on_every_change(
        admin, rep, django_capture_on_commit_callbacks):
    account = customer(admin, rep)
    rule(admin, name="Sube", trigger={"kind": "field_crosses", "field": "opportunity.amount",
                                      "direction": "above", "value": "10000"},
         actions=[{**TASK, "title": "Revisar trato grande"}])
    rule(admin, name="Baja", trigger={"kind": "field_crosses", "field": "opportunity.amount",
                                      "direction": "below", "value": 10000},
         actions=[{**TASK, "title": "Trato encogido"}])
    with as_user(admin):
        deal = OpportunityFactory(actor=admin, account=account, amount=Decimal(5000))
    _amount(admin, deal, "8000", django_capture_on_commit_callbacks)  # below to below
    assert _titles() == []
    _amount(admin, deal, "12000", django_capture_on_commit_callbacks)  # crosses upwards
    _amount(admin, deal, "15000", django_capture_on_commit_callbacks)  # stays above
    assert [t.split(":")[0] for t in _titles()] == ["Revisar trato grande"]
    _amount(admin, deal, "9999.99", django_capture_on_commit_callbacks)  # crosses downwards
    assert [t.split(":")[0] for t in _titles()] == ["Revisar trato grande", "Trato encogido"]


def test_the_changed_event_carries_before_and_after(admin, rep):
    with as_user(admin):
        deal = OpportunityFactory(actor=admin, amount=Decimal(5000))
    trigger = {"field": "opportunity.amount", "direction": "above", "value": "10000"}
    assert engine.crossed(trigger, {"changes": {"amount": ["5000.00", "10000.00"]}})
    assert not engine.crossed(trigger, {"changes": {"amount": ["10000.00", "12000.00"]}})
    assert not engine.crossed(trigger, {})  # an event published without the values
    assert engine.crossed(trigger, {"changes": {"amount": [None, "20000"]}})
    with events.recording() as seen, as_user(admin):
        opportunity_update(actor=admin, opportunity=deal, data={"amount": Decimal(7000)},
                           expected_version=None)
    changed = [o for o in seen if o.name == "opportunity.changed"]
    assert changed[0].data["changes"] == {"amount": ["5000", "7000"]}


def test_a_date_relative_to_a_field_fires_once_per_record_and_date(admin, rep):
    account = customer(admin, rep)
    warn = rule(admin, trigger={"kind": "date_relative", "field": "order.promised_date",
                                "when": "before", "days": 3})
    with as_user(admin):
        soon = OrderFactory(actor=admin, account=account, promised=TODAY + dt.timedelta(days=3))
        OrderFactory(actor=admin, account=account, promised=TODAY + dt.timedelta(days=10))
    assert engine.evaluate_all(admin.organization) == 1
    assert engine.evaluate_all(admin.organization) == 0  # the next scan: same record, date
    assert engine.evaluate_all(admin.organization,
                               today=TODAY + dt.timedelta(days=1)) == 0
    # Promised later (no service moves a promised date yet): a new date, warned about again
    # when it nears.
    Order.all_objects.filter(pk=soon.pk).update(promised_date=TODAY + dt.timedelta(days=8))
    assert engine.evaluate_all(admin.organization) == 0
    assert engine.evaluate_all(admin.organization, today=TODAY + dt.timedelta(days=6)) == 1
    keys = sorted(Episode.all_objects.filter(rule=warn).values_list("record_key", flat=True))
    assert [k.split("@")[1] for k in keys] == sorted(
        [str(TODAY + dt.timedelta(days=3)), str(TODAY + dt.timedelta(days=8))])
    assert Firing.all_objects.filter(rule=warn).count() == 2


def test_days_after_an_invoice_falls_due(admin, rep):
    account = customer(admin, rep)
    rule(admin, trigger={"kind": "date_relative", "field": "invoice.due_date",
                         "when": "after", "days": 5})
    with as_user(admin):
        InvoiceFactory(actor=admin, account=account, issued=True,
                       issue_date=TODAY - dt.timedelta(days=35))
    assert Invoice.all_objects.get().due_date == TODAY - dt.timedelta(days=5)
    assert engine.evaluate_all(admin.organization) == 1
    assert engine.evaluate_all(admin.organization, today=TODAY + dt.timedelta(days=30)) == 0


def test_a_delivery_late_or_short(admin, rep, django_capture_on_commit_callbacks):
    account = customer(admin, rep)
    rule(admin, name="Corta", trigger={"kind": "delivery_exception", "late": False,
                                       "short": True},
         actions=[{**TASK, "title": "Entrega corta"}])
    rule(admin, name="Tarde", trigger={"kind": "delivery_exception", "late": True,
                                       "short": False},
         actions=[{**TASK, "title": "Entrega tarde"}])
    with as_user(admin):
        short = OrderFactory(actor=admin, account=account, promised=TODAY + dt.timedelta(5))
        late = OrderFactory(actor=admin, account=account, promised=TODAY - dt.timedelta(2),
                            ordered_on=TODAY - dt.timedelta(10))
        fine = OrderFactory(actor=admin, account=account, promised=TODAY + dt.timedelta(5))
    with as_user(admin), django_capture_on_commit_callbacks(execute=True):
        line = short.lines.first()
        delivery_create(actor=admin, order=short, lines=[(line, line.quantity / 2)])
        DeliveryFactory(actor=admin, order=late)
        DeliveryFactory(actor=admin, order=fine)
    titles = sorted(t.split(":")[0] + ":" + t.split(": ")[1] for t in _titles())
    assert titles == sorted([f"Entrega corta:{short}", f"Entrega tarde:{late}"])


@pytest.mark.parametrize(("trigger", "path"), [
    ({"kind": "field_crosses", "field": "order.weight", "direction": "above", "value": 1},
     "trigger.field"),
    ({"kind": "field_crosses", "field": "opportunity.amount", "direction": "up", "value": 1},
     "trigger.direction"),
    ({"kind": "field_crosses", "field": "opportunity.amount", "direction": "above",
      "value": "mucho"}, "trigger.value"),
    ({"kind": "field_crosses", "field": "opportunity.amount", "direction": "above"},
     "trigger.value"),
    ({"kind": "date_relative", "field": "order.created_at", "days": 3}, "trigger.field"),
    ({"kind": "date_relative", "field": "order.promised_date", "when": "during", "days": 3},
     "trigger.when"),
    ({"kind": "date_relative", "field": "order.promised_date", "days": -3}, "trigger.days"),
    ({"kind": "delivery_exception", "late": False, "short": False}, "trigger.late"),
    ({"kind": "delivery_exception", "late": "sí"}, "trigger.late"),
    ({"kind": "delivery_exception", "days": 2}, "trigger.days"),
])
def test_bad_triggers_are_refused_by_name(admin, trigger, path):
    with as_user(admin), pytest.raises(ValidationError) as caught:
        rule_create(actor=admin, data={"name": "R", "trigger": trigger, "actions": [TASK]})
    assert path in caught.value.message_dict
    assert not Rule.all_objects.exists()


def test_an_assignee_needs_a_ticket(admin):
    with as_user(admin), pytest.raises(ValidationError) as caught:
        rule_create(actor=admin, data={"name": "R", "trigger": {
            "kind": "delivery_exception"}, "actions": [{**TASK, "assignee": "assignee"}]})
    assert "actions[0]" in caught.value.message_dict
