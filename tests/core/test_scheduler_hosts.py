"""Two hosts running `vinculo scheduler` at once: every job still runs once per slot.

Two real scheduler processes share one fresh database (PostgreSQL when the suite runs on it,
else SQLite) for several seconds. Beside the product's own jobs, the settings add a test app
(`tests/core/scheduler_app`) with a job every second and a slow one every three, each
appending a line naming the process that ran it; the schedulers print each slot they claim.
"""

from __future__ import annotations

import re
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path

from tests.deploy import REPO, VINCULO, fresh_database, vinculo

RUN_SECONDS = 9
CLAIM = re.compile(r"^(?P<job>.+): slot (?P<slot>\S+) on (?P<host>\S+)$", re.M)


def _claims(output: str) -> list[tuple[str, str, int]]:
    return [(m["job"], m["slot"], int(m["host"].rsplit(":", 1)[1]))
            for m in CLAIM.finditer(output)]


def test_two_schedulers_run_each_due_job_once_per_slot(tmp_path: Path, migrated):
    with fresh_database(tmp_path, migrated) as env:
        env.update(DJANGO_SETTINGS_MODULE="tests.core.scheduler_app.settings",
                   PYTHONPATH=str(REPO), PYTHONUNBUFFERED="1")
        logs = [tmp_path / "scheduler-1.log", tmp_path / "scheduler-2.log"]
        processes = []
        for log in logs:
            with log.open("wb") as out:
                processes.append(subprocess.Popen(
                    [str(VINCULO), "scheduler"], env=env, stdout=out,
                    stderr=subprocess.STDOUT, start_new_session=True))
        try:
            deadline = time.monotonic() + 120
            while not all("scheduler on " in log.read_text() for log in logs):
                assert time.monotonic() < deadline, [log.read_text() for log in logs]
                assert all(p.poll() is None for p in processes), [log.read_text() for log in logs]
                time.sleep(0.2)
            time.sleep(RUN_SECONDS)
        finally:
            for process in processes:  # a graceful stop: the job running finishes first
                process.send_signal(signal.SIGTERM)
            codes = [process.wait(timeout=60) for process in processes]
        outputs = [log.read_text() for log in logs]
        assert codes == [0, 0], outputs
        assert all(out.rstrip().endswith("scheduler stopped") for out in outputs), outputs

        claims = [claim for out in outputs for claim in _claims(out)]
        pids = {process.pid for process in processes}
        # Once per slot: no job's slot was claimed twice, by either scheduler.
        twice = {key: n for key, n in Counter((job, slot) for job, slot, _ in claims).items()
                 if n > 1}
        assert twice == {}, outputs
        fast = sorted(slot for job, slot, _ in claims if job == "schedule_mark fast")
        slow = [slot for job, slot, _ in claims if job.startswith("schedule_mark slow")]
        assert len(fast) >= RUN_SECONDS - 3 and len(slow) >= 2, outputs
        # Both schedulers took part (the slow job holds one while the other runs the fast one).
        assert {pid for _, _, pid in claims} == pids, outputs
        # The product's own jobs were due at start: claimed once, by one of them.
        for job in ("service_sla_scan", "mail_poll", "reminders_send"):
            assert 1 <= sum(1 for name, _, _ in claims if name == job) <= 2, outputs

        # Each claimed slot ran its command exactly once, in the process that claimed it.
        marks = Counter(tuple(line.split()) for line in
                        (tmp_path / "marks.txt").read_text().splitlines())
        expected = Counter((job.split()[1], str(pid)) for job, _, pid in claims
                           if job.startswith("schedule_mark"))
        assert marks == expected, outputs

        # The lock's row keeps the last slot claimed and how its run ended.
        rows = vinculo("shell", "-c", "from vinculo.core.models import ScheduledJob\n"
                       "for r in ScheduledJob.objects.all():"
                       " print(f'{r.name} | {r.slot.isoformat()} | {r.failed}"
                       " {r.finished_at is not None}')", env=env)
        last = dict(line.split(" | ", 1) for line in rows.splitlines() if " | " in line)
        assert last["schedule_mark fast"] == f"{fast[-1]} | False True", rows
