"""Issue 12: "record changed (field crosses a value)" for accounts, tickets and orders, not only
opportunities. Each service announces the change with the values before and after (one event
per save, after commit); a rule fires on the change that crosses its threshold, once."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from tests.automation.factories import TASK, customer, rule
from tests.core.factories import as_user
from tests.sales.factories import OrderFactory, free_line
from tests.service.factories import QueueFactory, TicketFactory
from vinculo.automation.describe import trigger_text
from vinculo.core import events
from vinculo.core.models import CustomField
from vinculo.core.roles import Role
from vinculo.customers.services import account_update
from vinculo.interactions.models import Task
from vinculo.service.services import ticket_set_status

pytestmark = pytest.mark.django_db


def _titles() -> list[str]:
    return [t.title.split(":")[0] for t in Task.all_objects.order_by("id")]


def _crosses(field: str, direction: str, value: str, title: str) -> dict:
    return {"name": title, "trigger": {"kind": "field_crosses", "field": field,
                                       "direction": direction, "value": value},
            "actions": [{**TASK, "title": title}]}


def test_an_account_number_crossing_its_threshold(admin, users,
                                                  django_capture_on_commit_callbacks):
    rep = users[Role.SALES_REP]
    CustomField.all_objects.create(organization=admin.organization, model="account",
                                   key="credito", label="límite de crédito", type="decimal")
    CustomField.all_objects.create(organization=admin.organization, model="account",
                                   key="sector", label="sector", type="text")
    account = customer(admin, rep)
    made = rule(admin, **_crosses("account.custom.credito", "above", "50000", "Revisar crédito"))
    with as_user(admin), translation.override("en"):
        assert trigger_text(made) == "The account's límite de crédito rises to 50,000 or more"

    def edit(**values):
        account.refresh_from_db()
        with as_user(admin), django_capture_on_commit_callbacks(execute=True), \
                events.recording() as seen:
            account_update(actor=admin, account=account, data={"custom_fields": values},
                           expected_version=None)
        return [o.data for o in seen if o.name == "account.changed"]

    assert edit(credito="20000") == [{"changes": {"custom.credito": [None, "20000"]}}]
    assert edit(sector="aceite") == []  # not a number: nothing announced
    edit(credito="60000")  # crosses
    edit(credito="70000")  # stays above
    assert _titles() == ["Revisar crédito"]
    with pytest.raises(ValidationError) as caught:  # a text field does not cross
        rule(admin, **_crosses("account.custom.sector", "above", "1", "x"))
    assert "trigger.field" in caught.value.message_dict


def test_a_ticket_reopened_twice(admin, users, django_capture_on_commit_callbacks):
    agent = users[Role.SERVICE_AGENT]
    rule(admin, **_crosses("ticket.reopened_count", "above", "2", "Reabierto dos veces"))
    with as_user(admin):
        QueueFactory(actor=admin, name="Soporte")
    with as_user(agent):
        ticket = TicketFactory(actor=agent, account=customer(admin, users[Role.SALES_REP]))
    seen_changes = []
    for status in ("resolved", "open", "resolved", "open", "resolved", "open"):
        with as_user(agent), django_capture_on_commit_callbacks(execute=True), \
                events.recording() as seen:
            ticket_set_status(actor=agent, ticket=ticket, status=status)
        seen_changes += [o.data["changes"] for o in seen if o.name == "ticket.changed"]
    assert seen_changes == [{"reopened_count": ["0", "1"]}, {"reopened_count": ["1", "2"]},
                            {"reopened_count": ["2", "3"]}]
    assert _titles() == ["Reabierto dos veces"]


def test_an_order_of_a_value_or_more_is_placed(admin, users,
                                               django_capture_on_commit_callbacks):
    account = customer(admin, users[Role.SALES_REP])
    rule(admin, **_crosses("order.total", "above", "1000", "Pedido grande"))
    with as_user(admin), django_capture_on_commit_callbacks(execute=True):
        small = OrderFactory(actor=admin, account=account,
                             lines=[free_line("Aceite", "1", "100")])
        big = OrderFactory(actor=admin, account=account,
                           lines=[free_line("Aceite", "20", "100")])
    assert small.total_amount < 1000 <= big.total_amount
    assert [(t.title.split(":")[0], t.related_id) for t in Task.all_objects.all()] == [
        ("Pedido grande", big.pk)]
    with pytest.raises(ValidationError) as caught:
        rule(admin, **_crosses("order.total", "below", "10", "x"))
    assert "trigger.direction" in caught.value.message_dict
