"""Ticket types: the organisation's own list, each counting as a built-in kind.

Analytics, returns and the e-mail and web-form intake speak in kinds (request, incident,
complaint, return); people choose a type in the organisation's words. Every organisation
starts with one type per kind, made when the organisation is (``ticket_types_ensure``, on the
organisation's ``post_save``) and by the migration for those that existed before.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from vinculo.core.list_entries import entry_name, entry_order, refuse_taken_name
from vinculo.core.models import Organization, User
from vinculo.core.services import org_id, refuse_unknown, require, same_org, versioned_save
from vinculo.service.models import Queue, TicketCategory, TicketType

TICKET_TYPE_FIELDS = ("name", "kind", "queue", "order", "active")
NAME_MAX_LENGTH: int = TicketCategory._meta.get_field("name").max_length or 100


def ticket_types_ensure(organization: Organization) -> None:
    """Give ``organization`` the four default types (in its language) if it has none yet."""
    if TicketCategory.all_objects.filter(organization_id=organization.pk).exists():
        return
    with translation.override(organization.language or "en"):
        TicketCategory.all_objects.bulk_create([
            TicketCategory(organization_id=organization.pk, kind=kind, name=str(label),
                           order=position * 10)
            for position, (kind, label) in enumerate(TicketType.choices)])


def organization_saved(sender: Any, instance: Organization, created: bool, raw: bool = False,
                       **kwargs: Any) -> None:
    """``post_save`` of organisations: a new one starts with the default ticket types."""
    if created and not raw:
        ticket_types_ensure(instance)


def type_for_kind(organization_id: int, kind: str) -> TicketCategory | None:
    """The organisation's first active type of ``kind``: what tickets opened by e-mail, web
    forms or an API call naming only the kind take (None if the organisation has none)."""
    return (TicketCategory.all_objects.filter(organization_id=organization_id, kind=kind,
                                              active=True)
            .order_by("order", "name", "id").first())


def _values(organization_id: int, data: dict[str, Any],
            ticket_type: TicketCategory | None) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if "name" in data:
        values["name"] = entry_name(data.get("name"), NAME_MAX_LENGTH)
        refuse_taken_name(TicketCategory.all_objects.filter(organization_id=organization_id),
                          values["name"], ticket_type, _("This type is already in the list."))
    if "kind" in data:
        if data["kind"] not in TicketType.values:
            raise ValidationError({"kind": _("Choose request, incident, complaint or return.")})
        values["kind"] = data["kind"]
    if "queue" in data:
        queue = data["queue"]
        if queue is not None and not isinstance(queue, Queue):
            raise ValidationError({"queue": _("Not found.")})
        same_org(organization_id, queue=queue)
        values["queue"] = queue
    if "order" in data:
        values["order"] = entry_order(data["order"])
    if "active" in data:
        values["active"] = bool(data["active"])
    return values


def _keep_one_active(organization_id: int, ticket_type: TicketCategory) -> None:
    """Tickets always have a type to take: the last active one stays active."""
    others = TicketCategory.all_objects.filter(organization_id=organization_id, active=True
                                               ).exclude(pk=ticket_type.pk)
    if not others.exists():
        raise ValidationError({"active": _("Keep at least one active type: tickets need one.")})


@transaction.atomic
def ticket_type_create(*, actor: User, data: dict[str, Any]) -> TicketCategory:
    """Add a type to the organisation's list."""
    require(actor, "service.manage")
    refuse_unknown(data, TICKET_TYPE_FIELDS)
    organization_id = org_id(actor)
    values = _values(organization_id, {**data, "name": data.get("name")}, None)
    return TicketCategory.objects.create(organization_id=organization_id, **values)


@transaction.atomic
def ticket_type_update(*, actor: User, ticket_type: TicketCategory, data: dict[str, Any],
                       expected_version: int | None) -> TicketCategory:
    """Rename, reorder, route to a queue or (de)activate a type. A new kind applies to the
    tickets opened from now on; the ones already counted keep their kind."""
    require(actor, "service.manage")
    refuse_unknown(data, TICKET_TYPE_FIELDS)
    values = _values(ticket_type.organization_id, data, ticket_type)
    if values.get("active") is False and ticket_type.active:
        _keep_one_active(ticket_type.organization_id, ticket_type)
    for key, value in values.items():
        setattr(ticket_type, key, value)
    return versioned_save(ticket_type, expected_version=expected_version, fields=list(values))


@transaction.atomic
def ticket_type_delete(*, actor: User, ticket_type: TicketCategory) -> None:
    """Remove a type no ticket has. One that tickets have is protected: the database refuses
    (``ProtectedError``), which the pages and the API answer as "in use, deactivate it"."""
    require(actor, "service.manage")
    if ticket_type.active:
        _keep_one_active(ticket_type.organization_id, ticket_type)
    ticket_type.delete()


@transaction.atomic
def ticket_type_deactivate(*, actor: User, ticket_type: TicketCategory) -> TicketCategory:
    """No longer offer a type (what the page proposes when tickets have it)."""
    return ticket_type_update(actor=actor, ticket_type=ticket_type, data={"active": False},
                              expected_version=None)
