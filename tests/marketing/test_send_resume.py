"""A worker killed mid-send and restarted sends every remaining message exactly once.

The real thing end to end: a fresh database (SQLite file, or a throwaway PostgreSQL database
when the suite runs on PostgreSQL), the real ``vinculo db_worker`` process sending to a real
SMTP server (aiosmtpd) over the network. The server SIGKILLs the worker when it announces a
message in the middle of a batch — the previous messages accepted and marked, that one marked
``sending`` and never accepted. The worker is restarted, the periodic job
``campaign_send_resume`` hands the campaign over once the dead sender's lease ran out, and
every recipient ends with exactly one message.
"""

from __future__ import annotations

import email
import os
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path

from aiosmtpd.controller import Controller

from tests.deploy import VINCULO, free_port, fresh_database, vinculo

RECIPIENTS = 60
BATCH = 10
KILL_AT = 27  # the 27th message: the 7th of the third batch


SETUP = f"""
from vinculo.core.models import Organization
from vinculo.core.services import user_create
from vinculo.core.tenancy import organization_scope
from vinculo.core.audit import acting_as
from vinculo.customers import services as cs
from vinculo.marketing import services as ms
from vinculo.segments import services as ss
org = Organization.objects.create(name="Envíos", country="ES")
admin = user_create(organization=org, email="admin@envios.test", password="x-Long-Pass-99",
                    role="admin")
with organization_scope(org), acting_as(admin):
    people = [cs.contact_create(actor=admin, data={{"first_name": f"P{{n}}", "last_name": "E",
              "email": f"p{{n}}@dest.test"}}, consents=[{{"channel": "email", "granted": True}}])
              for n in range({RECIPIENTS})]
    segment = ss.segment_create(actor=admin, name="Todos", kind="static")
    ss.segment_members_add(actor=admin, segment=segment, records=people)
    campaign = ms.campaign_create(actor=admin, data={{"name": "Exactamente una",
                                  "segment": segment, "control_share": 0}})
    variant = campaign.variants.get()
    ms.campaign_variant_update(actor=admin, variant=variant, expected_version=variant.version,
                               data={{"subject": "Hola {{{{ contact.first_name }}}}",
                                     "body": "Mira https://example.es/"}})
    ms.campaign_start(campaign=campaign, actor=admin)
print("ready")
"""

STATE = """
from collections import Counter
from vinculo.marketing.models import Campaign, CampaignRecipient
print(dict(Counter(CampaignRecipient.objects.values_list("status", flat=True))),
      Campaign.all_objects.get().status)
"""


class KillingInbox:
    """Accepts every message; when the ``KILL_AT``-th is announced, kills the worker first."""

    def __init__(self) -> None:
        self.messages: list[email.message.Message] = []
        self.mail_from = 0
        self.worker: subprocess.Popen | None = None
        self.killed = False

    async def handle_MAIL(self, server, session, envelope, address, options):
        self.mail_from += 1
        if self.mail_from == KILL_AT and self.worker is not None and not self.killed:
            os.killpg(self.worker.pid, signal.SIGKILL)
            self.worker.wait()
            self.killed = True
            return "421 shutting down"
        envelope.mail_from = address
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"


def _worker(env, log: Path) -> subprocess.Popen:
    with log.open("ab") as out:
        return subprocess.Popen([str(VINCULO), "db_worker", "--no-startup-delay", "--interval",
                                 "0.2"], env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)


def _wait(predicate, timeout: float, what: str, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"{what} within {timeout} s; worker log:\n"
                         f"{log.read_text(errors='replace')[-3000:]}")


def test_killed_worker_restarted_sends_each_remaining_message_exactly_once(
        migrated, tmp_path):
    with fresh_database(tmp_path, migrated) as database_env:
        _killed_and_restarted(database_env, tmp_path)


def _killed_and_restarted(database_env: dict[str, str], tmp_path: Path) -> None:
    inbox = KillingInbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    env = {**database_env, "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
           "EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": str(port),
           "VINCULO_CAMPAIGN_BATCH": str(BATCH), "VINCULO_CAMPAIGN_LEASE_SECONDS": "1"}
    log = tmp_path / "worker.log"
    worker = None
    try:
        assert "ready" in vinculo("shell", "-c", SETUP, env=env, timeout=600)
        worker = inbox.worker = _worker(env, log)
        _wait(lambda: inbox.killed, 120, "the worker was not killed mid-send", log)
        assert worker.returncode == -signal.SIGKILL
        assert len(inbox.messages) == KILL_AT - 1
        state = vinculo("shell", "-c", STATE, env=env, timeout=600)
        assert "'sending': 1" in state and "sending" in state.split()[-1]  # one in flight

        worker = _worker(env, log)  # restarted: the old task stays "running", nobody sends
        time.sleep(1.5)  # the dead sender's lease (1 s) runs out
        assert "campaigns resumed: 1" in vinculo("campaign_send_resume", env=env, timeout=600)
        _wait(lambda: len(inbox.messages) >= RECIPIENTS, 120, "not every message was sent",
              log)
        time.sleep(1)  # anything extra would arrive now
        state = vinculo("shell", "-c", STATE, env=env, timeout=600)
    finally:
        if worker is not None and worker.poll() is None:
            os.killpg(worker.pid, signal.SIGTERM)
            worker.wait(timeout=30)
        controller.stop()
    received = Counter(m["To"] for m in inbox.messages)
    assert received == Counter({f"p{n}@dest.test": 1 for n in range(RECIPIENTS)})
    assert len({m["Message-ID"] for m in inbox.messages}) == RECIPIENTS
    assert f"{{'sent': {RECIPIENTS}}} sent" in state
