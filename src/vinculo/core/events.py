"""Domain events: what happened to which record, told to whoever subscribed.

A service publishes an event (``events.publish("invoice.issued", record=invoice, actor=user)``)
once the change is made. Subscribers declared in the apps' contracts run:

- after the publishing transaction commits (the default): automation rules, webhooks, campaign
  triggers and notifications. They never run inside the transaction, so they cannot slow it
  down or see a change that is later rolled back, and a failing subscriber is logged without
  undoing the business change or stopping the other subscribers;
- inside it (``in_transaction=True``), for a rule that must commit or fail with the change.

Every event name must be declared by an app (``Contract.events``), with its payload documented;
publishing an undeclared name is a programming error. Publishing an event nobody subscribes to
costs a dictionary lookup. A subscriber to ``"*"`` (``ANY``) hears every declared event: the
webhooks (``integrations``), whose subscriptions choose among all of them at run time.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from django.db import transaction
from django.utils import timezone

from vinculo.core import plugins

logger = logging.getLogger(__name__)

#: The event name of a subscriber that hears every event.
ANY = "*"


@dataclass(frozen=True)
class Occurrence:
    """One publication of an event. ``id`` lets a receiver de-duplicate a redelivery."""

    name: str
    record: Any
    organization_id: int | None
    actor_id: int | None
    data: dict[str, Any] = field(default_factory=dict)
    id: uuid.UUID = field(default_factory=uuid.uuid4)
    occurred_at: dt.datetime = field(default_factory=timezone.now)

    @property
    def record_type(self) -> str:
        return self.record._meta.label_lower

    @property
    def record_uuid(self) -> str | None:
        value = getattr(self.record, "uuid", None)
        return str(value) if value is not None else None

    def as_payload(self) -> dict[str, Any]:
        """The JSON a webhook or a log receives."""
        return {
            "id": str(self.id),
            "event": self.name,
            "occurred_at": self.occurred_at.isoformat(),
            "record": {"type": self.record_type, "uuid": self.record_uuid},
            "data": self.data,
        }


@cache
def declared() -> dict[str, plugins.Event]:
    """Every event the apps publish, by name."""
    table: dict[str, plugins.Event] = {}
    for config, contract in plugins.contracts():
        for event in contract.events:
            if event.name in table:
                raise ValueError(f"{config.label} declares event {event.name!r} twice")
            table[event.name] = event
    return table


@cache
def _subscribers() -> dict[str, tuple[list[plugins.Subscriber], list[plugins.Subscriber]]]:
    """event -> (in-transaction subscribers, after-commit subscribers)."""
    table: dict[str, tuple[list[plugins.Subscriber], list[plugins.Subscriber]]] = {}
    names = declared()
    for config, contract in plugins.contracts():
        for subscriber in contract.subscribers:
            if subscriber.event != ANY and subscriber.event not in names:
                raise ValueError(
                    f"{config.label} subscribes to undeclared event {subscriber.event!r}")
            for name in (names if subscriber.event == ANY else (subscriber.event,)):
                now, later = table.setdefault(name, ([], []))
                (now if subscriber.in_transaction else later).append(subscriber)
    return table


_recorded: ContextVar[list[Occurrence] | None] = ContextVar("vinculo_events", default=None)


@contextmanager
def recording() -> Iterator[list[Occurrence]]:
    """Collect what is published in the block (tests, the command that lists events)."""
    bucket: list[Occurrence] = []
    token = _recorded.set(bucket)
    try:
        yield bucket
    finally:
        _recorded.reset(token)


def publish(name: str, *, record: Any, actor: Any = None, data: dict[str, Any] | None = None,
            using: str = "default") -> Occurrence | None:
    """Announce that ``name`` happened to ``record``; call it from the service that did it,
    inside its transaction: after-commit subscribers wait for the commit. Returns the
    occurrence, or None when nobody listens (then nothing is built)."""
    if name not in declared():
        raise ValueError(f"event {name!r} is not declared by any app")
    now, later = _subscribers().get(name, ((), ()))
    bucket = _recorded.get()
    if not now and not later and bucket is None:
        return None
    occurrence = Occurrence(
        name=name, record=record,
        organization_id=getattr(record, "organization_id", None),
        actor_id=getattr(actor, "pk", None), data=dict(data or {}))
    if bucket is not None:
        bucket.append(occurrence)
    for subscriber in now:
        plugins.resolve(subscriber.handler)(occurrence)
    if later:
        transaction.on_commit(lambda: _deliver(occurrence, later), using=using)
    return occurrence


def _deliver(occurrence: Occurrence, subscribers: list[plugins.Subscriber]) -> None:
    for subscriber in subscribers:
        try:
            plugins.resolve(subscriber.handler)(occurrence)
        except Exception:
            logger.exception("subscriber %s failed on %s %s", subscriber.handler,
                             occurrence.name, occurrence.id)
