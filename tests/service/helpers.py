"""Builders for service-desk tests; they go through the services, like every writer."""

from __future__ import annotations

from tests import factories
from vinculo.service import services

#: Monday to Friday, 09:00–17:00 in Madrid.
OFFICE_HOURS = {str(day): [["09:00", "17:00"]] for day in range(5)}
TARGETS = {"low": (480, 4800), "normal": (240, 2400), "high": (60, 960), "urgent": (30, 240)}


def calendar(user, *, name="Oficina Madrid", hours=None, tz="Europe/Madrid"):
    with factories.as_user(user):
        return services.business_calendar_create(actor=user, data={
            "name": name, "timezone": tz, "weekly_hours": hours or OFFICE_HOURS})


def policy(user, *, name="Estándar", tier="", cal=None, targets=None, warn_percent=80):
    with factories.as_user(user):
        return services.sla_policy_create(actor=user, data={
            "name": name, "tier": tier, "calendar": cal, "warn_percent": warn_percent},
            targets=targets or TARGETS)


def queue(user, *, name="Soporte", **data):
    with factories.as_user(user):
        return services.queue_create(actor=user, data={"name": name, **data})


def ticket(user, **data):
    data.setdefault("subject", "No llega el pedido")
    with factories.as_user(user):
        return services.ticket_create(actor=user, data=data)
