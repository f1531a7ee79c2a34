"""``vinculo worker``: run the background tasks on the backend ``VINCULO_TASKS`` chose.

``db`` (the default): django-tasks-db's ``db_worker``, the database being the queue. ``rq``: an
RQ worker on the ``default`` queue at ``REDIS_URL``, with django-tasks-rq's job class (which
runs the task functions) and RQ's scheduler (which releases deferred tasks, such as the e-mail
retries, when they are due). Run as many as the load needs, on any host; each task runs once.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandParser

from vinculo.core.management.base import OperatorCommand

RQ_JOB_CLASS = "django_tasks_rq.backend.Job"
RQ_WORKER_CLASS = "vinculo.core.rq_worker.PromptWorker"


class Command(OperatorCommand):
    help = "Run background tasks with the worker of the configured backend (VINCULO_TASKS)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--burst", action="store_true",
                            help="run the tasks that are due now, then stop")

    def handle(self, *args: Any, burst: bool, **options: Any) -> None:
        verbosity = options.get("verbosity", 1)
        if settings.VINCULO_TASKS == "rq":
            self.stdout.write(f"RQ worker on {settings.RQ_QUEUES['default']['URL']}")
            call_command("rqworker", "default", job_class=RQ_JOB_CLASS,
                         worker_class=RQ_WORKER_CLASS, with_scheduler=True, burst=burst,
                         verbosity=verbosity)
            return
        self.stdout.write("database worker")
        call_command("db_worker", batch=burst, reload=False, startup_delay=not burst,
                     verbosity=verbosity)
