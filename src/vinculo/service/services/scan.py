"""The periodic SLA scan (``sla_scan``).

Escalation: a breach reassigns the ticket to its queue's escalation user (when there is one),
raises its priority one step and tells the people concerned; a breach with nobody to tell is
not left silent: the organisation's administrators hear of it.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from vinculo.core import events
from vinculo.core.audit import audit_bulk_updated
from vinculo.core.models import User
from vinculo.core.notifications import Message, notify
from vinculo.core.roles import Role
from vinculo.service.models import (
    OPEN_STATUSES,
    PRIORITY_ORDER,
    EntryKind,
    Priority,
    Queue,
    SlaState,
    Ticket,
    TicketEntry,
    TicketStatus,
)
from vinculo.service.services.tickets import AUTO_CLOSE_AFTER, _ticket_data

log = logging.getLogger(__name__)



# ---- the periodic scan ----------------------------------------------------------------------


@dataclass
class ScanResult:
    warned: int = 0
    breached: int = 0
    escalated: int = 0
    unhandled: int = 0
    closed: int = 0
    errors: list[str] = field(default_factory=list)


# Keyed by the plain string a ticket's priority field holds (Priority is a str enum).
NEXT_PRIORITY: dict[str, str] = {p: PRIORITY_ORDER[min(i + 1, len(PRIORITY_ORDER) - 1)]
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
    warned: defaultdict[int | None, list[Ticket]] = defaultdict(list)  # assignee id -> tickets
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
    for assignee_id, warned_tickets in warned.items():
        if assignee_id is not None:
            _warn(assignee_id, warned_tickets)
    stale = Ticket.all_objects.filter(organization_id=org_id, status=TicketStatus.RESOLVED,
                                      resolved_at__lte=now - AUTO_CLOSE_AFTER)
    result.closed += stale.update(status=TicketStatus.CLOSED, closed_at=now)


def _with_people(tickets: list[Ticket]) -> list[Ticket]:
    """Attach each ticket's queue (with its escalation user) and assignee, read once each: a
    few queues and agents serve thousands of breached tickets."""
    queues = Queue.all_objects.filter(pk__in={t.queue_id for t in tickets}).select_related(
        "escalate_to")
    by_queue = {queue.pk: queue for queue in queues}
    users = User.objects.filter(
        pk__in={t.assignee_id for t in tickets if t.assignee_id is not None})
    by_user = {user.pk: user for user in users}
    for ticket in tickets:
        ticket.queue = by_queue[ticket.queue_id]
        ticket.assignee = (by_user.get(ticket.assignee_id) if ticket.assignee_id is not None
                           else None)
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


def _breached_message(tickets: list[Ticket], clock_label: str) -> Message:
    """The notice of ``tickets`` breaching their ``clock_label`` target, written when called
    (in each recipient's language)."""
    def message() -> tuple[str, str]:
        return (ngettext("%(n)d ticket breached its %(clock)s target",
                         "%(n)d tickets breached their %(clock)s target", len(tickets))
                % {"n": len(tickets), "clock": clock_label},
                "\n".join(f"{t.number} {t.subject}" for t in tickets[:50]))
    return message


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
        notify([users.get(user_id)], _breached_message(rows, label),
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
