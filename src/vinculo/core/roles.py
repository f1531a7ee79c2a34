"""Roles and what each may do: the one table every page, endpoint and service consults."""

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

# permission -> roles holding it. A permission names a domain and an action.
PERMISSIONS: dict[str, frozenset[str]] = {
    "customers.view": ALL,
    "customers.add": WRITERS,
    "customers.change": WRITERS,
    "customers.delete": frozenset({Role.ADMIN, Role.SALES_MANAGER}),
    "customers.merge": frozenset({Role.ADMIN, Role.SALES_MANAGER}),
    "customers.import": frozenset({Role.ADMIN, Role.SALES_MANAGER, Role.MARKETING}),
    "customers.export": frozenset({Role.ADMIN, Role.SALES_MANAGER, Role.MARKETING, Role.ANALYST}),
    "leads.convert": frozenset({Role.ADMIN, Role.SALES_MANAGER, Role.SALES_REP}),
    "audit.view": frozenset({Role.ADMIN, Role.SALES_MANAGER, Role.ANALYST}),
    "catalog.view": ALL,
    "catalog.add": frozenset({Role.ADMIN, Role.SALES_MANAGER}),
    "catalog.change": frozenset({Role.ADMIN, Role.SALES_MANAGER}),
    "catalog.delete": frozenset({Role.ADMIN, Role.SALES_MANAGER}),
    "sales.view": ALL,
    "sales.add": frozenset({Role.ADMIN, Role.SALES_MANAGER, Role.SALES_REP}),
    "sales.change": frozenset({Role.ADMIN, Role.SALES_MANAGER, Role.SALES_REP}),
    "sales.delete": frozenset({Role.ADMIN, Role.SALES_MANAGER}),
    "billing.view": frozenset(
        {Role.ADMIN, Role.SALES_MANAGER, Role.SALES_REP, Role.ANALYST, Role.READ_ONLY,
         Role.SERVICE_AGENT}
    ),
    "billing.add": frozenset({Role.ADMIN, Role.SALES_MANAGER}),
    "billing.change": frozenset({Role.ADMIN, Role.SALES_MANAGER}),
    "billing.delete": frozenset({Role.ADMIN}),
    "interactions.view": ALL,
    "interactions.add": WRITERS,
    "interactions.change": WRITERS,
    "interactions.delete": frozenset({Role.ADMIN, Role.SALES_MANAGER}),
    # mailboxes, e-mail templates, public web forms
    "interactions.manage": frozenset({Role.ADMIN}),
    "service.view": ALL,
    "service.add": frozenset(
        {Role.ADMIN, Role.SALES_MANAGER, Role.SALES_REP, Role.SERVICE_AGENT}
    ),
    "service.change": frozenset({Role.ADMIN, Role.SALES_MANAGER, Role.SERVICE_AGENT}),
    "service.delete": frozenset({Role.ADMIN}),
    # queues, SLA policies, business calendars
    "service.manage": frozenset({Role.ADMIN}),
    "service.metrics": frozenset(
        {Role.ADMIN, Role.SALES_MANAGER, Role.SERVICE_AGENT, Role.ANALYST}
    ),
    "kb.view": ALL,
    "kb.add": frozenset({Role.ADMIN, Role.SERVICE_AGENT}),
    "kb.change": frozenset({Role.ADMIN, Role.SERVICE_AGENT}),
    "kb.delete": frozenset({Role.ADMIN}),
    "analytics.view": frozenset({Role.ADMIN, Role.SALES_MANAGER, Role.ANALYST}),
    "analytics.run": frozenset({Role.ADMIN, Role.SALES_MANAGER, Role.ANALYST}),
    "analytics.manage": frozenset({Role.ADMIN, Role.ANALYST}),
    "core.manage_custom_fields": frozenset({Role.ADMIN}),
    "core.manage_users": frozenset({Role.ADMIN}),
}

# Roles whose record-level view is limited to what they or their team own.
OWNER_SCOPED_ROLES = frozenset({Role.SALES_REP})


def role_has(role: str | None, permission: str) -> bool:
    """True when ``role`` holds ``permission``; unknown permissions are denied."""
    return role is not None and role in PERMISSIONS.get(permission, frozenset())
