"""The task-using tests run on each background backend, with its real worker.

``db`` queues in the database (django-tasks-db) and runs ``db_worker``; ``rq`` queues in Redis
(django-tasks-rq, on this run's own Redis database, ``tests/redis_db.py``) and runs an RQ
worker with its scheduler. ``VINCULO_TEST_TASKS`` lists the backends of a run (``db``, the
default, or ``db,rq``: `make test` adds ``rq`` to the SQLite pass when Redis answers); a test
that takes ``task_queue`` (or ``task_kind``) runs once per backend listed, in the same session,
so RQ costs no second start of the suite. It enqueues through the product's code and calls
``task_queue.run()`` where a worker would have picked the work up. The workers run in the
test's process, like ``vinculo worker --burst`` without forking, so the test's settings (an
SMTP port) hold for the tasks too; ``tests/core/test_worker.py`` runs the real ``vinculo
worker`` command on each.
"""

from __future__ import annotations

import datetime as dt
import os
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

BACKENDS = {"db": "django_tasks_db.DatabaseBackend", "rq": "django_tasks_rq.RQBackend"}
KINDS = [kind.strip() for kind in os.environ.get("VINCULO_TEST_TASKS", "db").split(",")]
if set(KINDS) - set(BACKENDS):
    raise pytest.UsageError(f"VINCULO_TEST_TASKS lists backends among {sorted(BACKENDS)}, "
                            f"not {os.environ['VINCULO_TEST_TASKS']!r}")


class TaskQueue:
    """The configured backend as a test sees it: run what is due, see and hurry what waits."""

    kind: str

    def run(self) -> None:
        """Run every task due now (and those they enqueue, when due), then return."""
        raise NotImplementedError

    def waiting(self) -> list[dt.datetime]:
        """When each deferred task (an e-mail retry) is due."""
        raise NotImplementedError

    def make_due(self) -> None:
        """Bring every deferred task forward to now (instead of waiting minutes)."""
        raise NotImplementedError


class DatabaseQueue(TaskQueue):
    kind = "db"

    def run(self) -> None:
        call_command("db_worker", "--batch", "--no-startup-delay", "--interval", "0")

    def _deferred(self) -> Any:
        from django_tasks_db.models import DBTaskResult

        return DBTaskResult.objects.filter(status="READY", run_after__isnull=False)

    def waiting(self) -> list[dt.datetime]:
        return sorted(self._deferred().values_list("run_after", flat=True))

    def make_due(self) -> None:
        self._deferred().update(run_after=timezone.now())


class RedisQueue(TaskQueue):
    kind = "rq"

    def _registry(self) -> Any:
        import django_rq
        from rq.registry import ScheduledJobRegistry

        return ScheduledJobRegistry(queue=django_rq.get_queue("default"))

    def run(self) -> None:
        import django_rq

        from vinculo.core.rq_worker import PromptSimpleWorker

        worker = django_rq.get_worker("default", job_class="django_tasks_rq.backend.Job",
                                      worker_class=PromptSimpleWorker)
        worker.work(burst=True, with_scheduler=True)

    def waiting(self) -> list[dt.datetime]:
        registry = self._registry()
        return sorted(registry.get_scheduled_time(job_id)
                      for job_id in registry.get_job_ids())

    def make_due(self) -> None:
        from rq.job import Job

        registry = self._registry()
        for job_id in registry.get_job_ids():
            job = Job.fetch(job_id, connection=registry.connection)
            registry.schedule(job, timezone.now() - dt.timedelta(seconds=1))


@pytest.fixture
def queued_mail_server(settings, task_queue) -> Any:
    """A real SMTP server (aiosmtpd) that Django sends to; unlike ``mail_server``, the e-mail
    tasks wait on the backend under test until ``task_queue.run()``."""
    from tests.smtp import smtp_server

    with smtp_server() as (port, inbox):
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
        yield inbox


@pytest.fixture(params=KINDS)
def task_kind(request) -> str:
    """The backend this run of the test uses: one of ``VINCULO_TEST_TASKS``."""
    return request.param


@pytest.fixture
def task_queue(settings, request, task_kind) -> Any:
    """The backend ``task_kind`` names, set up empty for this test."""
    settings.TASKS = {"default": {"BACKEND": BACKENDS[task_kind]}}
    if task_kind == "db":
        yield DatabaseQueue()
        return
    import redis

    url = request.getfixturevalue("redis_url")
    settings.RQ_QUEUES = {"default": {"URL": url, "DEFAULT_TIMEOUT": 3600}}
    redis.Redis.from_url(url).flushdb()
    try:
        yield RedisQueue()
    finally:
        redis.Redis.from_url(url).flushdb()
