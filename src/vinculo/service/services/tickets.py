"""Tickets: opening (by an agent, the API, an e-mail, a web form), changing, assigning,
replying, notes, status changes and deletion."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from vinculo.core import events
from vinculo.core.account_terms import terms_for
from vinculo.core.events import Occurrence
from vinculo.core.models import Organization, User
from vinculo.core.notifications import notify
from vinculo.core.services import (
    org_id,
    refuse_unknown,
    require,
    same_org,
    sequence_next,
    versioned_save,
)
from vinculo.customers.models import Account, Contact, ServiceTier
from vinculo.interactions.models import Direction, Interaction
from vinculo.interactions.services import primary_account
from vinculo.service.models import (
    OPEN_STATUSES,
    EntryKind,
    Priority,
    Queue,
    SlaState,
    Ticket,
    TicketEntry,
    TicketStatus,
    TicketType,
)
from vinculo.service.services.queues import _next_agent, route_queue
from vinculo.service.services.sla import SLA_FIELDS, _elapsed, _pause_end, _pause_start, _sla_apply
from vinculo.service.services.surveys import _survey_enqueue
from vinculo.service.services.ticket_types import type_for_kind

TICKET_PREFIX = "TK"
SUBJECT_TOKEN = re.compile(r"\[#(TK-\d{4}-\d{4,})\]")
#: Resolved tickets close by themselves after this long without news from the customer.
AUTO_CLOSE_AFTER = dt.timedelta(days=7)


# ---- tickets --------------------------------------------------------------------------------

TICKET_FIELDS = ("type", "ticket_type", "subject", "description", "queue", "priority",
                 "assignee", "account", "contact", "requester_email", "order", "invoice")


def _check_refs(organization_id: int, data: dict[str, Any]) -> None:
    same_org(organization_id, queue=data.get("queue"), account=data.get("account"),
              contact=data.get("contact"), order=data.get("order"),
              invoice=data.get("invoice"))
    assignee = data.get("assignee")
    if assignee is not None and (assignee.organization_id != organization_id
                                 or not assignee.is_active):
        raise ValidationError({"assignee": _("Choose an active user of your organisation.")})
    account = data.get("account")
    for name in ("order", "invoice"):
        record = data.get(name)
        if record is not None and account is not None and record.account_id != account.pk:
            raise ValidationError({name: _("It belongs to another account.")})


def _resolve_type(organization_id: int, data: dict[str, Any],
                  ticket: Ticket | None = None) -> dict[str, Any]:
    """The organisation's type sets the kind (``type``); a kind alone (the API before types,
    the e-mail and web-form intake) takes the organisation's first active type of that kind."""
    data = dict(data)
    if "ticket_type" in data:
        category = data["ticket_type"]
        if category is None:
            if ticket is not None:
                raise ValidationError({"ticket_type": _("Choose a type.")})
            del data["ticket_type"]
        else:
            same_org(organization_id, ticket_type=category)
            if not category.active and (ticket is None
                                        or category.pk != ticket.ticket_type_id):
                raise ValidationError({"ticket_type": _("This type is no longer offered.")})
            if data.get("type") not in (None, category.kind):
                raise ValidationError({"type": _(
                    "The kind comes from the type: “%(type)s” counts as %(kind)s.") % {
                    "type": category, "kind": category.get_kind_display()}})
            data["type"] = category.kind
    if "ticket_type" not in data and (ticket is None or data.get("type", ticket.type)
                                      != ticket.type):
        kind = data.get("type") or TicketType.REQUEST
        if kind in TicketType.values:
            data["ticket_type"] = type_for_kind(organization_id, kind)
    return data


def _clean_ticket(ticket: Ticket) -> None:
    errors = {}
    if not (ticket.subject or "").strip():
        errors["subject"] = _("Give the ticket a subject.")
    if ticket.type not in TicketType.values:
        errors["type"] = _("Unknown ticket type.")
    if ticket.priority not in Priority.values:
        errors["priority"] = _("Unknown priority.")
    if errors:
        raise ValidationError(errors)


def _tier(account: Any) -> str:
    """The service tier of a customer's new ticket: the one its service package promises
    (``core.account_terms``), else the account's own hand-set tier."""
    if account is None:
        return ServiceTier.STANDARD
    return terms_for(account).service_tier or account.service_tier


@transaction.atomic
def ticket_create(*, actor: User | None, data: dict[str, Any], channel: str = "",
                  organization: Organization | None = None) -> Ticket:
    """Open a ticket: number, queue (routed by type), assignee (by the queue's rule), SLA.

    ``actor`` is None for tickets that customers open themselves (e-mail, web forms); then
    ``organization`` says whose desk it is.
    """
    if actor is not None:
        require(actor, "service.add")
        organization_id = org_id(actor)
    elif organization is not None:
        organization_id = organization.pk
    else:
        raise ValueError("ticket_create needs an actor or an organisation")
    refuse_unknown(data, TICKET_FIELDS)
    _check_refs(organization_id, data)
    data = _resolve_type(organization_id, data)
    if data.get("account") is None and data.get("contact") is not None:
        data["account"] = primary_account(data["contact"])
    ticket = Ticket(organization_id=organization_id, channel=channel[:10], **data)
    _clean_ticket(ticket)
    if ticket.queue_id is None:
        queue = route_queue(organization_id, ticket.type, ticket.ticket_type)
        if queue is None:
            raise ValidationError({"queue": _("Create a queue first: tickets wait in queues.")})
        ticket.queue = queue
    if not ticket.requester_email and ticket.contact is not None:
        ticket.requester_email = ticket.contact.email
    ticket.tier = _tier(ticket.account)
    if ticket.assignee_id is None:
        ticket.assignee = _next_agent(ticket.queue, ticket.tier)
    now = timezone.now()
    ticket.created_at = now
    ticket.number = sequence_next(organization_id=organization_id, prefix=TICKET_PREFIX,
                                  year=now.year)
    _sla_apply(ticket, reselect=True, now=now)
    ticket.save()
    if ticket.assignee_id and ticket.assignee_id != getattr(actor, "pk", None):
        _tell_assignee(ticket)
    events.publish("ticket.created", record=ticket, actor=actor, data={
        **_ticket_data(ticket), "type": ticket.type, "channel": ticket.channel})
    return ticket


def _ticket_data(ticket: Ticket) -> dict[str, str]:
    return {"number": ticket.number, "priority": ticket.priority, "status": ticket.status}


def ticket_url(ticket: Ticket) -> str:
    return settings.SITE_URL + reverse("service:ticket_detail", kwargs={"uuid": ticket.uuid})


def _tell_assignee(ticket: Ticket) -> None:
    notify([ticket.assignee], lambda: (
        _("Ticket %(number)s assigned to you") % {"number": ticket.number},
        ticket.subject), url=ticket_url(ticket))


def _locked(ticket: Ticket) -> Ticket:
    return Ticket.objects.select_for_update(of=("self",)).select_related(
        "sla_policy__calendar", "queue").get(pk=ticket.pk)


@transaction.atomic
def ticket_update(*, actor: User, ticket: Ticket, data: dict[str, Any],
                  expected_version: int | None) -> Ticket:
    """Change a ticket; a new priority (or customer tier) sets new SLA targets."""
    require(actor, "service.change")
    refuse_unknown(data, TICKET_FIELDS)
    _check_refs(ticket.organization_id, {"account": ticket.account, **data})
    ticket = _locked(ticket)
    data = _resolve_type(ticket.organization_id, data, ticket)
    before = (ticket.priority, ticket.account_id, ticket.assignee_id)
    watched = _watched(ticket)
    for key, value in data.items():
        setattr(ticket, key, value)
    _clean_ticket(ticket)
    fields = list(data)
    if ticket.account_id != before[1]:
        ticket.tier = _tier(ticket.account)
        fields.append("tier")
    if (ticket.priority, ticket.account_id) != before[:2]:
        _sla_apply(ticket, reselect=True)
        fields += SLA_FIELDS
    versioned_save(ticket, expected_version=expected_version, fields=fields)
    if ticket.assignee_id and ticket.assignee_id not in (before[2], actor.pk):
        _tell_assignee(ticket)
    _announce_changes(ticket, watched, actor)
    return ticket


#: The fields whose before and after ``ticket.changed`` carries (rules that fire when a value
#: crosses a threshold read them: "reopened twice or more").
_WATCHED = ("priority", "reopened_count")


def _watched(ticket: Ticket) -> dict[str, Any]:
    return {name: getattr(ticket, name) for name in _WATCHED}


def _announce_changes(ticket: Ticket, before: dict[str, Any], actor: User | None) -> None:
    """One ``ticket.changed`` per save that changed a watched field, published after commit."""
    changes = {name: [str(before[name]), str(getattr(ticket, name))] for name in _WATCHED
               if before[name] != getattr(ticket, name)}
    if changes:
        events.publish("ticket.changed", record=ticket, actor=actor, data={
            **_ticket_data(ticket), "changes": changes})


@transaction.atomic
def ticket_delete(*, actor: User, ticket: Ticket) -> None:
    """Remove a ticket with its conversation (administrators)."""
    require(actor, "service.delete")
    ticket.delete()


@transaction.atomic
def ticket_assign(*, actor: User, ticket: Ticket, assignee: User | None) -> Ticket:
    return ticket_update(actor=actor, ticket=ticket, data={"assignee": assignee},
                         expected_version=None)


def _set_status(ticket: Ticket, status: str, now: dt.datetime) -> list[str]:
    """Move the ticket to ``status`` and its clock with it; returns the fields changed."""
    old = ticket.status
    fields = ["status"]
    if status == TicketStatus.WAITING:
        _pause_start(ticket, now)
    elif old in (TicketStatus.WAITING, TicketStatus.RESOLVED, TicketStatus.CLOSED):
        _pause_end(ticket, now)
    if status == TicketStatus.RESOLVED:
        _pause_start(ticket, now)  # the clock stops while the customer has their answer
        ticket.resolved_at = now
        ticket.resolution_minutes = _elapsed(ticket, now)
        fields += ["resolved_at", "resolution_minutes"]
    elif status == TicketStatus.CLOSED:
        ticket.closed_at = now
        fields.append("closed_at")
    if old in (TicketStatus.RESOLVED, TicketStatus.CLOSED) and status in OPEN_STATUSES:
        ticket.reopened_count += 1
        ticket.resolved_at = ticket.closed_at = None
        ticket.resolution_minutes = None
        if ticket.resolution_state == SlaState.MET:
            ticket.resolution_state = SlaState.OK
        fields += ["reopened_count", "resolved_at", "closed_at", "resolution_minutes"]
    ticket.status = status
    _sla_apply(ticket, now=now)
    return fields + SLA_FIELDS


@transaction.atomic
def ticket_set_status(*, actor: User, ticket: Ticket, status: str) -> Ticket:
    """Open, wait on the customer (the clock stops), resolve (survey) or close a ticket."""
    require(actor, "service.change")
    if status not in TicketStatus.values:
        raise ValidationError({"status": _("Unknown status.")})
    ticket = _locked(ticket)
    if status == ticket.status:
        return ticket
    if status == TicketStatus.NEW:
        raise ValidationError({"status": _("A ticket cannot become new again.")})
    if status == TicketStatus.CLOSED and ticket.status != TicketStatus.RESOLVED:
        raise ValidationError({"status": _("Resolve the ticket before closing it.")})
    now = timezone.now()
    watched = _watched(ticket)
    fields = _set_status(ticket, status, now)
    versioned_save(ticket, expected_version=None, fields=fields)
    _announce_changes(ticket, watched, actor)
    if status == TicketStatus.RESOLVED:
        transaction.on_commit(lambda: _survey_enqueue(ticket.pk))
        events.publish("ticket.resolved", record=ticket, actor=actor, data=_ticket_data(ticket))
    return ticket


@transaction.atomic
def ticket_note(*, actor: User, ticket: Ticket, body: str) -> TicketEntry:
    """An internal note: agents see it, the customer never does."""
    require(actor, "service.change")
    if not (body or "").strip():
        raise ValidationError({"body": _("Write the note.")})
    return TicketEntry.objects.create(organization_id=ticket.organization_id, ticket=ticket,
                                      kind=EntryKind.NOTE, body=body.strip(), author=actor)


def ticket_merge_values(objects: dict[str, Any]) -> dict[str, str] | None:
    """``{{ ticket.number }}`` and friends in e-mail templates, when writing about a ticket."""
    ticket = objects.get("related")
    if not isinstance(ticket, Ticket):
        return None
    return {"number": ticket.number, "subject": ticket.subject,
            "status": str(ticket.get_status_display())}


def reply_subject(ticket: Ticket) -> str:
    return f"[#{ticket.number}] {ticket.subject}"


@transaction.atomic
def ticket_reply(*, actor: User, ticket: Ticket, body: str, cc: list[str] | None = None,
                 status_after: str = TicketStatus.WAITING) -> Interaction:
    """E-mail a public reply to the requester (threaded), then set the ticket's status.

    The first reply is the ticket's first response for its SLA.
    """
    from vinculo.interactions import mailing

    require(actor, "service.change")
    if status_after not in (TicketStatus.OPEN, TicketStatus.WAITING, TicketStatus.RESOLVED):
        raise ValidationError({"status_after": _("Choose open, waiting or resolved.")})
    ticket = _locked(ticket)
    to = [ticket.requester_email] if ticket.requester_email else []
    if not to and not (ticket.contact and ticket.contact.email):
        raise ValidationError({"body": _("The ticket has no requester e-mail to reply to.")})
    interaction = mailing.email_send(
        actor=actor, subject=reply_subject(ticket), body=body, to=to, cc=cc or [],
        contact=ticket.contact, account=ticket.account, related=ticket,
        mailbox=ticket.queue.mailbox, transactional=True)  # the customer's own request
    ticket.refresh_from_db()
    if ticket.status != status_after:
        ticket_set_status(actor=actor, ticket=ticket, status=status_after)
    return interaction


def ticket_interaction_logged(event: Occurrence) -> None:
    """Subscriber of ``interaction.logged`` (in its transaction): an agent's first outbound
    contact is the first response; a customer's message takes a waiting ticket back to open
    and reopens a resolved one."""
    interaction: Interaction = event.record
    if interaction.related_type_id != ContentType.objects.get_for_model(Ticket).pk:
        return
    # The interaction's check constraint sets related_type and related_id together.
    assert interaction.related_id is not None
    reopen = (TicketStatus.WAITING, TicketStatus.RESOLVED, TicketStatus.CLOSED)
    if interaction.direction == Direction.INBOUND:
        email = getattr(interaction, "email", None)
        if email is not None and email.auto_submitted:
            return  # an out-of-office or a bounce is not the customer's answer
        # Most customer messages change nothing: lock the row and read its status alone, and
        # load the whole ticket only to reopen it (every inbound e-mail on a ticket gets here).
        status = Ticket.objects.select_for_update().filter(pk=interaction.related_id).values_list(
            "status", flat=True).get()
        if status not in reopen:
            return
    ticket = _locked(Ticket(pk=interaction.related_id))
    watched = _watched(ticket)
    now = interaction.occurred_at or timezone.now()
    fields: list[str] = []
    if interaction.direction == Direction.OUTBOUND and interaction.user_id is not None:
        if ticket.first_response_at is None:
            ticket.first_response_at = now
            ticket.first_response_minutes = _elapsed(ticket, now)
            fields += ["first_response_at", "first_response_minutes"]
            if ticket.status == TicketStatus.NEW:
                ticket.status = TicketStatus.OPEN
                fields.append("status")
            _sla_apply(ticket)
            fields += SLA_FIELDS
    elif interaction.direction == Direction.INBOUND and ticket.status in reopen:
        fields += _set_status(ticket, TicketStatus.OPEN, timezone.now())
    if fields:
        versioned_save(ticket, expected_version=None, fields=sorted(set(fields)))
        _announce_changes(ticket, watched, interaction.user)


def ticket_inbound_email(*, organization: Organization, mailbox: Any, parsed: Any,
                         contact: Contact | None, account: Account | None) -> Ticket | None:
    """E-mail router (``interactions.extensions.EMAIL_ROUTERS``): a message naming a ticket
    (``[#TK-…]`` in the subject) belongs to it; a new message to a queue's mailbox opens a
    ticket there."""
    match = SUBJECT_TOKEN.search(parsed.subject or "")
    if match:
        ticket = Ticket.all_objects.filter(organization_id=organization.pk,
                                           number=match.group(1)).first()
        if ticket is not None:
            return ticket
    if mailbox is None or parsed.auto_submitted:
        return None
    queue = Queue.all_objects.filter(organization_id=organization.pk, mailbox=mailbox).first()
    if queue is None:
        return None
    return ticket_create(actor=None, organization=organization, channel="email", data={
        "subject": (parsed.subject or _("(no subject)"))[:300], "description": parsed.text,
        "queue": queue, "contact": contact, "account": account,
        "requester_email": parsed.from_address, "type": TicketType.REQUEST})


def ticket_from_web_form(*, form: Any, data: dict[str, str], contact: Contact | None) -> Ticket:
    """Web form handler (``interactions.extensions.WEB_FORM_HANDLERS``): a request or
    complaint form opens a ticket of that type."""
    organization = Organization.objects.get(pk=form.organization_id)
    subject = data.get("subject") or str(form)
    return ticket_create(actor=None, organization=organization, channel="web_form", data={
        "subject": subject[:300], "description": data.get("message", ""),
        "type": TicketType.COMPLAINT if form.kind == "complaint" else TicketType.REQUEST,
        "contact": contact, "requester_email": data.get("email", "")})
