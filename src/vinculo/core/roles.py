"""Roles and what each may do: the one table every page, endpoint and service consults,
assembled from the permissions each app declares in its contract."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    ADMIN = "admin", _("Administrator")
    SALES_MANAGER = "sales_manager", _("Sales manager")
    SALES_REP = "sales_rep", _("Sales representative")
    MARKETING = "marketing", _("Marketing")
    SERVICE_AGENT = "service_agent", _("Service agent")
    ANALYST = "analyst", _("Analyst")
    READ_ONLY = "read_only", _("Read-only")


ALL = frozenset(Role.values)
WRITERS = frozenset(
    {Role.ADMIN, Role.SALES_MANAGER, Role.SALES_REP, Role.MARKETING, Role.SERVICE_AGENT}
)



def only(*roles: str) -> frozenset[str]:
    """The roles named: ``only(Role.ADMIN, Role.SALES_MANAGER)``, for contracts to read well."""
    return frozenset(roles)


# permission -> roles holding it. A permission names a domain and an action. Each app declares
# its own in its contract (``core.plugins``); the table is filled when the apps are ready.
PERMISSIONS: dict[str, frozenset[str]] = {}


def load() -> None:
    """Fill ``PERMISSIONS`` from the apps' contracts (``CoreConfig.ready``)."""
    from vinculo.core import plugins

    PERMISSIONS.clear()
    PERMISSIONS.update(plugins.permissions())


# Roles whose record-level view is limited to what they or their team own.
OWNER_SCOPED_ROLES = frozenset({Role.SALES_REP})


def role_has(role: str | None, permission: str) -> bool:
    """True when ``role`` holds ``permission``; unknown permissions are denied."""
    return role is not None and role in PERMISSIONS.get(permission, frozenset())
