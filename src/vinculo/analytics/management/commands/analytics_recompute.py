"""``vinculo analytics_recompute``: the nightly recomputation of every customer's snapshot.

Cron, once a night (runs in the cron process; add ``--enqueue`` to hand it to ``vinculo worker``)::

    15 2 * * *  cd /srv/vinculo && .venv/bin/vinculo analytics_recompute --all
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import CommandError
from django.db import transaction
from django.utils import timezone

from vinculo.analytics import services
from vinculo.analytics.models import AnalyticsRun
from vinculo.core.management.base import OperatorCommand
from vinculo.core.models import Organization
from vinculo.core.tenancy import organization_scope


class Command(OperatorCommand):
    help = "Recompute the analytics snapshots (RFM, P(alive), CLV, customer P&L) for a date."

    def add_arguments(self, parser: Any) -> None:
        who = parser.add_mutually_exclusive_group(required=True)
        who.add_argument("--organization", help="name of the organisation")
        who.add_argument("--all", action="store_true", help="every organisation")
        parser.add_argument("--as-of", type=dt.date.fromisoformat,
                            help="snapshot date, YYYY-MM-DD (default: today)")
        parser.add_argument("--enqueue", action="store_true",
                            help="queue the task for the worker instead of running it here")

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["all"]:
            organizations = list(Organization.objects.order_by("name"))
        else:
            organizations = list(Organization.objects.filter(name=opts["organization"]))
            if not organizations:
                raise CommandError(f"no organisation named {opts['organization']!r}")
        as_of = opts["as_of"] or timezone.localdate()
        for org in organizations:
            with organization_scope(org):
                if opts["enqueue"]:
                    run = services.analytics_run_start(organization=org, as_of=as_of)
                    self.stdout.write(f"{org}: queued run {run.uuid} as of {as_of}")
                    continue
                with transaction.atomic():
                    run = AnalyticsRun.objects.create(organization=org, as_of=as_of)
                run = services.analytics_run_execute(run=run)
                self.stdout.write(f"{org}: {run.customers} customers as of {as_of} "
                                  f"({run.get_status_display()})")

