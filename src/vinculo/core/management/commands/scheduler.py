"""``vinculo scheduler``: run the periodic jobs (SLA scan, mail polling, reminders, nightly
analytics) for an install without cron. Run one per installation, beside ``db_worker``."""

from __future__ import annotations

import datetime as dt
import logging
import time
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.utils import timezone

from vinculo.core import schedule

log = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Run the periodic jobs of every app, each when it is due."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--once", action="store_true",
                            help="run the jobs that are due now, then stop")
        parser.add_argument("--list", action="store_true", help="list the jobs and stop")

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["list"]:
            for job in schedule.jobs():
                when = (f"every {int(job.every.total_seconds())} s" if job.every
                        else f"daily at {job.daily_at:%H:%M}")
                self.stdout.write(f"{job.name}: {when}")
            return
        last: dict[str, dt.datetime] = {}
        while True:
            now = timezone.localtime()
            for job in schedule.jobs():
                if not job.due(last.get(job.name), now):
                    continue
                last[job.name] = now
                try:
                    call_command(job.command, *job.args, stdout=self.stdout, stderr=self.stderr)
                except Exception:  # a failing job is logged; the others keep their schedule
                    log.exception("scheduled job %s failed", job.name)
                    self.stderr.write(f"{job.name} failed (see the log)")
            if opts["once"]:
                return
            time.sleep(max(1.0, 60 - timezone.localtime().second))
