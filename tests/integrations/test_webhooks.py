"""Webhooks against a real receiver on loopback, sent by the real task worker
(``tests/task_queue.py``): at least once in order per record under random failures, signed,
refused towards the internal network, paused after failures in a row, replayed by hand."""

from __future__ import annotations

import json
import time
from collections import defaultdict

import pytest

from tests.core.factories import as_user
from tests.customers.factories import AccountFactory
from tests.integrations.receiver import fail_half, receiver
from vinculo.core import events
from vinculo.core.models import EmailStatus, OutgoingEmail
from vinculo.core.organization.services import organization_update
from vinculo.core.roles import Role
from vinculo.integrations import delivery, services, signing
from vinculo.integrations.models import (
    DeliveryStatus,
    SubscriptionStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
)

pytestmark = pytest.mark.django_db(transaction=True)  # the real worker commits

EVENTS = ["account.created", "organization.updated"]


def subscribe(admin, url, names=EVENTS):
    with as_user(admin):
        return services.subscription_create(actor=admin, data={
            "name": "ERP", "url": url, "events": names})


def run_until_settled(task_queue, rounds=30):
    for _ in range(rounds):
        task_queue.run()
        if not WebhookDelivery.all_objects.filter(status=DeliveryStatus.PENDING).exists():
            return
        task_queue.make_due()
    raise AssertionError("deliveries still pending")


def test_half_failing_receiver_gets_every_event_at_least_once_in_order_per_record(
        admin, local_receivers, task_queue):
    local_receivers.VINCULO_WEBHOOK_PAUSE_AFTER = 1000
    local_receivers.VINCULO_WEBHOOK_MAX_ATTEMPTS = 1000
    with receiver(fail_half(seed=13)) as (url, inbox):
        subscription, secret = subscribe(admin, url)
        published = []
        with events.recording() as occurred, as_user(admin):
            for i in range(15):
                AccountFactory(actor=admin, name=f"Cliente {i}")
                organization_update(actor=admin, data={"city": f"Ciudad {i}"},
                                    expected_version=None)
        published = [o for o in occurred if o.name in EVENTS]
        assert len(published) == 30
        run_until_settled(task_queue)

        failed = [r for r in inbox.requests if r.status >= 300]
        assert len(failed) >= 5  # the receiver did fail about half of them
        first_seen: dict[str, int] = {}
        for n, request in enumerate(inbox.ok()):
            assert signing.verify(secret, request.body, request.headers[signing.HEADER])
            first_seen.setdefault(json.loads(request.body)["id"], n)
        assert {str(o.id) for o in published} <= set(first_seen)  # every event, at least once
        by_record = defaultdict(list)
        for o in published:
            by_record[f"{o.record_type}:{o.record_uuid}"].append(first_seen[str(o.id)])
        for record, order in by_record.items():
            assert order == sorted(order), record  # in publishing order, per record
        assert len(by_record["core.organization:" + str(admin.organization.uuid)]) == 15
    # every attempt is logged: the failures with the receiver's status and answer
    attempts = WebhookAttempt.all_objects.filter(delivery__subscription=subscription)
    assert attempts.count() == len(inbox.requests)
    assert attempts.filter(ok=False, status_code=500).count() == len(failed)
    assert attempts.filter(ok=False).first().response_excerpt == "receiver failed on purpose"


def test_the_signature_fails_on_a_tampered_body(admin, local_receivers, task_queue):
    with receiver() as (url, inbox):
        _subscription, secret = subscribe(admin, url)
        with as_user(admin):
            account = AccountFactory(actor=admin, name="Firmas SA")
        run_until_settled(task_queue)
    (request,) = inbox.requests
    payload = json.loads(request.body)
    assert payload["event"] == "account.created"
    assert payload["record"] == {"type": "customers.account", "uuid": str(account.uuid)}
    assert request.headers["Vinculo-Event-Id"] == payload["id"]
    header = request.headers[signing.HEADER]
    assert signing.verify(secret, request.body, header)
    assert not signing.verify(secret, request.body.replace(b"Firmas", b"Fyrmas"), header)
    assert not signing.verify("whsec_other", request.body, header)
    assert not signing.verify(secret, request.body, header, now=time.time() + 3600)


REFUSED = ["http://127.0.0.1:9/x", "http://10.1.2.3/x", "http://169.254.169.254/latest",
           "http://[::1]/x", "http://localhost/x", "http://2130706433/x",
           "http://[::ffff:127.0.0.1]/x", "http://192.168.1.10/x", "http://0.0.0.0/x"]


@pytest.mark.parametrize("url", REFUSED)
def test_targets_on_the_internal_network_are_refused(admin, api, url):
    response = api.post("/api/webhooks/", {"name": "x", "url": url, "events": EVENTS},
                        format="json")
    assert response.status_code == 400
    assert "url" in response.json(), response.json()
    assert not WebhookSubscription.all_objects.exists()


def test_the_check_runs_again_when_sending(admin, local_receivers, task_queue, settings):
    """A subscription made while allowed (or a name that now resolves inside) is refused at
    connection time: nothing reaches the receiver, the attempt says why."""
    with receiver() as (url, inbox):
        subscribe(admin, url.replace("127.0.0.1", "localhost"))
        settings.VINCULO_WEBHOOK_ALLOW_PRIVATE = False
        settings.VINCULO_WEBHOOK_RETRY_SECONDS = [3600]
        with as_user(admin):
            AccountFactory(actor=admin, name="Interna SA")
        task_queue.run()
    assert inbox.requests == []
    attempt = WebhookAttempt.all_objects.get()
    assert attempt.status_code is None and "loopback" in attempt.error


def test_a_redirect_is_not_followed(admin, local_receivers, task_queue):
    import http.server
    import threading

    class Redirect(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            self.send_response(307)
            self.send_header("Location", "http://10.0.0.1/steal")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Redirect)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        local_receivers.VINCULO_WEBHOOK_RETRY_SECONDS = [3600]
        subscribe(admin, f"http://127.0.0.1:{server.server_address[1]}/")
        with as_user(admin):
            AccountFactory(actor=admin, name="Redirige SA")
        task_queue.run()
    finally:
        server.shutdown()
        server.server_close()
    attempt = WebhookAttempt.all_objects.get()
    assert (attempt.ok, attempt.status_code) == (False, 307)
    assert "10.0.0.1" in attempt.error


def test_paused_after_n_failures_in_a_row_and_administrators_told(
        admin, users, local_receivers, task_queue):
    local_receivers.VINCULO_WEBHOOK_PAUSE_AFTER = 3
    with receiver(lambda: 503) as (url, inbox):
        subscription, _secret = subscribe(admin, url)
        with as_user(admin):
            AccountFactory(actor=admin, name="Caída SA")
        run_rounds = 0
        while run_rounds < 10:
            task_queue.run()
            task_queue.make_due()
            run_rounds += 1
        assert len(inbox.requests) == 3  # then it stopped trying
    subscription.refresh_from_db()
    assert subscription.status == SubscriptionStatus.PAUSED
    assert subscription.consecutive_failures == 3
    mails = OutgoingEmail.objects.filter(subject__contains="Webhook paused")
    assert [m.to for m in mails] == [admin.email]  # the administrators, nobody else
    assert users[Role.SALES_MANAGER].email not in {m.to for m in OutgoingEmail.objects.all()}
    assert "3" in mails.get().body and url in mails.get().body
    assert mails.get().status in (EmailStatus.QUEUED, EmailStatus.SENT, EmailStatus.FAILED)
    row = WebhookDelivery.all_objects.get(subscription=subscription)
    assert row.status == DeliveryStatus.PENDING  # kept for the resume

    # events keep being recorded while paused, and go out, oldest first, on resume
    with as_user(admin):
        AccountFactory(actor=admin, name="Durante la pausa SA")
    with receiver() as (url2, inbox2):
        with as_user(admin):
            services.subscription_update(actor=admin, subscription=subscription,
                                         data={"url": url2}, expected_version=None)
            services.subscription_resume(actor=admin, subscription=subscription)
        run_until_settled(task_queue)
    names = [json.loads(r.body)["data"].get("name") for r in inbox2.requests]
    assert len(names) == 2
    assert next(json.loads(r.body)["id"] for r in inbox2.requests) == str(row.event_id)


def test_replay_by_hand_sends_the_same_event_again(admin, api, local_receivers, task_queue):
    with receiver() as (url, inbox):
        subscription, _ = subscribe(admin, url)
        with as_user(admin):
            AccountFactory(actor=admin, name="Repetida SA")
        run_until_settled(task_queue)
        row = WebhookDelivery.all_objects.get()
        assert row.status == DeliveryStatus.DELIVERED
        response = api.post(f"/api/webhook-deliveries/{row.uuid}/replay/")
        assert response.status_code == 202
        run_until_settled(task_queue)
        listed = api.get(f"/api/webhook-deliveries/?subscription={subscription.uuid}").json()
    ids = [json.loads(r.body)["id"] for r in inbox.requests]
    assert ids == [str(row.event_id)] * 2  # same id: the receiver can drop the repeat
    assert listed["results"][0]["attempts"] == 2
    assert len(listed["results"][0]["attempt_log"]) == 2


def test_ping_and_replay_from_the_page(admin, page, local_receivers, task_queue):
    with receiver() as (url, inbox):
        subscription, _ = subscribe(admin, url)
        response = page.post(f"/integrations/webhooks/{subscription.uuid}/ping/")
        assert response.status_code == 302
        run_until_settled(task_queue)
        detail = page.get(f"/integrations/webhooks/{subscription.uuid}/").content.decode()
        row = WebhookDelivery.all_objects.get()
        response = page.post(f"/integrations/deliveries/{row.uuid}/replay/")  # "Send again"
        assert response.status_code == 302
        run_until_settled(task_queue)
    assert [json.loads(r.body)["event"] for r in inbox.requests] == ["webhook.ping"] * 2
    assert len({json.loads(r.body)["id"] for r in inbox.requests}) == 1
    assert "webhook.ping" in detail and "200" in detail


def test_a_lost_task_is_recovered_by_the_dispatch_job(admin, local_receivers, task_queue):
    with receiver() as (url, inbox):
        _subscription, _ = subscribe(admin, url)
        with as_user(admin):
            AccountFactory(actor=admin, name="Perdida SA")
        from django_tasks_db.models import DBTaskResult  # the queue lost the task
        if task_queue.kind == "db":
            DBTaskResult.objects.all().delete()
        else:
            import django_rq
            django_rq.get_queue("default").empty()
        task_queue.run()
        assert inbox.requests == []
        assert delivery.deliveries_dispatch() == 1
        task_queue.run()
    assert len(inbox.requests) == 1


def test_the_readme_recipe_verifies_a_real_delivery(admin, local_receivers, task_queue):
    """The verification recipe in the README, run as written, on what the receiver got."""
    import re
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    recipe = re.search(r"```python\n(import hashlib, hmac, time\n.*?)```", readme, re.S)
    namespace: dict = {}
    exec(recipe.group(1), namespace)
    with receiver() as (url, inbox):
        _subscription, secret = subscribe(admin, url)
        with as_user(admin):
            AccountFactory(actor=admin, name="Receta SA")
        run_until_settled(task_queue)
    (request,) = inbox.requests
    header = request.headers[signing.HEADER]
    assert namespace["verify"](secret, request.body, header)
    assert not namespace["verify"](secret, request.body + b" ", header)
