"""Service packages' field in the segments' rule language (extension point
``segments.fields``): the customer's current package, so "a complaint opened by a customer of
package Gold" is an exception rule's condition, and "customers of Premium" a segment or a
campaign's audience, in the one condition language."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from vinculo.packages.models import AccountPackage, ServicePackage
from vinculo.segments.rules.registry import Context, FieldDef


def _packages(organization_id: int) -> list[tuple[str, Any]]:
    return [(str(uuid), name) for uuid, name in ServicePackage.all_objects.filter(
        organization_id=organization_id).order_by("-rank", "name").values_list("uuid", "name")]


def _package_build(op: str, value: Any, ctx: Context) -> Q:
    """The accounts whose current package (``AccountPackage``, one row per account) is among
    the chosen; "is empty" is the customers without a package."""
    rows = AccountPackage.all_objects.filter(organization_id=ctx.organization_id)
    if op in ("empty", "not_empty"):
        having = Q(pk__in=rows.values("account_id"))
        return ~having if op == "empty" else having
    chosen = value if isinstance(value, list) else [value]
    members = Q(pk__in=rows.filter(package__uuid__in=chosen).values("account_id"))
    return ~members if op in ("ne", "not_in") else members


def fields(organization_id: int) -> Iterator[FieldDef]:
    yield FieldDef(name="packages.package", label=_("service package"),
                   group=_("Service packages"), type="choice", base="account",
                   build=_package_build, choices=lambda: _packages(organization_id),
                   help=_("The package the customer has now."))
