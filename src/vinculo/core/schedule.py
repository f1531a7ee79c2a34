"""Periodic jobs: what ``vinculo scheduler`` runs, for installs that do not use cron.

Each app registers its jobs in ``AppConfig.ready`` as management commands with an interval
or a daily time; the scheduler runs the due ones in turn. Every job is safe to run twice (each
claims its work in the database), but run one scheduler per installation.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class Job:
    command: str
    args: tuple[str, ...] = ()
    every: dt.timedelta | None = None
    daily_at: dt.time | None = None  # local time

    @property
    def name(self) -> str:
        return " ".join((self.command, *self.args))

    def due(self, last: dt.datetime | None, now: dt.datetime) -> bool:
        """Whether the job should run at ``now`` (local, aware) after its ``last`` run."""
        if self.every is not None:
            return last is None or now - last >= self.every
        assert self.daily_at is not None
        today = now.replace(hour=self.daily_at.hour, minute=self.daily_at.minute, second=0,
                            microsecond=0)
        return now >= today and (last is None or last < today)


_jobs: dict[str, Job] = {}


def register(command: str, *args: str, every: dt.timedelta | None = None,
             daily_at: dt.time | None = None) -> Job:
    if (every is None) == (daily_at is None):
        raise ValueError("give a job either an interval or a daily time")
    job = Job(command, tuple(args), every, daily_at)
    _jobs[job.name] = job
    return job


def jobs() -> list[Job]:
    return sorted(_jobs.values(), key=lambda job: job.name)
