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


#: Service accounts that act for people outside the staff (the customer portal's contacts): the
#: permissions each kind may use, whatever its role, keyed by the e-mail prefix its app gives
#: them (on ``core.models.SERVICE_ACCOUNT_DOMAIN``). Apps register theirs when ready. The role
#: lets the staff services and record rules run for them; the scope is what keeps one missed
#: check in the app's own code from becoming an administrator's reach (``require``).
SERVICE_SCOPES: dict[str, frozenset[str]] = {}


def scope_allows(email: str, permission: str) -> bool:
    """False when ``email`` is a scoped service account's and ``permission`` is outside its
    scope; True for everyone else (their role decides)."""
    from vinculo.core.models import SERVICE_ACCOUNT_DOMAIN

    if not email.endswith(f"@{SERVICE_ACCOUNT_DOMAIN}"):
        return True
    for prefix, allowed in SERVICE_SCOPES.items():
        if email.startswith(prefix):
            return permission in allowed
    return True


# Roles whose record-level view is limited to what they or their team own.
OWNER_SCOPED_ROLES = frozenset({Role.SALES_REP})


def role_has(role: str | None, permission: str) -> bool:
    """True when ``role`` holds ``permission``; unknown permissions are denied."""
    return role is not None and role in PERMISSIONS.get(permission, frozenset())
