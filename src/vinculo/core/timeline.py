"""The customer timeline: every app adds its events to an account's or contact's 360° page.

Lower layers cannot import higher ones (customers knows nothing of sales or billing), so each
app names its providers in its contract (``Contract.timeline``) and the 360° page asks them all.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.db import models

from vinculo.core import plugins


@dataclass(frozen=True)
class TimelineItem:
    when: dt.datetime
    kind: str  # a short machine name: "opportunity", "invoice", "call"…
    title: str
    url: str = ""
    detail: str = ""


Provider = Callable[[models.Model, int], Iterable[TimelineItem]]


def providers() -> list[Provider]:
    """Every app's timeline providers: ``provider(record, limit)`` yields the record's events,
    newest first."""
    return [plugins.resolve(path) for path in plugins.collect("timeline")]


def _aware(value: dt.datetime | dt.date) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value
    return dt.datetime.combine(value, dt.time(), tzinfo=dt.UTC)


def of_customer(rows: models.QuerySet, record: Any) -> models.QuerySet | None:
    """``rows`` narrowed to an account's or a contact's (through their ``account`` or
    ``contact`` field); None when ``record`` is neither, so a provider yields nothing."""
    if record._meta.label_lower not in ("customers.account", "customers.contact"):
        return None
    return rows.filter(**{record._meta.model_name: record})


def for_record(record: Any, *, limit: int = 30) -> list[TimelineItem]:
    """The newest ``limit`` events of an account or contact, from every registered app."""
    items = [item for provider in providers() for item in provider(record, limit)]
    items.sort(key=lambda item: _aware(item.when), reverse=True)
    return items[:limit]
