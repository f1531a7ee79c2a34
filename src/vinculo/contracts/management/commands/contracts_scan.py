"""``vinculo contracts_scan``: renew what renews automatically, lapse what was not renewed,
announce renewals coming due. Daily from cron (or ``vinculo scheduler``)::

    30 1 * * *  cd /srv/vinculo && .venv/bin/vinculo contracts_scan
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import CommandError

from vinculo.contracts import services
from vinculo.core.management.base import OperatorCommand


class Command(OperatorCommand):
    help = "Renew, lapse and announce the contracts whose renewal date has come or is near."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--today", type=dt.date.fromisoformat,
                            help="the day to scan as (YYYY-MM-DD; default today)")

    def handle(self, *args: Any, **opts: Any) -> None:
        result = services.contracts_scan(today=opts.get("today"))
        self.stdout.write(f"renewed {result.renewed}, lapsed {result.lapsed}, "
                          f"renewal due {result.due}")
        if result.errors:
            raise CommandError("; ".join(result.errors))
