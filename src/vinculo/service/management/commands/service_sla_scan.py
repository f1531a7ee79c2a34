"""``vinculo service_sla_scan``: flag tickets about to breach and breached, escalate, close.

Every minute from cron (or let ``vinculo scheduler`` run it)::

    * * * * *  cd /srv/vinculo && .venv/bin/vinculo service_sla_scan
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError

from vinculo.core.management.base import OperatorCommand
from vinculo.service import services


class Command(OperatorCommand):
    help = "Scan open tickets against their SLA targets: warn, escalate breaches, close stale."

    def handle(self, *args: Any, **opts: Any) -> None:
        result = services.sla_scan()
        self.stdout.write(
            f"warned {result.warned}, breached {result.breached}, escalated "
            f"{result.escalated}, nobody to escalate to {result.unhandled}, closed "
            f"{result.closed}")
        if result.errors:
            raise CommandError("; ".join(result.errors))
