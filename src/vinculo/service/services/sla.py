"""The SLA clock and the SLA policies.

A ticket takes the active policy for its customer's tier (a policy for that tier before one
for every tier) and the targets for its priority. The clock runs in the policy's business
calendar from the ticket's creation and stops while the ticket waits on the customer or sits
resolved; ``_sla_apply`` recomputes the stored due and warning instants whenever the clock
changes, so that ``sla_scan`` only compares them with "now" in the database.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Case, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from vinculo.core.models import User
from vinculo.core.services import (
    org_id,
    refuse_unknown,
    require,
    same_org,
    versioned_save,
)
from vinculo.service import business_hours as bh
from vinculo.service.models import (
    BusinessCalendar,
    Holiday,
    Priority,
    SlaPolicy,
    SlaState,
    SlaTarget,
    Ticket,
)


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
    if policy is None or policy.calendar is None:
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


def sla_policy_create(*, actor: User, data: dict[str, Any],
                      targets: dict[str, tuple[int, int]] | None = None) -> SlaPolicy:
    """A new SLA policy and its targets."""
    return _sla_policy_save(actor=actor, data=data, targets=targets)


def sla_policy_update(*, actor: User, policy: SlaPolicy, data: dict[str, Any],
                      expected_version: int | None,
                      targets: dict[str, tuple[int, int]] | None = None) -> SlaPolicy:
    """Change a policy; ``targets``, when given, replace all of its targets."""
    return _sla_policy_save(actor=actor, data=data, targets=targets, policy=policy,
                            expected_version=expected_version)


@transaction.atomic
def _sla_policy_save(*, actor: User, data: dict[str, Any],
                     targets: dict[str, tuple[int, int]] | None = None,
                     policy: SlaPolicy | None = None,
                     expected_version: int | None = None) -> SlaPolicy:
    """A policy and its (first response, resolution) targets in minutes, per priority.

    Everything is checked before anything is written; a change is refused (``ConflictError``)
    when the policy is no longer at ``expected_version``.
    """
    require(actor, "service.manage")
    refuse_unknown(data, ("name", "tier", "calendar", "warn_percent", "active"))
    same_org(org_id(actor), calendar=data.get("calendar"))
    creating = policy is None
    policy = policy or SlaPolicy(organization_id=org_id(actor))
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
