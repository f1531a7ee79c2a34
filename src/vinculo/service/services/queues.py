"""Queues: their settings, the by-tier routes and which queue and agent a new ticket goes to."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from vinculo.core.models import User
from vinculo.core.services import (
    org_id,
    refuse_unknown,
    require,
    same_org,
    versioned_save,
)
from vinculo.customers.models import ServiceTier
from vinculo.service.models import (
    AssignmentRule,
    Queue,
    TicketCategory,
    TicketType,
    TierRoute,
)

# ---- queues and routing --------------------------------------------------------------------


QUEUE_FIELDS = ("name", "team", "assignment", "mailbox", "default_for", "escalate_to")


def queue_create(*, actor: User, data: dict[str, Any],
                 tier_routes: dict[str, User | None] | None = None) -> Queue:
    """A new queue and its by-tier routes."""
    return _queue_save(actor=actor, data=data, tier_routes=tier_routes)


def queue_update(*, actor: User, queue: Queue, data: dict[str, Any],
                 expected_version: int | None,
                 tier_routes: dict[str, User | None] | None = None) -> Queue:
    """Change a queue and its by-tier routes (tiers left out keep their route)."""
    return _queue_save(actor=actor, data=data, queue=queue, tier_routes=tier_routes,
                       expected_version=expected_version)


@transaction.atomic
def _queue_save(*, actor: User, data: dict[str, Any], queue: Queue | None = None,
                tier_routes: dict[str, User | None] | None = None,
                expected_version: int | None = None) -> Queue:
    """Create or change a queue and its by-tier routes (an agent per tier; None removes one).

    A change is refused (``ConflictError``) when the queue is no longer at ``expected_version``.
    """
    require(actor, "service.manage")
    refuse_unknown(data, QUEUE_FIELDS)
    organization_id = org_id(actor)
    same_org(organization_id, team=data.get("team"), mailbox=data.get("mailbox"))
    escalate_to = data.get("escalate_to")
    if escalate_to is not None and escalate_to.organization_id != organization_id:
        raise ValidationError({"escalate_to": _("Not found.")})
    bad = [t for t in data.get("default_for", []) if t not in TicketType.values]
    if bad:
        raise ValidationError({"default_for": _("Unknown ticket type %(t)s.") % {"t": bad[0]}})
    creating = queue is None
    queue = queue or Queue(organization_id=organization_id)
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
        elif agent is not None and agent.organization_id != organization_id:
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
                queue=queue, tier=tier,
                defaults={"agent": agent, "organization_id": organization_id})
    return queue


def route_queue(organization_id: int, ticket_type: str,
                category: TicketCategory | None = None) -> Queue | None:
    """The queue a ticket goes to when none is named: its type's queue, else the first queue
    taking its kind (``ticket_type``) by default, else the first queue."""
    if category is not None and category.queue_id is not None:
        return category.queue
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
