"""The organisation's list of industries: what the account form and the account list filter
offer. Accounts keep the industry as text, so a change to the list never rewrites them."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from vinculo.core.list_entries import entry_name, entry_order, refuse_taken_name
from vinculo.core.models import User
from vinculo.core.services import org_id, refuse_unknown, require, versioned_save
from vinculo.customers.models import Industry

INDUSTRY_FIELDS = ("name", "order", "active")
NAME_MAX_LENGTH: int = Industry._meta.get_field("name").max_length or 100


def _values(organization_id: int, data: dict[str, Any],
            industry: Industry | None) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if "name" in data:
        values["name"] = entry_name(data.get("name"), NAME_MAX_LENGTH, collapse=True)
        refuse_taken_name(Industry.all_objects.filter(organization_id=organization_id),
                          values["name"], industry, _("This industry is already in the list."))
    if "order" in data:
        values["order"] = entry_order(data["order"])
    if "active" in data:
        values["active"] = bool(data["active"])
    return values


@transaction.atomic
def industry_create(*, actor: User, data: dict[str, Any]) -> Industry:
    """Add an industry to the organisation's list."""
    require(actor, "customers.manage")
    refuse_unknown(data, INDUSTRY_FIELDS)
    organization_id = org_id(actor)
    values = _values(organization_id, {**data, "name": data.get("name")}, None)
    return Industry.objects.create(organization_id=organization_id, **values)


@transaction.atomic
def industry_update(*, actor: User, industry: Industry, data: dict[str, Any],
                    expected_version: int | None) -> Industry:
    """Rename, reorder or (de)activate an industry; accounts keep the words they have."""
    require(actor, "customers.manage")
    refuse_unknown(data, INDUSTRY_FIELDS)
    values = _values(industry.organization_id, data, industry)
    for key, value in values.items():
        setattr(industry, key, value)
    return versioned_save(industry, expected_version=expected_version, fields=list(values))


@transaction.atomic
def industry_delete(*, actor: User, industry: Industry) -> None:
    """Take an industry off the list (accounts that have it keep the text)."""
    require(actor, "customers.manage")
    industry.delete()


def industry_names(organization_id: int) -> list[str]:
    """The active industries, in the list's order: what the form and the filter offer."""
    return list(Industry.all_objects.filter(organization_id=organization_id, active=True)
                .order_by("order", "name").values_list("name", flat=True))
