"""Tasks for the task tests, made through the service like every other writer."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from tests import factories
from vinculo.core.models import User
from vinculo.interactions.agenda import services
from vinculo.interactions.models import Task


def local(year: int, month: int, day: int, hour: int = 9, minute: int = 0) -> dt.datetime:
    """A wall-clock time in the install's zone (settings.TIME_ZONE)."""
    return timezone.make_aware(dt.datetime(year, month, day, hour, minute))


def task(user: User, **data: Any) -> Task:
    data = {"title": "Llamar a Lucía", "due_at": timezone.now() + dt.timedelta(days=1),
            **data}
    with factories.as_user(user):
        return services.task_create(actor=user, data=data)
