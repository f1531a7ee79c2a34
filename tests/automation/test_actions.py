"""The actions added for issue 12: enrol in a campaign (marketing's service), open a ticket
(service's), call a webhook (integrations' outbox, a signed delivery to a real receiver), each
logged on the firing, and their bad input refused by name."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from tests.automation.factories import TASK, customer, rule
from tests.core.factories import as_user
from tests.integrations.receiver import receiver
from tests.marketing.factories import CampaignFactory
from tests.sales.factories import OrderFactory
from tests.service.factories import QueueFactory
from vinculo.automation import engine
from vinculo.automation.actions import WEBHOOK_EVENT
from vinculo.automation.models import Firing, FiringStatus, Rule
from vinculo.automation.services import rule_create
from vinculo.core.roles import Role
from vinculo.integrations import services as integrations
from vinculo.integrations import signing
from vinculo.integrations.models import DeliveryStatus, WebhookDelivery
from vinculo.marketing.models import CampaignRecipient, CampaignStatus
from vinculo.service.models import Ticket

TODAY = timezone.localdate()
DUE = {"kind": "order_due", "days": 3}


@pytest.fixture
def rep(users):
    return users[Role.SALES_REP]


def _due_order(admin, account):
    with as_user(admin):
        return OrderFactory(actor=admin, account=account, promised=TODAY + dt.timedelta(days=1))


@pytest.mark.django_db
def test_enrol_in_a_campaign(admin, rep):
    account = customer(admin, rep)
    with as_user(admin):
        campaign = CampaignFactory(actor=admin)
    enrol = rule(admin, trigger=DUE, actions=[{"type": "enrol_campaign",
                                               "campaign": str(campaign.uuid)}])
    _due_order(admin, account)
    assert engine.evaluate_all(admin.organization) == 1
    recipient = CampaignRecipient.objects.get()
    assert (recipient.campaign, recipient.account) == (campaign, account)
    assert recipient.email.startswith("compras@")
    _due_order(admin, account)  # the same customer again: refused by marketing, logged
    assert engine.evaluate_all(admin.organization) == 1
    last = Firing.all_objects.filter(rule=enrol).order_by("-id").first()
    assert last.status == FiringStatus.FAILED
    assert last.results[0]["action"] == "enrol_campaign" and last.results[0]["detail"]
    assert CampaignRecipient.objects.count() == 1


@pytest.mark.django_db
def test_open_a_ticket_about_the_order(admin, rep):
    account = customer(admin, rep)
    with as_user(admin):
        QueueFactory(actor=admin)
    rule(admin, trigger=DUE, actions=[{"type": "open_ticket", "subject": "Pedido en riesgo",
                                       "kind": "incident", "priority": "high"}])
    order = _due_order(admin, account)
    assert engine.evaluate_all(admin.organization) == 1
    ticket = Ticket.all_objects.get()
    assert (ticket.account, ticket.order, ticket.type, ticket.priority) == (
        account, order, "incident", "high")
    assert ticket.subject.startswith("Pedido en riesgo")


@pytest.mark.django_db(transaction=True)  # the real worker commits
def test_call_a_webhook_signed_through_the_outbox(admin, rep, settings, task_queue):
    settings.VINCULO_WEBHOOK_ALLOW_PRIVATE = True
    account = customer(admin, rep)
    with receiver() as (url, inbox):
        with as_user(admin):
            subscription, secret = integrations.subscription_create(actor=admin, data={
                "name": "ERP", "url": url, "events": ["account.created"]})
        hook = rule(admin, trigger=DUE, actions=[{"type": "call_webhook",
                                                  "subscription": str(subscription.uuid)}])
        order = _due_order(admin, account)
        assert engine.evaluate_all(admin.organization) == 1
        for _ in range(20):
            task_queue.run()
            if not WebhookDelivery.all_objects.filter(status=DeliveryStatus.PENDING).exists():
                break
            task_queue.make_due()
        sent = [r for r in inbox.ok() if json.loads(r.body)["event"] == WEBHOOK_EVENT]
    assert len(sent) == 1
    body = json.loads(sent[0].body)
    assert body["record"] == {"type": "sales.order", "uuid": str(order.uuid)}
    assert body["data"]["rule"]["uuid"] == str(hook.uuid)
    assert signing.verify(secret, sent[0].body, sent[0].headers[signing.HEADER])


@pytest.mark.django_db
@pytest.mark.parametrize(("action", "path"), [
    ({"type": "enrol_campaign", "campaign": "x"}, "actions[0].campaign"),
    ({"type": "enrol_campaign"}, "actions[0].campaign"),
    ({"type": "open_ticket", "subject": ""}, "actions[0].subject"),
    ({"type": "open_ticket", "subject": "S", "kind": "queja"}, "actions[0].kind"),
    ({"type": "open_ticket", "subject": "S", "priority": "max"}, "actions[0].priority"),
    ({"type": "open_ticket", "subject": "S", "queue": "x"}, "actions[0].queue"),
    ({"type": "call_webhook", "subscription": "x"}, "actions[0].subscription"),
])
def test_bad_actions_are_refused_by_name(admin, action, path):
    with as_user(admin), pytest.raises(ValidationError) as caught:
        rule_create(actor=admin, data={"name": "R", "trigger": DUE, "actions": [action]})
    assert path in caught.value.message_dict
    assert not Rule.all_objects.exists()


@pytest.mark.django_db
def test_a_finished_campaign_or_another_organisations_is_refused(admin, other_admin):
    with as_user(admin):
        finished = CampaignFactory(actor=admin)
    type(finished).all_objects.filter(pk=finished.pk).update(status=CampaignStatus.FINISHED)
    with as_user(other_admin):
        foreign = CampaignFactory(actor=other_admin)
    for campaign in (finished, foreign):
        with as_user(admin), pytest.raises(ValidationError) as caught:
            rule_create(actor=admin, data={"name": "R", "trigger": DUE, "actions": [
                TASK, {"type": "enrol_campaign", "campaign": str(campaign.uuid)}]})
        assert "actions[1].campaign" in caught.value.message_dict
