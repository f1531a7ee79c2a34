"""`vinculo worker` as deployed: the real command runs what another process queued.

On each backend ``VINCULO_TEST_TASKS`` lists (the database, and RQ on this run's own Redis
database): `vinculo analytics_recompute --enqueue` queues a recomputation from its own process,
`vinculo worker` (a separate process, RQ forking a work horse per task) runs it, and stops
cleanly on SIGTERM.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from tests.deploy import VINCULO, fresh_database, vinculo

pytestmark = pytest.mark.tasks

# A deploy restarts the workers: one told to stop (with no task running) is gone within this
# time, with room for a busy CI machine.
STOP_SECONDS = 20


def _run_statuses(env: dict[str, str]) -> list[str]:
    sql = "SELECT status FROM analytics_analyticsrun ORDER BY id"
    if "DATABASE_URL" in env:
        import psycopg

        with psycopg.connect(env["DATABASE_URL"]) as conn:
            return [row[0] for row in conn.execute(sql)]
    with sqlite3.connect(Path(env["VINCULO_DATA_DIR"]) / "vinculo.sqlite3") as conn:
        return [row[0] for row in conn.execute(sql)]


def test_the_worker_runs_what_another_process_queued(tmp_path: Path, migrated, request,
                                                     task_kind):
    with fresh_database(tmp_path, migrated) as env:
        env.update(VINCULO_TASKS=task_kind, PYTHONUNBUFFERED="1")
        if task_kind == "rq":
            env["REDIS_URL"] = request.getfixturevalue("redis_url")
        vinculo("createorg", "Worker Test", env=env)
        queued = vinculo("analytics_recompute", "--organization", "Worker Test", "--enqueue",
                         env=env)
        assert "queued run" in queued
        assert _run_statuses(env) == ["pending"]  # nobody has picked it up yet

        log = tmp_path / "worker.log"
        with log.open("wb") as out:
            worker = subprocess.Popen([str(VINCULO), "worker"], env=env, stdout=out,
                                      stderr=subprocess.STDOUT, start_new_session=True)
        try:
            deadline = time.monotonic() + 300
            while _run_statuses(env) != ["done"]:
                assert worker.poll() is None, log.read_text()
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.5)
        finally:
            worker.send_signal(signal.SIGTERM)  # both workers stop warmly on SIGTERM
            try:  # promptly: RQ's own worker could take a minute (vinculo.core.rq_worker)
                code = worker.wait(timeout=STOP_SECONDS)
            except subprocess.TimeoutExpired:
                os.killpg(worker.pid, signal.SIGKILL)
                worker.wait()
                pytest.fail(f"the worker was still running {STOP_SECONDS} s after SIGTERM:\n"
                            + log.read_text())
        output = log.read_text()
        assert code == 0, output
        first = {"db": "database worker", "rq": f"RQ worker on {env.get('REDIS_URL')}"}[task_kind]
        assert output.startswith(first), output
