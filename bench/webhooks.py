"""Webhook delivery throughput to a local receiver, against bare signed POSTs.

A fresh database (SQLite by default; ``--database postgresql`` for a throwaway PostgreSQL one)
gets an organisation, a webhook subscription to a receiver this process runs (a threaded
``http.server`` on loopback with keep-alive, answering 200), and N ``account.created`` events
published through ``core.events.publish`` in one transaction (the outbox rows: untimed). Then,
in a second process (Django):

  deliver   ``integrations.delivery.subscription_drain`` — the task body the worker runs:
            lease, batches in order, per-record ordering, one signed POST per event over a
            guarded kept-alive connection (every new connection's address checked), one
            attempt row and the delivery's state committed per event
  reference the same bodies, signed the same way, POSTed with a bare ``requests.Session``
            over one kept-alive connection: no database, no guard

and prints events/s of both and their ratio. The target is 200 events/s.

    .venv/bin/python bench/webhooks.py [--events 3000] [--database sqlite|postgresql]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _common import PYTHON, VINCULO, pg_available, pg_database, say, sqlite_database

TARGET_RATE = 200.0  # events/s


def django_side(count: int, url: str, out: str) -> None:
    import django

    django.setup()
    import requests
    from django.db import transaction
    from django.utils import timezone

    from vinculo.core import events
    from vinculo.core.audit import acting_as
    from vinculo.core.models import Organization, User
    from vinculo.core.tenancy import organization_scope
    from vinculo.customers.models import Account
    from vinculo.integrations import delivery, services, signing
    from vinculo.integrations.models import DeliveryStatus, WebhookDelivery

    org = Organization.objects.create(name="Bench Hooks", country="ES")
    admin = User.objects.create_user(email="admin@bench.test", password="x", organization=org,
                                     role="admin")
    with organization_scope(org), acting_as(admin):
        subscription, secret = services.subscription_create(actor=admin, data={
            "name": "Bench", "url": url, "events": ["account.created"]})
        accounts = Account.all_objects.bulk_create([
            Account(organization=org, name=f"Cliente {i}", owner=admin) for i in range(100)])
        with transaction.atomic():
            for i in range(count):
                events.publish("account.created", record=accounts[i % 100], actor=admin,
                               data={"n": i, "at": timezone.now()})
    bodies = list(WebhookDelivery.all_objects.filter(subscription=subscription)
                  .order_by("id").values_list("body", flat=True))
    assert len(bodies) == count, len(bodies)

    started = time.perf_counter()
    sent = delivery.subscription_drain(subscription.pk)
    deliver_s = time.perf_counter() - started
    delivered = WebhookDelivery.all_objects.filter(status=DeliveryStatus.DELIVERED).count()

    started = time.perf_counter()
    with requests.Session() as http:
        for body in bodies:
            raw = body.encode()
            response = http.post(url, data=raw, headers={
                "Content-Type": "application/json",
                signing.HEADER: signing.header(secret, raw)}, timeout=10)
            response.raise_for_status()
    reference_s = time.perf_counter() - started
    Path(out).write_text(json.dumps({"sent": sent, "delivered": delivered,
                                     "deliver_s": deliver_s, "reference_s": reference_s}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=3000)
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    args = parser.parse_args()
    if args.database == "postgresql" and not pg_available():
        raise SystemExit("PostgreSQL is not reachable")
    db = pg_database("vinculo_bench_hooks") if args.database == "postgresql" \
        else sqlite_database()
    from tests.integrations.receiver import receiver

    env = db.env | {"DJANGO_SETTINGS_MODULE": "vinculo.settings",
                    "VINCULO_WEBHOOK_ALLOW_PRIVATE": "1"}  # the local receiver, explicitly
    try:
        with receiver() as (url, inbox):
            say(f"{db.vendor}: migrating")
            subprocess.run([VINCULO, "migrate", "--no-input"], env=env, check=True,
                           capture_output=True)
            out = Path(db.data_dir or "/tmp") / "webhooks.json"
            say(f"recording {args.events:,} events, delivering, then the reference")
            subprocess.run([PYTHON, __file__, "--django-side", str(args.events), url,
                            str(out)], env=env, check=True)
            result = json.loads(out.read_text())
            received = len(inbox.requests)
    finally:
        db.drop()
    n = args.events
    assert result["delivered"] == n and received == 2 * n, (result, received)
    rate = n / result["deliver_s"]
    reference = n / result["reference_s"]
    print(f"\nwebhooks on {db.vendor}: {n:,} events, each received (x2 with the reference)")
    print(f"  delivery (drain task)  {rate:8.0f} events/s  ({result['deliver_s']:.2f} s)")
    print(f"  reference (requests)   {reference:8.0f} events/s  ({result['reference_s']:.2f} s)")
    print(f"  ratio delivery/reference {rate / reference:.2f}; target ≥ {TARGET_RATE:.0f} "
          f"events/s: {'met' if rate >= TARGET_RATE else 'NOT met'}")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--django-side":
        django_side(int(sys.argv[2]), sys.argv[3], sys.argv[4])
    else:
        main()
