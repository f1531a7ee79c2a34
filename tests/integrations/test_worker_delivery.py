"""Webhooks as deployed: the real `vinculo worker` sends what another process published to a
real receiver over the network, signed (on each backend ``VINCULO_TEST_TASKS`` lists)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.deploy import VINCULO, fresh_database, vinculo
from tests.integrations.receiver import fail_half, receiver
from vinculo.integrations import signing

pytestmark = pytest.mark.tasks

SETUP = """
from vinculo.core.audit import acting_as
from vinculo.core.models import Organization, User
from vinculo.core.organization.services import organization_update
from vinculo.core.tenancy import organization_scope
from vinculo.integrations import services
org = Organization.objects.get(name="Hooks Test")
admin = User.objects.create_user(email="admin@hooks.test", password="x", organization=org,
                                 role="admin")
with organization_scope(org), acting_as(admin):
    _sub, secret = services.subscription_create(actor=admin, data={
        "name": "ERP", "url": "%(url)s", "events": ["organization.updated"]})
    for i in range(10):
        organization_update(actor=admin, data={"city": "Ciudad %%d" %% i},
                            expected_version=None)
print("SECRET=" + secret)
"""


def test_the_real_worker_delivers_over_the_network(tmp_path: Path, migrated, request,
                                                   task_kind):
    with receiver(fail_half(seed=7)) as (url, inbox), \
            fresh_database(tmp_path, migrated) as env:
        env.update(VINCULO_TASKS=task_kind, PYTHONUNBUFFERED="1",
                   VINCULO_WEBHOOK_ALLOW_PRIVATE="1",  # the local receiver, explicitly
                   VINCULO_WEBHOOK_RETRY_SECONDS="0", VINCULO_WEBHOOK_PAUSE_AFTER="100")
        if task_kind == "rq":
            env["REDIS_URL"] = request.getfixturevalue("redis_url")
        vinculo("createorg", "Hooks Test", env=env)
        out = vinculo("shell", "-c", SETUP % {"url": url}, env=env)
        secret = out.split("SECRET=", 1)[1].strip()
        assert inbox.requests == []  # queued, not sent: nobody has picked it up yet

        log = tmp_path / "worker.log"
        with log.open("wb") as output:
            worker = subprocess.Popen([str(VINCULO), "worker"], env=env, stdout=output,
                                      stderr=subprocess.STDOUT, start_new_session=True)
        try:
            deadline = time.monotonic() + 120
            while len({json.loads(r.body)["id"] for r in inbox.ok()}) < 10:
                assert worker.poll() is None, log.read_text()
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.2)
        finally:
            worker.send_signal(signal.SIGTERM)
            try:
                worker.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(worker.pid, signal.SIGKILL)
                worker.wait()
        first_seen: dict[str, str] = {}
        for r in inbox.ok():
            payload = json.loads(r.body)
            first_seen.setdefault(payload["id"], payload["occurred_at"])
        times = list(first_seen.values())  # one record (the organisation): in order
        assert len(times) == 10 and times == sorted(times)
        for r in inbox.requests:
            assert signing.verify(secret, r.body, r.headers[signing.HEADER])
        assert any(r.status == 500 for r in inbox.requests)  # and it retried past them
