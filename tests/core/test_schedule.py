"""Periodic jobs: when each is due, and `vinculo scheduler` running the ones due now."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command

from tests.service.factories import QueueFactory, SlaPolicyFactory, TicketFactory
from vinculo.core.schedule import Job
from vinculo.core.tenancy import organization_scope
from vinculo.service.models import Ticket

MADRID = ZoneInfo("Europe/Madrid")


def test_an_interval_job_is_due_once_the_interval_has_passed():
    job = Job("service_sla_scan", every=dt.timedelta(minutes=1))
    start = dt.datetime(2026, 12, 7, 10, 0, tzinfo=MADRID)
    assert job.due(None, start)
    assert not job.due(start, start + dt.timedelta(seconds=59))
    assert job.due(start, start + dt.timedelta(seconds=60))


def test_a_daily_job_runs_once_after_its_time():
    job = Job("analytics_recompute", ("--all",), daily_at=dt.time(2, 15))
    night = dt.datetime(2026, 12, 7, 2, 14, tzinfo=MADRID)
    assert not job.due(None, night)
    ran = night + dt.timedelta(minutes=1)
    assert job.due(None, ran)
    assert not job.due(ran, ran + dt.timedelta(hours=20))
    assert job.due(ran, ran + dt.timedelta(days=1))


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
