"""``vinculo campaign_send_resume``: hand a campaign whose sender stopped (a worker killed or
crashed mid-send) to a worker again; it sends what is left, each message once.

Every minute from cron (or let ``vinculo scheduler`` run it)::

    * * * * *  cd /srv/vinculo && .venv/bin/vinculo campaign_send_resume
"""

from __future__ import annotations

from typing import Any

from vinculo.core.management.base import OperatorCommand
from vinculo.marketing import sending


class Command(OperatorCommand):
    help = "Resume sending the campaigns whose sender went silent."

    def handle(self, *args: Any, **opts: Any) -> None:
        self.stdout.write(f"campaigns resumed: {sending.campaign_send_resume()}")
