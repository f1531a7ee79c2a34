"""Webhook delivery rules against a real receiver on loopback, sent by the real task worker:
back-off by the stated schedule, giving up after the stated attempts (and a replay by hand
after), nothing recorded or sent for a transaction that rolled back, and a record held back
by a failing delivery never holding up the other records, however many wait behind it."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest
from django.db import transaction
from django.utils import timezone

from tests.core.factories import as_user
from tests.customers.factories import AccountFactory
from tests.integrations.receiver import receiver
from tests.integrations.test_webhooks import subscribe
from vinculo.integrations import delivery
from vinculo.integrations.models import (
    DeliveryStatus,
    SubscriptionStatus,
    WebhookAttempt,
    WebhookDelivery,
)

pytestmark = pytest.mark.django_db(transaction=True)  # the real worker commits

#: VINCULO_WEBHOOK_RETRY_SECONDS as the README states it (the last value repeats).
SCHEDULE = [10, 60, 300, 1800, 7200, 21600, 43200]
MAX_ATTEMPTS = 8  # VINCULO_WEBHOOK_MAX_ATTEMPTS, as stated


def _hurry(row: WebhookDelivery, task_queue) -> None:
    """Bring a delivery's retry (and the drain waiting for it) forward to now."""
    WebhookDelivery.all_objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())
    task_queue.make_due()


def _what(request) -> object:
    """The account's name an account.created carries, or the number of a held delivery."""
    payload = json.loads(request.body)
    return payload["data"]["name"] if "data" in payload else payload["n"]


def _comes_back_at(task_queue, when: dt.datetime) -> bool:
    return any(abs((w - when).total_seconds()) < 2 for w in task_queue.waiting())


def test_the_retry_delay_follows_the_schedule_and_its_last_step_repeats(settings):
    settings.VINCULO_WEBHOOK_RETRY_SECONDS = SCHEDULE
    assert [delivery.retry_delay(n).total_seconds() for n in range(1, 10)] == \
        [*SCHEDULE, 43200, 43200]


def test_a_failing_delivery_backs_off_by_the_schedule_gives_up_and_is_replayed_by_hand(
        admin, api, local_receivers, task_queue):
    local_receivers.VINCULO_WEBHOOK_RETRY_SECONDS = SCHEDULE
    local_receivers.VINCULO_WEBHOOK_MAX_ATTEMPTS = MAX_ATTEMPTS
    local_receivers.VINCULO_WEBHOOK_PAUSE_AFTER = 10  # the default: more than the attempts
    answer = {"status": 500}
    with receiver(lambda: answer["status"]) as (url, inbox):
        subscription, _secret = subscribe(admin, url)
        with as_user(admin):
            AccountFactory(actor=admin, name="Reintentos SA")
        waits = []
        for attempt in range(1, MAX_ATTEMPTS + 1):
            task_queue.run()
            row = WebhookDelivery.all_objects.get()
            last = WebhookAttempt.all_objects.filter(delivery=row).latest("id")
            assert (row.attempts, len(inbox.requests)) == (attempt, attempt)
            assert (last.ok, last.status_code, row.last_status_code) == (False, 500, 500)
            if attempt == MAX_ATTEMPTS:
                break
            assert row.status == DeliveryStatus.PENDING
            waits.append(round((row.next_attempt_at - last.at).total_seconds()))
            assert _comes_back_at(task_queue, row.next_attempt_at)  # the drain returns then
            task_queue.run()  # nothing is due before its time
            assert len(inbox.requests) == attempt
            _hurry(row, task_queue)
        assert waits == SCHEDULE  # 10 s, 1 min, 5 min, 30 min, 2 h, 6 h, 12 h

        # the 8th failure gives up: failed, not retried, the subscription not paused
        assert row.status == DeliveryStatus.FAILED
        _hurry(row, task_queue)
        assert delivery.deliveries_dispatch() == 0
        task_queue.run()
        assert len(inbox.requests) == MAX_ATTEMPTS
        subscription.refresh_from_db()
        assert subscription.status == SubscriptionStatus.ACTIVE
        assert subscription.consecutive_failures == MAX_ATTEMPTS

        # the receiver is mended; "Send again" by hand delivers it, same event id
        answer["status"] = 200
        assert api.post(f"/api/webhook-deliveries/{row.uuid}/replay/").status_code == 202
        task_queue.run()
    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_status_code) == (DeliveryStatus.DELIVERED,
                                                                MAX_ATTEMPTS + 1, 200)
    assert len(inbox.requests) == MAX_ATTEMPTS + 1
    assert {json.loads(r.body)["id"] for r in inbox.requests} == {str(row.event_id)}
    assert WebhookAttempt.all_objects.filter(delivery=row, ok=False).count() == MAX_ATTEMPTS


def test_an_event_of_a_transaction_that_rolls_back_is_neither_recorded_nor_sent(
        admin, local_receivers, task_queue):
    with receiver() as (url, inbox):
        subscribe(admin, url)
        with pytest.raises(RuntimeError), transaction.atomic(), as_user(admin):
            AccountFactory(actor=admin, name="Deshecha SA")
            # recorded inside the transaction (an outbox), so it goes with it
            assert WebhookDelivery.all_objects.count() == 1
            raise RuntimeError("the business change fails")
        assert not WebhookDelivery.all_objects.exists()
        assert delivery.deliveries_dispatch() == 0
        task_queue.run()
        assert inbox.requests == []

        with as_user(admin):  # the receiver was listening: a committed event does arrive
            AccountFactory(actor=admin, name="Hecha SA")
        task_queue.run()
    assert [json.loads(r.body)["data"].get("name") for r in inbox.requests] == ["Hecha SA"]


def test_a_record_held_back_by_a_failure_does_not_hold_up_the_others(
        admin, local_receivers, task_queue):
    """More than a batch (200) of one record's deliveries wait behind its failed one; another
    record's delivery, newer than all of them, goes out in the first pass. The held record's
    go out later, in order, once its retry is due."""
    local_receivers.VINCULO_WEBHOOK_RETRY_SECONDS = [3600]
    waiting = delivery.BATCH + 2
    with receiver() as (url, inbox):
        subscription, _secret = subscribe(admin, url)
        with as_user(admin):
            held = AccountFactory(actor=admin, name="Retenida SA")
        task_queue.run()
        assert len(inbox.requests) == 1  # its account.created
        # its next delivery failed and retries in 20 s; the rest of its record waits behind
        # (20 s, not hours: a drain that spun on what is held back would end, and fail here)
        retry_at = timezone.now() + dt.timedelta(seconds=20)
        WebhookDelivery.all_objects.bulk_create([
            WebhookDelivery(
                organization_id=admin.organization_id, subscription=subscription,
                event_id=uuid.uuid4(), event="account.updated",
                record_key=f"customers.account:{held.uuid}", body=json.dumps({"n": n}),
                attempts=1 if n == 0 else 0, last_status_code=500 if n == 0 else None,
                next_attempt_at=retry_at if n == 0 else timezone.now())
            for n in range(waiting)])
        with as_user(admin):
            AccountFactory(actor=admin, name="Otra SA")  # enqueues the drain on commit
        task_queue.run()

        # the other record's went out; nothing of the held one did
        assert [_what(r) for r in inbox.requests] == ["Retenida SA", "Otra SA"]
        held_back = WebhookDelivery.all_objects.filter(status=DeliveryStatus.PENDING)
        assert held_back.count() == waiting
        assert set(held_back.values_list("attempts", flat=True)) == {0, 1}
        assert _comes_back_at(task_queue, retry_at)  # the drain returns for the retry

        _hurry(held_back.get(attempts=1), task_queue)
        task_queue.run()
    assert not WebhookDelivery.all_objects.filter(status=DeliveryStatus.PENDING).exists()
    # then the held record's, in order, across batches
    assert [_what(r) for r in inbox.requests[2:]] == list(range(waiting))
