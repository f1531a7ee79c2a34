"""What a rule's actions do, each through the owning app's service (never a raw write to
another app's table), as the rule's ``run_as`` user. Each returns a line for the log."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from vinculo.automation.models import Rule
from vinculo.billing.models import Invoice
from vinculo.core.mailqueue import email_queue
from vinculo.core.models import User
from vinculo.core.notifications import notify
from vinculo.customers.models import Account, Contact
from vinculo.customers.services import account_update
from vinculo.integrations.models import WebhookSubscription
from vinculo.integrations.services import webhook_send
from vinculo.interactions.agenda.services import task_create
from vinculo.interactions.mailing import email_write
from vinculo.interactions.merge_fields import render_merge
from vinculo.interactions.models import EmailTemplate
from vinculo.marketing.models import Campaign
from vinculo.marketing.services import campaign_enrol
from vinculo.packages.models import AccountPackage
from vinculo.sales.models import Order
from vinculo.service.models import Queue, Ticket
from vinculo.service.services import ticket_assign, ticket_create, ticket_update


class ActionError(Exception):
    """An action that cannot be done on this record (no owner, no contact…): logged."""


def recipient(spec: str, record: Any, account: Account | None) -> User:
    if spec == "account_owner":
        user = account.owner if account is not None else None
    elif spec == "account_manager":
        user = _package_manager(account)
    elif spec == "assignee":
        user = getattr(record, "assignee", None)
    else:
        user = User.objects.filter(uuid=spec, organization_id=record.organization_id).first()
    if user is None or not user.is_active:
        raise ActionError(_("Nobody to address: the record has no %(who)s.")
                          % {"who": spec if spec in ("account_owner", "assignee")
                             else _("active user with that id")})
    return user


def _package_manager(account: Account | None) -> User | None:
    """The account manager the customer's service package names (the package's promise of a
    person), or an error saying what is missing."""
    row = (AccountPackage.all_objects.filter(account=account)
           .select_related("package__account_manager").first()
           if account is not None else None)
    if row is None:
        raise ActionError(_("The customer has no service package."))
    if row.package.account_manager is None:
        raise ActionError(_("The package %(package)s names no account manager.")
                          % {"package": row.package})
    return row.package.account_manager


def _task(rule: Rule, action: dict[str, Any], record: Any, account: Account | None) -> str:
    assignee = recipient(action["assignee"], record, account)
    due = timezone.now() + dt.timedelta(days=action["due_in_days"])
    task = task_create(actor=rule.run_as, related=record if record is not account else None,
                       data={"title": f"{action['title']}: {record}"[:200],
                             "due_at": due, "assignee": assignee, "account": account,
                             "priority": action["priority"],
                             "notes": _("Created by the rule “%(rule)s”.") % {"rule": rule}})
    return _("Task “%(task)s” for %(user)s.") % {"task": task.title, "user": assignee}


def _notify(rule: Rule, action: dict[str, Any], record: Any, account: Account | None) -> str:
    user = recipient(action["to"], record, account)
    message = action["message"]
    label = str(record)
    sent = notify([user], lambda: (f"{rule.name}: {label}", message))
    if not sent:
        raise ActionError(_("%(user)s has no e-mail address.") % {"user": user})
    return _("Notified %(user)s.") % {"user": user}


def _primary_contact(account: Account | None, record: Any) -> Contact | None:
    contact = getattr(record, "contact", None)
    if contact is None and account is not None:
        membership = (account.memberships.select_related("contact")
                      .order_by("-is_primary", "id").first())
        contact = membership.contact if membership is not None else None
    return contact


def _email(rule: Rule, action: dict[str, Any], record: Any, account: Account | None) -> str:
    template = EmailTemplate.all_objects.get(organization_id=record.organization_id,
                                             uuid=action["template"])
    if action["to"] == "contact":
        contact = _primary_contact(account, record)
        if contact is None or not contact.email:
            raise ActionError(_("The customer has no contact with an e-mail address."))
        email_write(organization_id=record.organization_id, actor=rule.run_as, subject="",
                    body="", contact=contact, account=account, related=record,
                    template=template)
        return _("E-mail “%(template)s” to %(to)s.") % {"template": template.name,
                                                       "to": contact.email}
    user = recipient(action["to"], record, account)
    if not user.email:
        raise ActionError(_("%(user)s has no e-mail address.") % {"user": user})
    objects = {"contact": _primary_contact(account, record), "account": account,
               "user": user, "organization": rule.organization, "related": record}
    email_queue(to=user.email, subject=render_merge(template.subject, objects),
                body=render_merge(template.body, objects),
                organization_id=record.organization_id)
    return _("E-mail “%(template)s” to %(to)s.") % {"template": template.name, "to": user.email}


def _set_field(rule: Rule, action: dict[str, Any], record: Any,
               account: Account | None) -> str:
    target, name = action["field"].split(".")
    if target == "ticket":
        if not isinstance(record, Ticket):
            raise ActionError(_("The record is not a ticket."))
        ticket_update(actor=rule.run_as, ticket=record, data={name: action["value"]},
                      expected_version=None)
    else:
        if account is None:
            raise ActionError(_("The record has no account."))
        account_update(actor=rule.run_as, account=account, data={name: action["value"]},
                       expected_version=None)
    return _("%(field)s set to %(value)s.") % {"field": action["field"],
                                               "value": action["value"]}


def _assign(rule: Rule, action: dict[str, Any], record: Any, account: Account | None) -> str:
    user = recipient(action["to"], record, account)
    if isinstance(record, Ticket):
        ticket_assign(actor=rule.run_as, ticket=record, assignee=user)
        return _("Ticket assigned to %(user)s.") % {"user": user}
    if account is None:
        raise ActionError(_("The record has no account."))
    account_update(actor=rule.run_as, account=account, data={"owner": user},
                   expected_version=None)
    return _("Account owner set to %(user)s.") % {"user": user}


def _queue(rule: Rule, action: dict[str, Any], record: Any, account: Account | None) -> str:
    if not isinstance(record, Ticket):
        raise ActionError(_("The record is not a ticket."))
    queue = Queue.all_objects.filter(organization_id=record.organization_id,
                                     uuid=action["queue"]).first()
    if queue is None:
        raise ActionError(_("The queue no longer exists."))
    ticket_update(actor=rule.run_as, ticket=record, data={"queue": queue},
                  expected_version=None)
    return _("Ticket moved to the queue %(queue)s.") % {"queue": queue}


def _enrol(rule: Rule, action: dict[str, Any], record: Any, account: Account | None) -> str:
    """The customer's primary contact into a campaign, by marketing's service."""
    if account is None:
        raise ActionError(_("The record has no account."))
    campaign = Campaign.all_objects.filter(organization_id=record.organization_id,
                                           uuid=action["campaign"]).first()
    if campaign is None:
        raise ActionError(_("The campaign no longer exists."))
    contact = getattr(record, "contact", None)
    recipient_row = campaign_enrol(actor=rule.run_as, campaign=campaign, account=account,
                                   contact=contact if contact is not None else None)
    return _("%(contact)s enrolled in the campaign “%(campaign)s”.") % {
        "contact": recipient_row.contact, "campaign": campaign.name}


def _ticket(rule: Rule, action: dict[str, Any], record: Any, account: Account | None) -> str:
    """A ticket about the record (its order or invoice linked), by service's service; the
    queue, assignee and SLA come from the desk's routing as for any new ticket."""
    if account is None:
        raise ActionError(_("The record has no account."))
    data: dict[str, Any] = {
        "subject": f"{action['subject']}: {record}"[:200], "type": action["kind"],
        "priority": action["priority"], "account": account,
        "description": _("Opened by the rule “%(rule)s” on %(record)s.") % {
            "rule": rule, "record": record}}
    if isinstance(record, Order):
        data["order"] = record
    elif isinstance(record, Invoice):
        data["invoice"] = record
    ticket = ticket_create(actor=rule.run_as, data=data, channel="rule")
    return _("Ticket %(number)s opened.") % {"number": ticket.number}


def _webhook(rule: Rule, action: dict[str, Any], record: Any, account: Account | None) -> str:
    """A signed one-off delivery through integrations' outbox (retried like any event)."""
    subscription = WebhookSubscription.all_objects.filter(
        organization_id=record.organization_id, uuid=action["subscription"]).first()
    if subscription is None:
        raise ActionError(_("The webhook subscription no longer exists."))
    webhook_send(actor=rule.run_as, subscription=subscription, event=WEBHOOK_EVENT,
                 record=record, data={
                     "rule": {"uuid": str(rule.uuid), "name": rule.name},
                     "record": str(record),
                     "account": str(account.uuid) if account is not None else None})
    return _("Webhook queued for %(name)s.") % {"name": subscription.name}


#: The event name of a rule's webhook call, as the receiver sees it.
WEBHOOK_EVENT = "automation.rule_fired"

RUN = {"create_task": _task, "notify": _notify, "send_email": _email,
       "set_field": _set_field, "assign_owner": _assign, "assign_queue": _queue,
       "enrol_campaign": _enrol, "open_ticket": _ticket, "call_webhook": _webhook}
