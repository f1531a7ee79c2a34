"""Factories for the service desk: calendars, SLA policies, queues, tickets, articles; made
through the service-desk services."""

from __future__ import annotations

from typing import Any

import factory

from tests.core.factories import ServiceFactory
from vinculo.core.models import User
from vinculo.service import services
from vinculo.service.models import Article, BusinessCalendar, Queue, SlaPolicy, Ticket

#: Monday to Friday, 09:00–17:00 in Madrid.
OFFICE_HOURS = {str(day): [["09:00", "17:00"]] for day in range(5)}
TARGETS = {"low": (480, 4800), "normal": (240, 2400), "high": (60, 960), "urgent": (30, 240)}


class BusinessCalendarFactory(ServiceFactory):
    class Meta:
        model = BusinessCalendar

    name = "Oficina Madrid"
    hours = None
    tz = "Europe/Madrid"

    @classmethod
    def service(cls, actor: User, *, name: str, hours: Any, tz: str) -> BusinessCalendar:
        return services.business_calendar_create(actor=actor, data={
            "name": name, "timezone": tz, "weekly_hours": hours or OFFICE_HOURS})


class SlaPolicyFactory(ServiceFactory):
    class Meta:
        model = SlaPolicy

    name = "Estándar"
    tier = ""
    cal = None
    targets = None
    warn_percent = 80

    @classmethod
    def service(cls, actor: User, *, name: str, tier: str, cal: Any, targets: Any,
                warn_percent: int) -> SlaPolicy:
        return services.sla_policy_create(actor=actor, data={
            "name": name, "tier": tier, "calendar": cal, "warn_percent": warn_percent},
            targets=targets or TARGETS)


class QueueFactory(ServiceFactory):
    class Meta:
        model = Queue

    name = "Soporte"

    @classmethod
    def service(cls, actor: User, **data: Any) -> Queue:
        return services.queue_create(actor=actor, data=data)


class TicketFactory(ServiceFactory):
    class Meta:
        model = Ticket

    subject = "No llega el pedido"

    @classmethod
    def service(cls, actor: User, **data: Any) -> Ticket:
        return services.ticket_create(actor=actor, data=data)


class ArticleFactory(ServiceFactory):
    class Meta:
        model = Article

    title = factory.Sequence(lambda n: f"Artículo {n}")
    body = "Cómo cambiar la dirección de entrega."
    status = "published"

    @classmethod
    def service(cls, actor: User, **data: Any) -> Article:
        return services.article_create(actor=actor, data=data)
