"""``vinculo scheduler``: run the periodic jobs (SLA scan, mail polling, reminders, nightly
analytics) for an install without cron, beside ``vinculo worker``. Several hosts may run one
each: every job claims its slot in the database first (``core.schedule``), so it runs once per
slot per installation."""

from __future__ import annotations

import logging
import signal
import threading
from typing import Any

from django.core.management import call_command
from django.db import close_old_connections
from django.utils import timezone

from vinculo.core import schedule
from vinculo.core.management.base import OperatorCommand

log = logging.getLogger(__name__)

# Longest sleep between two looks at the clock, and shortest (a slot just missed).
MAX_SLEEP = 60.0
MIN_SLEEP = 0.2


class Command(OperatorCommand):
    help = "Run the periodic jobs of every app, each once per slot across every host."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--once", action="store_true",
                            help="run the jobs that are due now, then stop")
        parser.add_argument("--list", action="store_true", help="list the jobs and stop")

    def handle(self, *args: Any, **opts: Any) -> None:
        jobs = schedule.jobs()
        if opts["list"]:
            for job in jobs:
                when = (f"every {int(job.every.total_seconds())} s" if job.every
                        else f"daily at {job.daily_at:%H:%M}")
                self.stdout.write(f"{job.name}: {when}")
            return
        host = schedule.this_host()
        # SIGTERM (systemd, docker stop) or Ctrl-C: finish the job running, then stop.
        stop = threading.Event()
        if not opts["once"]:
            for signum in (signal.SIGTERM, signal.SIGINT):
                signal.signal(signum, lambda *_: stop.set())
        self.stdout.write(f"scheduler on {host}: {len(jobs)} jobs")
        while not stop.is_set():
            for job in jobs:
                if stop.is_set():
                    break
                self.run_if_due(job, host)
            if opts["once"]:
                return
            close_old_connections()  # a long sleep outlives CONN_MAX_AGE
            now = timezone.now()
            wake = min(schedule.next_slot(job, now) for job in jobs)
            stop.wait(min(MAX_SLEEP, max(MIN_SLEEP, (wake - now).total_seconds())))
        self.stdout.write("scheduler stopped")

    def run_if_due(self, job: schedule.Job, host: str) -> None:
        claimed = schedule.claim(job, timezone.now(), host=host)
        if claimed is None:
            return
        self.stdout.write(f"{job.name}: slot {claimed.isoformat()} on {host}")
        failed = False
        try:
            call_command(job.command, *job.args, stdout=self.stdout, stderr=self.stderr)
        except Exception:  # a failing job is logged; the others keep their schedule
            failed = True
            log.exception("scheduled job %s failed", job.name)
            self.stderr.write(f"{job.name} failed (see the log)")
        schedule.finish(job, claimed, failed=failed)
