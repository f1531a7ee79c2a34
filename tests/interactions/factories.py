"""Factories for interactions, tasks and the e-mail settings, made through the services."""

from __future__ import annotations

import datetime as dt
from typing import Any

import factory
from django.utils import timezone

from tests.core.factories import ServiceFactory
from vinculo.core.models import User
from vinculo.interactions import mailing, services
from vinculo.interactions.agenda import services as agenda
from vinculo.interactions.models import EmailTemplate, Interaction, Mailbox, Task, WebForm


def local(year: int, month: int, day: int, hour: int = 9, minute: int = 0) -> dt.datetime:
    """A wall-clock time in the install's zone (settings.TIME_ZONE)."""
    return timezone.make_aware(dt.datetime(year, month, day, hour, minute))


class TaskFactory(ServiceFactory):
    class Meta:
        model = Task

    title = "Llamar a Lucía"
    due_at = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(days=1))

    @classmethod
    def service(cls, actor: User, **data: Any) -> Task:
        return agenda.task_create(actor=actor, data=data)


class InteractionFactory(ServiceFactory):
    """A logged phone call; ``related`` is the record it is about."""

    class Meta:
        model = Interaction

    channel = "phone"
    subject = factory.Sequence(lambda n: f"Llamada {n}")
    related = None

    @classmethod
    def service(cls, actor: User, *, related: Any, **data: Any) -> Interaction:
        return services.interaction_log(actor=actor, data=data, related=related)


class MailboxFactory(ServiceFactory):
    class Meta:
        model = Mailbox

    name = factory.Sequence(lambda n: f"Buzón {n}")
    address = factory.Sequence(lambda n: f"buzon{n}@acme.test")
    password = None

    @classmethod
    def service(cls, actor: User, *, password: str | None, **data: Any) -> Mailbox:
        return mailing.mailbox_create(actor=actor, data=data, password=password)


class EmailTemplateFactory(ServiceFactory):
    class Meta:
        model = EmailTemplate

    name = factory.Sequence(lambda n: f"Plantilla {n}")
    subject = "Hola"
    body = "Gracias por escribirnos."

    @classmethod
    def service(cls, actor: User, **data: Any) -> EmailTemplate:
        return mailing.email_template_create(actor=actor, data=data)


class WebFormFactory(ServiceFactory):
    class Meta:
        model = WebForm

    name = factory.Sequence(lambda n: f"Formulario {n}")
    kind = "contact"

    @classmethod
    def service(cls, actor: User, **data: Any) -> WebForm:
        data.setdefault("owner", actor)
        return services.web_form_create(actor=actor, data=data)
