"""Periodic jobs: what ``vinculo scheduler`` runs, for installs that do not use cron.

Each app declares its jobs in its contract (``Contract.jobs``: a management command with an
interval or a daily time). Time is cut into **slots**: an interval job's slots are the multiples
of its interval since the Unix epoch (a one-minute job's slot starts at every minute's second
0, on every host alike); a daily job has one slot a day, starting at its local time.

Several hosts may run ``vinculo scheduler`` (for availability: one host down, another still runs
the jobs); each job still runs once per slot per installation. Before running a job, a scheduler
**claims** its slot in the database: one row per job (``core.ScheduledJob``) holds the last slot
claimed, and the claim is a conditional ``UPDATE … SET slot = <this slot> WHERE name = <job> AND
(slot IS NULL OR slot < <this slot>)``. Both SQLite (writers serialised) and PostgreSQL (the
second writer waits for the first's row lock, then re-reads the row and no longer matches)
let exactly one of two concurrent claims change the row, so the other scheduler skips the job
for that slot. A slot only moves forward, so a host whose clock runs a little behind cannot run
a slot again. A host that dies while running a job does not hand the slot to another: the next
slot runs it, and every job claims its own work in the database, so running one again later
loses nothing.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import socket

from django.db.models import Q
from django.utils import timezone

from vinculo.core import plugins
from vinculo.core.plugins import Job

__all__ = ["Job", "claim", "finish", "jobs", "next_slot", "slot", "this_host"]


def jobs() -> list[Job]:
    """Every app's periodic jobs, by name."""
    return sorted(plugins.collect("jobs"), key=lambda job: job.name)


def _daily(job: Job, day: dt.date) -> dt.datetime:
    assert job.daily_at is not None
    return timezone.make_aware(dt.datetime.combine(day, job.daily_at))


def slot(job: Job, now: dt.datetime) -> dt.datetime | None:
    """The start of the slot ``now`` (aware) falls in; ``None`` for a daily job before its time
    today (yesterday's slot is not run late on a scheduler's first start)."""
    if job.every is not None:
        step = job.every.total_seconds()
        start = math.floor(now.timestamp() / step) * step
        return dt.datetime.fromtimestamp(start, tz=dt.UTC)
    today = _daily(job, timezone.localtime(now).date())
    return today if now >= today else None


def next_slot(job: Job, now: dt.datetime) -> dt.datetime:
    """When the job's next slot after ``now`` starts."""
    if job.every is not None:
        current = slot(job, now)
        assert current is not None
        return current + job.every
    today = _daily(job, timezone.localtime(now).date())
    return today if now < today else _daily(job, timezone.localtime(now).date()
                                            + dt.timedelta(days=1))


def this_host() -> str:
    """Who claims: the host name and process id, shown on the job's row."""
    return f"{socket.gethostname()}:{os.getpid()}"[:200]


def claim(job: Job, now: dt.datetime, *, host: str | None = None) -> dt.datetime | None:
    """Claim the job's current slot for this scheduler: the slot when this call won it,
    ``None`` when the job is not due or another scheduler already holds that slot."""
    from vinculo.core.models import ScheduledJob

    current = slot(job, now)
    if current is None:
        return None
    ScheduledJob.objects.bulk_create([ScheduledJob(name=job.name)], ignore_conflicts=True)
    won = ScheduledJob.objects.filter(
        Q(slot__isnull=True) | Q(slot__lt=current), name=job.name,
    ).update(slot=current, host=host or this_host(), started_at=timezone.now(),
             finished_at=None, failed=False)
    return current if won else None


def finish(job: Job, claimed: dt.datetime, *, failed: bool) -> None:
    """Record how the run of the slot ``claimed`` ended (unless a later slot was claimed)."""
    from vinculo.core.models import ScheduledJob

    ScheduledJob.objects.filter(name=job.name, slot=claimed).update(
        finished_at=timezone.now(), failed=failed)
