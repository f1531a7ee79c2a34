"""Periodic jobs: when each is due, and `vinculo scheduler` running the ones due now."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command

from tests.service.factories import QueueFactory, SlaPolicyFactory, TicketFactory
from vinculo.core import schedule
from vinculo.core.models import ScheduledJob
from vinculo.core.schedule import Job
from vinculo.core.tenancy import organization_scope
from vinculo.service.models import Ticket

MADRID = ZoneInfo("Europe/Madrid")


def test_an_interval_jobs_slots_are_multiples_of_its_interval_on_every_host():
    job = Job("service_sla_scan", every=dt.timedelta(minutes=1))
    start = dt.datetime(2026, 12, 7, 10, 0, tzinfo=MADRID)
    assert schedule.slot(job, start) == start
    assert schedule.slot(job, start + dt.timedelta(seconds=59)) == start
    assert schedule.slot(job, start + dt.timedelta(seconds=60)) == start + dt.timedelta(minutes=1)
    assert schedule.next_slot(job, start + dt.timedelta(seconds=7)) == (
        start + dt.timedelta(minutes=1))


@pytest.mark.parametrize("time_zone", ["Europe/Madrid", "UTC"])
def test_a_daily_job_has_one_slot_a_day_from_its_local_time(settings, time_zone):
    settings.TIME_ZONE = time_zone
    zone = ZoneInfo(time_zone)
    job = Job("analytics_recompute", ("--all",), daily_at=dt.time(2, 15))
    night = dt.datetime(2026, 12, 7, 2, 14, tzinfo=zone)
    assert schedule.slot(job, night) is None  # before its time: not due
    assert schedule.next_slot(job, night) == dt.datetime(2026, 12, 7, 2, 15, tzinfo=zone)
    ran = night + dt.timedelta(minutes=1)
    assert schedule.slot(job, ran) == ran
    assert schedule.slot(job, ran + dt.timedelta(hours=20)) == ran
    assert schedule.next_slot(job, ran) == ran + dt.timedelta(days=1)


@pytest.mark.django_db
def test_a_slot_is_claimed_once_and_never_again_after_a_later_one():
    job = Job("mail_poll", every=dt.timedelta(minutes=1))
    now = dt.datetime(2026, 12, 7, 10, 0, 30, tzinfo=MADRID)
    first = schedule.claim(job, now, host="a:1")
    assert first == dt.datetime(2026, 12, 7, 10, 0, tzinfo=MADRID)
    assert schedule.claim(job, now + dt.timedelta(seconds=20), host="b:2") is None
    later = schedule.claim(job, now + dt.timedelta(seconds=40), host="b:2")
    assert later == first + dt.timedelta(minutes=1)
    # A host whose clock is behind cannot take the earlier slot again.
    assert schedule.claim(job, now, host="a:1") is None
    schedule.finish(job, later, failed=True)
    row = ScheduledJob.objects.get(name="mail_poll")
    assert (row.slot, row.host, row.failed) == (later, "b:2", True)
    assert row.finished_at is not None


@pytest.mark.django_db
def test_the_scheduler_lists_and_runs_what_is_due(admin):
    listed = StringIO()
    call_command("scheduler", "--list", stdout=listed)
    names = listed.getvalue()
    for job in ("service_sla_scan: every 60 s", "mail_poll: every 60 s",
                "reminders_send: every 60 s", "analytics_recompute --all: daily at 02:15"):
        assert job in names
    SlaPolicyFactory(actor=admin, cal=None, targets={"normal": (30, 240)})
    QueueFactory(actor=admin)
    with time_machine.travel(dt.datetime(2026, 12, 7, 9, 0, tzinfo=MADRID), tick=False):
        ticket = TicketFactory(actor=admin)
    out = StringIO()
    with time_machine.travel(dt.datetime(2026, 12, 7, 9, 45, tzinfo=MADRID), tick=False):
        call_command("scheduler", "--once", stdout=out, stderr=StringIO())
    assert "breached 1" in out.getvalue() and "reminders sent: 0" in out.getvalue()
    with organization_scope(admin.organization):
        assert Ticket.objects.get(pk=ticket.pk).first_response_state == "breached"
