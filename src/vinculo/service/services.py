"""Business rules of the service desk: tickets, assignment, SLA clocks, escalation, surveys.

SLA: a ticket takes the active policy for its customer's tier (a policy for that tier before
one for every tier) and the targets for its priority. The clock runs in the policy's business
calendar from the ticket's creation and stops while the ticket waits on the customer or sits
resolved; ``_sla_apply`` recomputes the stored due and warning instants whenever the clock
changes, so that ``sla_scan`` only compares them with "now" in the database.

Escalation (``sla_scan``): a breach reassigns the ticket to its queue's escalation user (when
there is one), raises its priority one step and tells the people concerned; a breach with
nobody to tell is not left silent: the organisation's administrators hear of it.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Case, F, Q, Value, When
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from vinculo.core import events
from vinculo.core.audit import audit_bulk_updated
from vinculo.core.events import Occurrence
from vinculo.core.models import Organization, User
from vinculo.core.notifications import notify
from vinculo.core.roles import Role
from vinculo.core.services import (
    refuse_unknown,
    require,
    same_org,
    sequence_next,
    versioned_save,
)
from vinculo.customers.models import Account, Contact, ServiceTier
from vinculo.interactions.models import Direction, Interaction
from vinculo.interactions.services import primary_account
from vinculo.service import business_hours as bh
from vinculo.service.models import (
    OPEN_STATUSES,
    PRIORITY_ORDER,
    Article,
    ArticleStatus,
    AssignmentRule,
    BusinessCalendar,
    EntryKind,
    Holiday,
    Priority,
    Queue,
    SlaPolicy,
    SlaState,
    SlaTarget,
    Survey,
    Ticket,
    TicketEntry,
    TicketStatus,
    TicketType,
    TierRoute,
)

log = logging.getLogger(__name__)

TICKET_PREFIX = "TK"
SUBJECT_TOKEN = re.compile(r"\[#(TK-\d{4}-\d{4,})\]")
#: Resolved tickets close by themselves after this long without news from the customer.
AUTO_CLOSE_AFTER = dt.timedelta(days=7)
SURVEY_SALT = "vinculo.service.survey"


# ---- business calendars ---------------------------------------------------------------------


def _spec_message(error: bh.SpecError) -> str:
    """What is wrong with working hours, in the reader's language."""
    p = error.params
    messages = {
        "unknown_zone": lambda: _("Unknown time zone %(zone)s.") % {"zone": p.get("value")},
        "bad_time": lambda: _("%(value)s is not a time between 00:00 and 24:00.")
        % {"value": p.get("value")},
        "end_before_start": lambda: _("The end, %(end)s, is not after the start, %(start)s.")
        % {"end": p["end"], "start": p["start"]},
        "overlap": lambda: _("%(interval)s overlaps %(other)s on the same day.")
        % {"interval": p["interval"], "other": p["other"]},
        "no_working_time": lambda: _("Give at least one working interval."),
        "midnight_start": lambda: _("24:00 can only end an interval."),
    }
    message = messages.get(error.code)
    return message() if message else str(error)


def calendar_spec_check(*, timezone_name: str, weekly_hours: dict[str, Any]) -> None:
    """Refuse working hours that do not make a calendar, naming the day and interval.

    The message starts with where the problem is (``weekly[2][1]: …``) so that a form can
    show it beside that weekday's interval.
    """
    try:
        bh.BusinessCalendar.from_spec(timezone=timezone_name, weekly=weekly_hours)
    except bh.SpecError as exc:
        if exc.where == "timezone":
            raise ValidationError({"timezone": _spec_message(exc)}) from None
        where = f"{exc.where}: " if "[" in exc.where else ""
        raise ValidationError({"weekly_hours": where + _spec_message(exc)}) from None
    except ValueError as exc:  # a malformed structure (API callers): say it as it is
        raise ValidationError({"weekly_hours": str(exc)}) from None


@transaction.atomic
def business_calendar_save(*, actor: User, data: dict[str, Any],
                           calendar: BusinessCalendar | None = None,
                           expected_version: int | None = None) -> BusinessCalendar:
    """Create or change a calendar; open tickets on it get their SLA due times again."""
    require(actor, "service.manage")
    refuse_unknown(data, ("name", "timezone", "weekly_hours"))
    creating = calendar is None
    calendar = calendar or BusinessCalendar(organization_id=actor.organization_id)
    for key, value in data.items():
        setattr(calendar, key, value)
    calendar_spec_check(timezone_name=calendar.timezone, weekly_hours=calendar.weekly_hours)
    if not (calendar.name or "").strip():
        raise ValidationError({"name": _("Give the calendar a name.")})
    clash = BusinessCalendar.objects.filter(name=calendar.name).exclude(pk=calendar.pk)
    if clash.exists():
        raise ValidationError({"name": _("A calendar with this name exists.")})
    if creating:
        calendar.save()
        return calendar
    versioned_save(calendar, expected_version=expected_version, fields=list(data))
    _calendar_changed(calendar)
    return calendar


def _calendar_changed(calendar: BusinessCalendar) -> None:
    policies = SlaPolicy.all_objects.filter(calendar=calendar)
    tickets = Ticket.all_objects.filter(sla_policy__in=policies, status__in=OPEN_STATUSES)
    for ticket in tickets.select_related("sla_policy__calendar").iterator(chunk_size=500):
        _sla_apply(ticket)
        ticket.save(update_fields=SLA_FIELDS)


@transaction.atomic
def holiday_add(*, actor: User, calendar: BusinessCalendar, date: dt.date,
                name: str = "") -> Holiday:
    require(actor, "service.manage")
    same_org(actor.organization_id, calendar=calendar)
    if Holiday.all_objects.filter(calendar=calendar, date=date).exists():
        raise ValidationError({"date": _("This day is already a holiday.")})
    holiday = Holiday.objects.create(organization_id=calendar.organization_id,
                                     calendar=calendar, date=date, name=name[:100])
    versioned_save(calendar, expected_version=None, fields=[])
    _calendar_changed(calendar)
    return holiday


@transaction.atomic
def holiday_remove(*, actor: User, holiday: Holiday) -> None:
    require(actor, "service.manage")
    calendar = holiday.calendar
    holiday.delete()
    versioned_save(calendar, expected_version=None, fields=[])
    _calendar_changed(calendar)


@transaction.atomic
def holidays_import(*, actor: User, calendar: BusinessCalendar, country: str, year: int,
                    subdivision: str = "") -> int:
    """Add a country's (and region's) public holidays of ``year``; returns how many were new.

    Days already in the calendar are left as they are, so a second import adds none.
    """
    import holidays as public_holidays
    from django.utils import translation

    require(actor, "service.manage")
    same_org(actor.organization_id, calendar=calendar)
    country = (country or "").strip().upper()
    subdivision = (subdivision or "").strip()
    known = public_holidays.list_supported_countries()
    if country not in known:
        raise ValidationError({"country": _("No public holidays are known for %(c)s.")
                               % {"c": country or "—"}})
    regions = {code.upper(): code for code in known[country]}
    if subdivision and subdivision.upper() not in regions:
        raise ValidationError({"subdivision": _("%(country)s has no region %(region)s; the "
                                                "known ones are %(known)s.") % {
            "country": country, "region": subdivision, "known": ", ".join(known[country])}})
    if not isinstance(year, int) or not 1900 <= year <= 2100:
        raise ValidationError({"year": _("A year between 1900 and 2100.")})
    subdiv = regions[subdivision.upper()] if subdivision else None
    supported = public_holidays.country_holidays(country).supported_languages
    active = (translation.get_language() or "").replace("-", "_")
    language = next((code for code in supported if code.lower() == active.lower()), None) or \
        next((code for code in supported if code.split("_")[0] == active.split("_")[0]), None)
    # Names in the reader's language where the library has it.
    days = public_holidays.country_holidays(country, years=year, subdiv=subdiv,
                                            language=language)
    existing = set(Holiday.all_objects.filter(calendar=calendar).values_list("date", flat=True))
    new = [Holiday(organization_id=calendar.organization_id, calendar=calendar, date=day,
                   name=str(name)[:100]) for day, name in sorted(days.items())
           if day not in existing]
    Holiday.objects.bulk_create(new)
    if new:
        versioned_save(calendar, expected_version=None, fields=[])
        _calendar_changed(calendar)
    return len(new)


@lru_cache(maxsize=256)
def _calendar(calendar_id: int | None, version: int) -> bh.BusinessCalendar:
    if calendar_id is None:
        return bh.BusinessCalendar.always_open()
    row = BusinessCalendar.all_objects.get(pk=calendar_id)
    days = Holiday.all_objects.filter(calendar_id=calendar_id).values_list("date", flat=True)
    return bh.BusinessCalendar.from_spec(timezone=row.timezone, weekly=row.weekly_hours,
                                         holidays=list(days))


def calendar_of(policy: SlaPolicy | None) -> bh.BusinessCalendar:
    """The business calendar of ``policy`` (around the clock without one), cached by version."""
    if policy is None or policy.calendar_id is None:
        return _calendar(None, 0)
    return _calendar(policy.calendar_id, policy.calendar.version)


# ---- SLA policies and queues ----------------------------------------------------------------


def _minutes(value: Any) -> int | None:
    """A whole number of minutes (0 for nothing), or None when ``value`` is not one."""
    if value in (None, ""):
        return 0
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    return None


@transaction.atomic
def sla_policy_save(*, actor: User, data: dict[str, Any],
                    targets: dict[str, tuple[int, int]] | None = None,
                    policy: SlaPolicy | None = None,
                    expected_version: int | None = None) -> SlaPolicy:
    """A policy and its (first response, resolution) targets in minutes, per priority.

    Everything is checked before anything is written; a change is refused (``ConflictError``)
    when the policy is no longer at ``expected_version``.
    """
    require(actor, "service.manage")
    refuse_unknown(data, ("name", "tier", "calendar", "warn_percent", "active"))
    same_org(actor.organization_id, calendar=data.get("calendar"))
    creating = policy is None
    policy = policy or SlaPolicy(organization_id=actor.organization_id)
    for key, value in data.items():
        setattr(policy, key, value)
    warn = policy.warn_percent
    if not isinstance(warn, int) or not 1 <= warn <= 100:
        raise ValidationError({"warn_percent": _("Between 1 and 100.")})
    policy.full_clean(exclude=["organization"])
    errors = {}
    rows = []
    for priority, pair in (targets or {}).items():
        if priority not in Priority.values:
            errors[f"targets.{priority}"] = _("Unknown priority.")
            continue
        first, resolution = (_minutes(v) for v in pair)
        if first is None or resolution is None or first <= 0 or resolution <= 0:
            errors[f"targets.{priority}"] = _("Targets are positive numbers of minutes.")
        elif first > resolution:
            errors[f"targets.{priority}"] = _("The first response cannot be due after the "
                                              "resolution.")
        else:
            rows.append(SlaTarget(organization_id=policy.organization_id,
                                  priority=priority, first_response_minutes=first,
                                  resolution_minutes=resolution))
    if errors:
        raise ValidationError(errors)
    if creating:
        policy.save()
    else:
        versioned_save(policy, expected_version=expected_version, fields=list(data))
    if targets is not None:
        policy.targets.all().delete()
        for row in rows:
            row.policy = policy
        SlaTarget.objects.bulk_create(rows)
    return policy


QUEUE_FIELDS = ("name", "team", "assignment", "mailbox", "default_for", "escalate_to")


@transaction.atomic
def queue_save(*, actor: User, data: dict[str, Any], queue: Queue | None = None,
               tier_routes: dict[str, User | None] | None = None,
               expected_version: int | None = None) -> Queue:
    """Create or change a queue and its by-tier routes (an agent per tier; None removes one).

    A change is refused (``ConflictError``) when the queue is no longer at ``expected_version``.
    """
    require(actor, "service.manage")
    refuse_unknown(data, QUEUE_FIELDS)
    org_id = actor.organization_id
    same_org(org_id, team=data.get("team"), mailbox=data.get("mailbox"))
    escalate_to = data.get("escalate_to")
    if escalate_to is not None and escalate_to.organization_id != org_id:
        raise ValidationError({"escalate_to": _("Not found.")})
    bad = [t for t in data.get("default_for", []) if t not in TicketType.values]
    if bad:
        raise ValidationError({"default_for": _("Unknown ticket type %(t)s.") % {"t": bad[0]}})
    creating = queue is None
    queue = queue or Queue(organization_id=org_id)
    for key, value in data.items():
        setattr(queue, key, value)
    queue.full_clean(exclude=["organization"], validate_unique=False)
    if Queue.objects.filter(name=queue.name).exclude(pk=queue.pk).exists():
        raise ValidationError({"name": _("A queue with this name exists.")})
    if queue.assignment == AssignmentRule.ROUND_ROBIN and queue.team_id is None:
        raise ValidationError({"team": _("Round robin needs a team to take turns.")})
    errors = {}
    for tier, agent in (tier_routes or {}).items():
        if tier not in ServiceTier.values:
            errors[f"tier_routes.{tier}"] = _("Unknown tier.")
        elif agent is not None and agent.organization_id != org_id:
            errors[f"tier_routes.{tier}"] = _("Not found.")
    if errors:
        raise ValidationError(errors)
    if creating:
        queue.save()
    else:
        versioned_save(queue, expected_version=expected_version, fields=list(data))
    for tier, agent in (tier_routes or {}).items():
        if agent is None:
            TierRoute.all_objects.filter(queue=queue, tier=tier).delete()
        else:
            TierRoute.all_objects.update_or_create(
                queue=queue, tier=tier, defaults={"agent": agent, "organization_id": org_id})
    return queue


def route_queue(organization_id: int, ticket_type: str) -> Queue | None:
    """The queue a ticket of ``ticket_type`` goes to when none is named."""
    queues = list(Queue.all_objects.filter(organization_id=organization_id).order_by("name", "id"))
    for queue in queues:
        if ticket_type in (queue.default_for or []):
            return queue
    return queues[0] if queues else None


def _next_agent(queue: Queue, tier: str) -> User | None:
    """Who takes the next ticket of ``queue`` by its rule (the queue row is locked)."""
    if queue.assignment == AssignmentRule.BY_TIER:
        route = TierRoute.all_objects.filter(queue=queue, tier=tier).select_related(
            "agent").first()
        return route.agent if route is not None and route.agent.is_active else None
    if queue.assignment != AssignmentRule.ROUND_ROBIN or queue.team_id is None:
        return None
    last_assigned = Queue.all_objects.select_for_update().filter(pk=queue.pk).values_list(
        "last_assigned_id", flat=True).get()
    members = User.objects.filter(team_id=queue.team_id, is_active=True,
                                  organization_id=queue.organization_id).order_by("id")
    agent = members.filter(id__gt=last_assigned or 0).first() or members.first()
    if agent is not None:
        Queue.all_objects.filter(pk=queue.pk).update(last_assigned=agent)
    return agent


# ---- the SLA clock --------------------------------------------------------------------------

SLA_FIELDS = ["sla_policy", "first_response_target", "resolution_target",
              "first_response_due", "first_response_warn", "resolution_due", "resolution_warn",
              "sla_pauses", "first_response_state", "resolution_state"]


def policy_for(organization_id: int, tier: str) -> SlaPolicy | None:
    """The active policy for a tier: one made for the tier before one for every tier."""
    return (SlaPolicy.all_objects.filter(organization_id=organization_id, active=True)
            .filter(Q(tier=tier) | Q(tier="")).select_related("calendar")
            .order_by(Case(When(tier="", then=Value(1)), default=Value(0)), "id").first())


def pauses_of(ticket: Ticket) -> list[tuple[dt.datetime, dt.datetime | None]]:
    return [(dt.datetime.fromisoformat(a), dt.datetime.fromisoformat(b) if b else None)
            for a, b in ticket.sla_pauses]


def _pause_start(ticket: Ticket, now: dt.datetime) -> None:
    if not ticket.sla_pauses or ticket.sla_pauses[-1][1] is not None:
        ticket.sla_pauses = [*ticket.sla_pauses, [now.isoformat(), None]]


def _pause_end(ticket: Ticket, now: dt.datetime) -> None:
    if ticket.sla_pauses and ticket.sla_pauses[-1][1] is None:
        ticket.sla_pauses = [*ticket.sla_pauses[:-1], [ticket.sla_pauses[-1][0], now.isoformat()]]


def _sla_apply(ticket: Ticket, *, reselect: bool = False, now: dt.datetime | None = None) -> None:
    """Recompute the ticket's targets, due and warning instants and states from its clock."""
    now = now or timezone.now()
    if reselect or (ticket.sla_policy_id is None and ticket.first_response_target is None):
        ticket.sla_policy = policy_for(ticket.organization_id, ticket.tier)
        target = None
        if ticket.sla_policy is not None:
            target = SlaTarget.all_objects.filter(policy=ticket.sla_policy,
                                                  priority=ticket.priority).first()
        ticket.first_response_target = target.first_response_minutes if target else None
        ticket.resolution_target = target.resolution_minutes if target else None
    policy = ticket.sla_policy
    calendar = calendar_of(policy)
    fraction = (policy.warn_percent if policy else 80) / 100
    pauses = pauses_of(ticket)
    start = ticket.created_at

    def clock(target: int | None, done_at: dt.datetime | None, state: str
              ) -> tuple[dt.datetime | None, dt.datetime | None, str]:
        if target is None:
            return None, None, SlaState.OK
        due = bh.due_at(calendar, start, target, pauses)
        warn = bh.warn_at(calendar, start, target, pauses, fraction=fraction)
        if done_at is not None:
            return due, warn, SlaState.MET if due is None or done_at <= due \
                else SlaState.BREACHED
        if state == SlaState.BREACHED or (due is not None and due <= now):
            return due, warn, SlaState.BREACHED
        if warn is not None and warn <= now:
            return due, warn, SlaState.WARNING
        return due, warn, SlaState.OK

    (ticket.first_response_due, ticket.first_response_warn,
     ticket.first_response_state) = clock(ticket.first_response_target,
                                          ticket.first_response_at,
                                          ticket.first_response_state)
    (ticket.resolution_due, ticket.resolution_warn,
     ticket.resolution_state) = clock(ticket.resolution_target, ticket.resolved_at,
                                      ticket.resolution_state)


def _elapsed(ticket: Ticket, until: dt.datetime) -> float:
    return bh.elapsed_minutes(calendar_of(ticket.sla_policy), ticket.created_at, until,
                              pauses_of(ticket))


# ---- tickets --------------------------------------------------------------------------------

TICKET_FIELDS = ("type", "subject", "description", "queue", "priority", "assignee", "account",
                 "contact", "requester_email", "order", "invoice")


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


@transaction.atomic
def ticket_create(*, actor: User | None, data: dict[str, Any], channel: str = "",
                  organization: Organization | None = None) -> Ticket:
    """Open a ticket: number, queue (routed by type), assignee (by the queue's rule), SLA.

    ``actor`` is None for tickets that customers open themselves (e-mail, web forms); then
    ``organization`` says whose desk it is.
    """
    if actor is not None:
        require(actor, "service.add")
        org_id = actor.organization_id
    elif organization is not None:
        org_id = organization.pk
    else:
        raise ValueError("ticket_create needs an actor or an organisation")
    refuse_unknown(data, TICKET_FIELDS)
    _check_refs(org_id, data)
    data = dict(data)
    if data.get("account") is None and data.get("contact") is not None:
        data["account"] = primary_account(data["contact"])
    ticket = Ticket(organization_id=org_id, channel=channel[:10], **data)
    _clean_ticket(ticket)
    if ticket.queue_id is None:
        ticket.queue = route_queue(org_id, ticket.type)
        if ticket.queue is None:
            raise ValidationError({"queue": _("Create a queue first: tickets wait in queues.")})
    if not ticket.requester_email and ticket.contact_id:
        ticket.requester_email = ticket.contact.email
    ticket.tier = ticket.account.service_tier if ticket.account_id else ServiceTier.STANDARD
    if ticket.assignee_id is None:
        ticket.assignee = _next_agent(ticket.queue, ticket.tier)
    now = timezone.now()
    ticket.created_at = now
    ticket.number = sequence_next(organization_id=org_id, prefix=TICKET_PREFIX, year=now.year)
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
    before = (ticket.priority, ticket.account_id, ticket.assignee_id)
    for key, value in data.items():
        setattr(ticket, key, value)
    _clean_ticket(ticket)
    fields = list(data)
    if ticket.account_id != before[1]:
        ticket.tier = ticket.account.service_tier if ticket.account_id else ServiceTier.STANDARD
        fields.append("tier")
    if (ticket.priority, ticket.account_id) != before[:2]:
        _sla_apply(ticket, reselect=True)
        fields += SLA_FIELDS
    versioned_save(ticket, expected_version=expected_version, fields=fields)
    if ticket.assignee_id and ticket.assignee_id not in (before[2], actor.pk):
        _tell_assignee(ticket)
    return ticket


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
    fields = _set_status(ticket, status, now)
    versioned_save(ticket, expected_version=None, fields=fields)
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
        mailbox=ticket.queue.mailbox)
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


# ---- the periodic scan ----------------------------------------------------------------------


@dataclass
class ScanResult:
    warned: int = 0
    breached: int = 0
    escalated: int = 0
    unhandled: int = 0
    closed: int = 0
    errors: list[str] = field(default_factory=list)


NEXT_PRIORITY = {p: PRIORITY_ORDER[min(i + 1, len(PRIORITY_ORDER) - 1)]
                 for i, p in enumerate(PRIORITY_ORDER)}
RUNNING = (TicketStatus.NEW, TicketStatus.OPEN)  # the clock does not run while waiting


def sla_scan(*, now: dt.datetime | None = None, organization_id: int | None = None) -> ScanResult:
    """Flag tickets about to breach and breached; escalate the breached; close stale resolved.

    Set-based: each step is a few queries whatever the number of open tickets. One
    organisation's failure is logged and reported, and does not stop the others.
    """
    now = now or timezone.now()
    result = ScanResult()
    orgs = Ticket.all_objects.filter(status__in=(*OPEN_STATUSES, TicketStatus.RESOLVED))
    if organization_id is not None:
        orgs = orgs.filter(organization_id=organization_id)
    for org_id in orgs.order_by().values_list("organization_id", flat=True).distinct():
        try:
            with transaction.atomic():
                _scan_organization(org_id, now, result)
        except Exception as exc:  # recorded and reported; the next organisation goes on
            log.exception("SLA scan of organisation %s failed", org_id)
            result.errors.append(f"organisation {org_id}: {type(exc).__name__}: {exc}")
    return result


def _scan_organization(org_id: int, now: dt.datetime, result: ScanResult) -> None:
    tickets = Ticket.all_objects.filter(organization_id=org_id, status__in=RUNNING)
    frt = tickets.filter(first_response_at__isnull=True)
    warned = defaultdict(list)  # assignee id -> tickets
    for clock, rows in (("first_response", frt), ("resolution", tickets)):
        due, warn, state = f"{clock}_due", f"{clock}_warn", f"{clock}_state"
        to_warn = rows.filter(**{state: SlaState.OK, f"{warn}__lte": now, f"{due}__gt": now})
        for ticket in to_warn.only("pk", "uuid", "organization_id", "assignee_id", "number",
                                   "subject", "priority", "status"):
            warned[ticket.assignee_id].append(ticket)
            events.publish("ticket.sla_warning", record=ticket,
                           data={**_ticket_data(ticket), "clock": clock})
        result.warned += to_warn.update(**{state: SlaState.WARNING})
        breached = _with_people(list(rows.filter(
            **{f"{state}__in": [SlaState.OK, SlaState.WARNING], f"{due}__lte": now})))
        if breached:
            for ids in _chunks([t.pk for t in breached]):
                rows.filter(pk__in=ids).update(**{state: SlaState.BREACHED})
            result.breached += len(breached)
            for ticket in breached:
                events.publish("ticket.sla_breached", record=ticket,
                               data={**_ticket_data(ticket), "clock": clock})
            _escalate(breached, clock, result)
    for assignee_id, rows in warned.items():
        if assignee_id is not None:
            _warn(assignee_id, rows)
    stale = Ticket.all_objects.filter(organization_id=org_id, status=TicketStatus.RESOLVED,
                                      resolved_at__lte=now - AUTO_CLOSE_AFTER)
    result.closed += stale.update(status=TicketStatus.CLOSED, closed_at=now)


def _with_people(tickets: list[Ticket]) -> list[Ticket]:
    """Attach each ticket's queue (with its escalation user) and assignee, read once each: a
    few queues and agents serve thousands of breached tickets."""
    queues = Queue.all_objects.filter(pk__in={t.queue_id for t in tickets}).select_related(
        "escalate_to")
    by_queue = {queue.pk: queue for queue in queues}
    users = User.objects.filter(pk__in={t.assignee_id for t in tickets} - {None})
    by_user = {user.pk: user for user in users}
    for ticket in tickets:
        ticket.queue = by_queue[ticket.queue_id]
        ticket.assignee = by_user.get(ticket.assignee_id)
    return tickets


def _chunks(ids: list[int], size: int = 2000) -> list[list[int]]:
    """``ids`` in slices that keep ``pk__in`` below SQLite's limit on query parameters."""
    return [ids[i:i + size] for i in range(0, len(ids), size)]


def _warn(assignee_id: int, tickets: list[Ticket]) -> None:
    user = User.objects.filter(pk=assignee_id).first()
    notify([user], lambda: (
        ngettext("%(n)d ticket about to breach its SLA", "%(n)d tickets about to breach their SLA",
                 len(tickets)) % {"n": len(tickets)},
        "\n".join(f"{t.number} {t.subject}" for t in tickets[:50])),
        url=settings.SITE_URL + reverse("service:ticket_list") + "?sla=warning")


def _escalate(tickets: list[Ticket], clock: str, result: ScanResult) -> None:
    """Reassign to the queue's escalation user, raise the priority one step, tell people."""
    org_id = tickets[0].organization_id
    label = _("first response") if clock == "first_response" else _("resolution")
    audit_rows, entries = [], []
    recipients: dict[int, list[Ticket]] = defaultdict(list)
    nobody: list[Ticket] = []
    # One UPDATE per (new priority, escalation user) rather than one per ticket.
    updates: dict[tuple[str, int | None], list[int]] = defaultdict(list)
    texts: dict[tuple[str, str, int | None, bool], str] = {}
    for ticket in tickets:
        target = ticket.queue.escalate_to
        new_priority = NEXT_PRIORITY[ticket.priority]
        changes: dict[str, list[Any]] = {"escalation_level": [ticket.escalation_level,
                                                             ticket.escalation_level + 1]}
        if new_priority != ticket.priority:
            changes["priority"] = [ticket.priority, new_priority]
        if target is not None and target.pk != ticket.assignee_id:
            changes["assignee_id"] = [ticket.assignee_id, target.pk]
        audit_rows.append((ticket, changes))
        updates[(new_priority, target.pk if target is not None else None)].append(ticket.pk)
        people = [u for u in (ticket.assignee, target) if u is not None]
        reassigned = target if "assignee_id" in changes else None
        key = (ticket.priority, new_priority, getattr(reassigned, "pk", None), not people)
        if key not in texts:  # a few distinct texts, however many tickets
            text = _("The %(clock)s target was breached: priority %(old)s → %(new)s.") % {
                "clock": label, "old": ticket.get_priority_display(),
                "new": Priority(new_priority).label}
            if reassigned is not None:
                text += " " + _("Reassigned to %(user)s.") % {"user": reassigned}
            if not people:
                text += " " + _("Nobody is assigned and the queue has no escalation user: the "
                                "administrators were told.")
            texts[key] = text
        text = texts[key]
        if not people:
            nobody.append(ticket)
        for user in people:
            recipients[user.pk].append(ticket)
        entries.append(TicketEntry(organization_id=org_id, ticket=ticket, kind=EntryKind.EVENT,
                                   body=text))
    for (new_priority, target_id), pks in updates.items():
        # A new version, so an agent's form opened before the escalation is refused as stale
        # instead of silently putting the old priority and assignee back.
        values: dict[str, Any] = {"priority": new_priority, "version": F("version") + 1,
                                  "escalation_level": F("escalation_level") + 1}
        if target_id is not None:  # without an escalation user the assignee stays
            values["assignee_id"] = target_id
        for ids in _chunks(pks):
            Ticket.all_objects.filter(pk__in=ids).update(**values)
    TicketEntry.all_objects.bulk_create(entries, batch_size=2000)
    audit_bulk_updated(Ticket, audit_rows)
    users = {u.pk: u for u in User.objects.filter(pk__in=list(recipients))}
    for user_id, rows in recipients.items():
        notify([users.get(user_id)], lambda rows=rows: (
            ngettext("%(n)d ticket breached its %(clock)s target",
                     "%(n)d tickets breached their %(clock)s target", len(rows))
            % {"n": len(rows), "clock": label},
            "\n".join(f"{t.number} {t.subject}" for t in rows[:50])),
            url=settings.SITE_URL + reverse("service:ticket_list") + "?sla=breached")
    if nobody:
        admins = User.objects.filter(organization_id=org_id, role=Role.ADMIN, is_active=True)
        notify(admins, lambda: (
            ngettext("%(n)d breached ticket with nobody to escalate to",
                     "%(n)d breached tickets with nobody to escalate to", len(nobody))
            % {"n": len(nobody)},
            _("Assign them, and set an escalation user on their queues:") + "\n"
            + "\n".join(f"{t.number} ({t.queue}) {t.subject}" for t in nobody[:50])),
            url=settings.SITE_URL + reverse("service:ticket_list") + "?sla=breached")
        log.warning("%d breached tickets of organisation %s had nobody to escalate to",
                    len(nobody), org_id)
    result.escalated += len(tickets) - len(nobody)
    result.unhandled += len(nobody)


# ---- satisfaction surveys -------------------------------------------------------------------


def survey_token(survey: Survey) -> str:
    return signing.dumps(survey.uuid.hex, salt=SURVEY_SALT)


def survey_from_token(token: str) -> Survey | None:
    try:
        value = signing.loads(token, salt=SURVEY_SALT, max_age=dt.timedelta(days=60))
    except signing.BadSignature:
        return None
    return Survey.all_objects.filter(uuid=value).select_related("ticket").first()


def _survey_enqueue(ticket_pk: int) -> None:
    from vinculo.service.tasks import survey_send

    survey_send.enqueue(ticket_pk)


def survey_send(ticket_pk: int) -> Survey | None:
    """E-mail the requester a one-click CSAT question (and an optional NPS one), once."""
    from django.core.mail import EmailMultiAlternatives
    from django.template.loader import render_to_string
    from django.utils import translation

    ticket = Ticket.all_objects.select_related("contact", "queue__mailbox", "organization").get(
        pk=ticket_pk)
    address = ticket.requester_email or (ticket.contact.email if ticket.contact else "")
    if not address:
        return None
    with transaction.atomic():
        survey, created = Survey.all_objects.get_or_create(
            ticket=ticket, defaults={"organization_id": ticket.organization_id})
        if not created and survey.sent_at is not None:
            return survey  # one survey per ticket, even when it is resolved again
        Survey.all_objects.filter(pk=survey.pk).update(sent_at=timezone.now())
    base = settings.SITE_URL + reverse("survey", kwargs={"token": survey_token(survey)})
    language = (ticket.contact.preferred_language if ticket.contact else "") or \
        settings.LANGUAGE_CODE
    with translation.override(language):
        context = {"ticket": ticket, "base": base, "scores": range(1, 6),
                   "organization": ticket.organization}
        subject = _("How did we do? %(number)s") % {"number": ticket.number}
        text = render_to_string("service/email/survey.txt", context)
        html = render_to_string("service/email/survey.html", context)
    sender = ticket.queue.mailbox.address if ticket.queue.mailbox else settings.DEFAULT_FROM_EMAIL
    message = EmailMultiAlternatives(subject, text, sender, [address])
    message.attach_alternative(html, "text/html")
    message.send()
    return survey


@transaction.atomic
def survey_answer(*, survey: Survey, csat: Any = None, nps: Any = None,
                  comment: str | None = None) -> Survey:
    """Record (or change) the customer's answer: CSAT 1–5, NPS 0–10, a comment."""
    errors = {}
    values: dict[str, Any] = {}
    for name, value, low, high in (("csat", csat, 1, 5), ("nps", nps, 0, 10)):
        if value in (None, ""):
            continue
        try:
            number = int(value)
        except (TypeError, ValueError):
            number = None
        if number is None or not low <= number <= high:
            errors[name] = _("A whole number from %(low)d to %(high)d.") % {"low": low,
                                                                            "high": high}
        else:
            values[name] = number
    if comment is not None:
        if len(comment) > 2000:
            errors["comment"] = _("At most 2000 characters.")
        values["comment"] = comment.strip()
    if errors:
        raise ValidationError(errors)
    if not values:
        raise ValidationError({"csat": _("Choose a score.")})
    Survey.all_objects.filter(pk=survey.pk).update(answered_at=timezone.now(), **values)
    survey.refresh_from_db()
    events.publish("survey.answered", record=survey, data={
        "csat": survey.csat, "nps": survey.nps, "ticket": str(survey.ticket.uuid)})
    return survey


# ---- knowledge base -------------------------------------------------------------------------

ARTICLE_FIELDS = ("title", "body", "keywords", "status", "public")


def _article_search_text(article: Article) -> str:
    from vinculo.customers.normalize import fold

    return " ".join(fold(p) for p in (article.title, article.keywords, article.body) if p)


@transaction.atomic
def article_save(*, actor: User, data: dict[str, Any], article: Article | None = None,
                 expected_version: int | None = None) -> Article:
    require(actor, "kb.change" if article else "kb.add")
    refuse_unknown(data, ARTICLE_FIELDS)
    creating = article is None
    article = article or Article(organization_id=actor.organization_id, author=actor)
    for key, value in data.items():
        setattr(article, key, value)
    if article.status not in ArticleStatus.values:
        raise ValidationError({"status": _("Unknown status.")})
    article.full_clean(exclude=["organization", "tags"], validate_unique=False)
    article.search_text = _article_search_text(article)
    if creating:
        article.save()
        return article
    return versioned_save(article, expected_version=expected_version,
                          fields=[*data, "search_text"])


@transaction.atomic
def article_delete(*, actor: User, article: Article) -> None:
    """Remove an article; the tickets it answered lose the link, not their history."""
    require(actor, "kb.delete")
    article.delete()


@transaction.atomic
def ticket_link_article(*, actor: User, ticket: Ticket, article: Article,
                        linked: bool = True) -> Ticket:
    require(actor, "service.change")
    same_org(ticket.organization_id, article=article)
    if linked:
        ticket.articles.add(article)
    else:
        ticket.articles.remove(article)
    return ticket
