"""Webhook delivery: record each event for its subscriptions, send it, retry, pause.

**Recording** (:func:`event_record`) is a subscriber to every domain event that runs inside
the publishing transaction: the delivery rows (an outbox) commit with the business change or
not at all, so an event that happened is never lost to a crash between the commit and the
sending. The drain task is enqueued after the commit; ``vinculo webhooks_dispatch`` (every
minute) enqueues it again for anything due that a lost task left behind.

**Sending** (:func:`subscription_drain`, the ``webhook_drain`` task) takes a lease on the
subscription, so one drain at a time sends its deliveries, oldest first, over one kept-alive
connection. A failure holds back the later deliveries of the **same record** until it went
through (order per record), not those of other records: the query that takes a batch
(:func:`_sendable`) leaves out, in SQL, what waits behind an earlier delivery of its record,
so however many wait behind one failing record the others still go out. Each attempt is
logged (status code, duration, response excerpt or error); a failed delivery is retried after
``VINCULO_WEBHOOK_RETRY_SECONDS`` (10 s, 1 min, 5 min, 30 min, 2 h, 6 h, 12 h), and gives up
(``failed``, replayable by hand) after ``VINCULO_WEBHOOK_MAX_ATTEMPTS`` (8). After
``VINCULO_WEBHOOK_PAUSE_AFTER`` (10) failed attempts in a row the subscription is paused and
its administrators are told; events keep being recorded and go out when it is resumed.
Delivery is at least once: a receiver de-duplicates by the event id.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from typing import Any

import requests
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from vinculo.core import crypto
from vinculo.core.events import Occurrence
from vinculo.core.mailqueue import enqueue
from vinculo.core.models import User
from vinculo.core.notifications import notify
from vinculo.core.roles import Role
from vinculo.integrations import signing, targets
from vinculo.integrations.models import (
    DeliveryStatus,
    SubscriptionStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
)

log = logging.getLogger(__name__)

LEASE = dt.timedelta(minutes=5)
PASS_SECONDS = 60  # a drain sends for at most this long, then hands over to a new task
BATCH = 200
FLUSH_ROWS = 100  # deliveries taken, written in one commit
FLUSH_SECONDS = 0.5
EXCERPT = 500  # characters of the receiver's answer kept per attempt
READ_LIMIT = 64 * 1024  # bytes of an answer read (the rest is dropped with the connection)
USER_AGENT = "Vinculo-Webhooks/1"


def retry_delay(attempts: int) -> dt.timedelta:
    """How long to wait after the ``attempts``-th failure of a delivery."""
    steps = [int(s) for s in settings.VINCULO_WEBHOOK_RETRY_SECONDS]
    return dt.timedelta(seconds=steps[min(attempts, len(steps)) - 1])


def drain_on_commit(subscription_id: int) -> None:
    """Have the subscription's deliveries sent once the current transaction commits."""
    from vinculo.integrations.tasks import webhook_drain

    transaction.on_commit(lambda: enqueue(webhook_drain, subscription_id))


# ---- recording --------------------------------------------------------------------------------


def _organization_id(occurrence: Occurrence) -> int | None:
    if occurrence.organization_id is not None:
        return occurrence.organization_id
    if occurrence.record._meta.label_lower == "core.organization":
        return occurrence.record.pk
    return None


def event_record(occurrence: Occurrence) -> int:
    """Write one pending delivery per subscription of the organisation listening to the
    event, inside the publishing transaction (subscriber to every event)."""
    organization_id = _organization_id(occurrence)
    if organization_id is None:
        return 0
    listening = [
        (pk, status) for pk, status, names in WebhookSubscription.all_objects
        .filter(organization_id=organization_id).values_list("pk", "status", "events")
        if occurrence.name in names]
    if not listening:
        return 0
    payload = occurrence.as_payload()
    body = json.dumps(payload, cls=DjangoJSONEncoder, separators=(",", ":"))
    record_key = (f"{occurrence.record_type}:{occurrence.record_uuid}"
                  if occurrence.record_uuid else "")
    WebhookDelivery.all_objects.bulk_create([
        WebhookDelivery(organization_id=organization_id, subscription_id=pk,
                        event_id=occurrence.id, event=occurrence.name, record_key=record_key,
                        body=body)
        for pk, _status in listening])
    for pk, status in listening:
        if status == SubscriptionStatus.ACTIVE:
            drain_on_commit(pk)
    return len(listening)


# ---- sending ----------------------------------------------------------------------------------


def _claim(subscription_id: int) -> bool:
    now = timezone.now()
    return WebhookSubscription.all_objects.filter(
        Q(lease_until__isnull=True) | Q(lease_until__lt=now),
        pk=subscription_id, status=SubscriptionStatus.ACTIVE,
    ).update(lease_until=now + LEASE) == 1


def _release(subscription_id: int) -> None:
    WebhookSubscription.all_objects.filter(pk=subscription_id).update(lease_until=None)


def _pending(subscription_id: int) -> Any:
    return WebhookDelivery.all_objects.filter(subscription_id=subscription_id,
                                              status=DeliveryStatus.PENDING)


def _sendable(subscription_id: int, now: dt.datetime) -> Any:
    """The subscription's deliveries that may go out now: pending, due, and not behind an
    earlier pending delivery of the same record that waits for its retry (NOT EXISTS on the
    partial index ``webhook_pending_per_record``). What is left out waits on its record
    only, never on the batch: a record with thousands held back does not hold up the
    others. A delivery without a record (``record_key`` empty) waits for nothing."""
    held_back = WebhookDelivery.all_objects.filter(
        subscription_id=OuterRef("subscription_id"), record_key=OuterRef("record_key"),
        status=DeliveryStatus.PENDING, next_attempt_at__gt=now, id__lt=OuterRef("id"))
    return (_pending(subscription_id).filter(next_attempt_at__lte=now)
            .filter(Q(record_key="") | ~Exists(held_back)))


def subscription_drain(subscription_id: int) -> int:
    """Send what is due for one subscription (the task); returns how many went through.
    Schedules itself again for the next retry that is waiting."""
    sent = 0
    while _claim(subscription_id):
        try:
            done, more = _drain_claimed(subscription_id)
            sent += done
        finally:
            _release(subscription_id)
        # a delivery recorded while the lease was held found it taken: look once more (only
        # at what may go out: one held back behind its record's retry waits for that)
        if not more and not _sendable(subscription_id, timezone.now()).exists():
            break
    _schedule_next(subscription_id)
    return sent


def _schedule_next(subscription_id: int) -> None:
    from vinculo.integrations.tasks import webhook_drain

    if not WebhookSubscription.all_objects.filter(
            pk=subscription_id, status=SubscriptionStatus.ACTIVE).exists():
        return
    waiting = (_pending(subscription_id).filter(next_attempt_at__gt=timezone.now())
               .order_by("next_attempt_at").values_list("next_attempt_at", flat=True).first())
    if waiting is not None:
        enqueue(webhook_drain, subscription_id, run_after=waiting)


class _Successes:
    """Deliveries the receiver took, written together: one commit per ``FLUSH_ROWS`` or
    ``FLUSH_SECONDS`` instead of one per event (a crash before the write sends them again:
    still at least once). Written before any failure is handled and before the next batch is
    read, so what the database says stays in step with the order of sending."""

    def __init__(self, subscription: WebhookSubscription) -> None:
        self.subscription = subscription
        self.rows: list[tuple[WebhookDelivery, int, str, int]] = []
        self.since = time.monotonic()

    def add(self, row: WebhookDelivery, code: int, excerpt: str, duration_ms: int) -> None:
        self.rows.append((row, code, excerpt, duration_ms))
        if len(self.rows) >= FLUSH_ROWS or time.monotonic() - self.since > FLUSH_SECONDS:
            self.flush()

    def flush(self) -> None:
        self.since = time.monotonic()
        if not self.rows:
            return
        now = timezone.now()
        with transaction.atomic():
            WebhookAttempt.all_objects.bulk_create([
                WebhookAttempt(organization_id=row.organization_id, delivery_id=row.pk, at=now,
                               ok=True, status_code=code, duration_ms=duration_ms,
                               response_excerpt=excerpt)
                for row, code, excerpt, duration_ms in self.rows])
            by_code: dict[int, list[int]] = {}
            for row, code, _excerpt, _ms in self.rows:
                by_code.setdefault(code, []).append(row.pk)
            for code, ids in by_code.items():
                WebhookDelivery.all_objects.filter(pk__in=ids).update(
                    status=DeliveryStatus.DELIVERED, attempts=F("attempts") + 1,
                    delivered_at=now, last_status_code=code)
            if self.subscription.consecutive_failures:
                WebhookSubscription.all_objects.filter(pk=self.subscription.pk).update(
                    consecutive_failures=0)
                self.subscription.consecutive_failures = 0
        self.rows = []


def _drain_claimed(subscription_id: int) -> tuple[int, bool]:
    """(deliveries sent, whether the time budget ran out with more to send)."""
    subscription = WebhookSubscription.all_objects.get(pk=subscription_id)
    secret = crypto.decrypt(subscription.secret)
    deadline = time.monotonic() + PASS_SECONDS
    successes = _Successes(subscription)
    try:
        with targets.session() as http:
            return _send_batches(http, subscription, secret, successes, deadline)
    finally:
        successes.flush()


def _send_batches(http: requests.Session, subscription: WebhookSubscription, secret: str,
                  successes: _Successes, deadline: float) -> tuple[int, bool]:
    sent = 0
    while True:
        successes.flush()  # the next batch must not see what was just sent as pending
        batch = list(_sendable(subscription.pk, timezone.now()).order_by("id")[:BATCH])
        if not batch:
            return sent, False
        # records whose delivery failed in this batch (the next batch's query leaves out
        # what is behind it while it waits for its retry)
        blocked: set[str] = set()
        for row in batch:
            key = row.record_key or str(row.event_id)
            if key in blocked:
                continue  # an earlier delivery of this record has not gone through yet
            if time.monotonic() > deadline:
                return sent, True
            started = time.monotonic()
            code, excerpt, error = _post(http, subscription.url, secret, row)
            duration_ms = round((time.monotonic() - started) * 1000)
            if code is not None and 200 <= code < 300:
                successes.add(row, code, excerpt, duration_ms)
                sent += 1
                continue
            successes.flush()
            _failed(subscription, row, code, excerpt, error, duration_ms)
            blocked.add(key)
            if subscription.status != SubscriptionStatus.ACTIVE:
                return sent, False


def _post(http: requests.Session, url: str, secret: str, row: WebhookDelivery
          ) -> tuple[int | None, str, str]:
    """(status code or None, the answer's first characters, the error) of one POST."""
    body = row.body.encode()
    headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT,
               "Vinculo-Event": row.event, "Vinculo-Event-Id": str(row.event_id),
               "Vinculo-Delivery": str(row.uuid), signing.HEADER: signing.header(secret, body)}
    try:
        with http.post(url, data=body, headers=headers, allow_redirects=False, stream=True,
                       timeout=(5, settings.VINCULO_WEBHOOK_TIMEOUT)) as response:
            raw = response.raw.read(READ_LIMIT, decode_content=True) or b""
            text = raw.decode(response.encoding or "utf-8", "replace")[:EXCERPT]
            error = ""
            if response.is_redirect:
                error = _("Redirects are not followed (to %(location)s).") % {
                    "location": response.headers.get("Location", "")[:200]}
            return response.status_code, text, error
    except requests.RequestException as exc:
        return None, "", f"{type(exc).__name__}: {exc}"[:1000]


def _failed(subscription: WebhookSubscription, row: WebhookDelivery, code: int | None,
            excerpt: str, error: str, duration_ms: int) -> None:
    """Log a failed attempt, schedule the retry (or give up), count it against the
    subscription and pause it after too many in a row."""
    now = timezone.now()
    attempts = row.attempts + 1
    with transaction.atomic():
        WebhookAttempt.all_objects.create(
            organization_id=row.organization_id, delivery_id=row.pk, at=now, ok=False,
            status_code=code, duration_ms=duration_ms, response_excerpt=excerpt, error=error)
        final = attempts >= settings.VINCULO_WEBHOOK_MAX_ATTEMPTS
        WebhookDelivery.all_objects.filter(pk=row.pk).update(
            status=DeliveryStatus.FAILED if final else DeliveryStatus.PENDING,
            attempts=attempts, last_status_code=code,
            next_attempt_at=now + retry_delay(attempts))
        WebhookSubscription.all_objects.filter(pk=subscription.pk).update(
            consecutive_failures=F("consecutive_failures") + 1)
        subscription.refresh_from_db(fields=["consecutive_failures", "status"])
        if (subscription.consecutive_failures >= settings.VINCULO_WEBHOOK_PAUSE_AFTER
                and subscription.status == SubscriptionStatus.ACTIVE):
            _pause(subscription, now)
    log.info("webhook %s to %s failed (attempt %d): %s %s", row.event_id, subscription.url,
             attempts, code, error)


def _pause(subscription: WebhookSubscription, now: dt.datetime) -> None:
    """Pause after too many failures in a row and tell the organisation's administrators."""
    from vinculo.core import events
    from vinculo.core.audit import acting_as

    failures = subscription.consecutive_failures
    with acting_as(None):
        WebhookSubscription.all_objects.filter(pk=subscription.pk).update(
            status=SubscriptionStatus.PAUSED, paused_at=now)
    subscription.status, subscription.paused_at = SubscriptionStatus.PAUSED, now
    events.publish("webhook.paused", record=subscription,
                   data={"url": subscription.url, "consecutive_failures": failures})
    admins = User.objects.filter(organization_id=subscription.organization_id,
                                 role=Role.ADMIN, is_active=True)
    name, url = subscription.name, subscription.url

    def message() -> tuple[str, str]:
        return (_("Webhook paused: %(name)s") % {"name": name},
                _("Deliveries to %(url)s failed %(count)d times in a row, so the webhook "
                  "subscription %(name)s is paused. Events are kept and will be sent when "
                  "you resume it from Settings → Webhooks.")
                % {"url": url, "count": failures, "name": name})

    notify(admins, message, url=_page_url(subscription))


def _page_url(subscription: WebhookSubscription) -> str:
    from django.urls import reverse

    return settings.SITE_URL + reverse("integrations:webhook", args=[subscription.uuid])


def deliveries_dispatch() -> int:
    """Enqueue a drain for each active subscription with something due and no drain holding
    it (``vinculo webhooks_dispatch``, every minute): what a lost task left behind goes out."""
    from vinculo.integrations.tasks import webhook_drain

    now = timezone.now()
    ids = list(WebhookSubscription.all_objects.filter(
        Q(lease_until__isnull=True) | Q(lease_until__lt=now),
        status=SubscriptionStatus.ACTIVE,
        deliveries__status=DeliveryStatus.PENDING, deliveries__next_attempt_at__lte=now,
    ).values_list("pk", flat=True).distinct())
    for pk in ids:
        enqueue(webhook_drain, pk)
    return len(ids)
