"""``vinculo campaign_conversions``: store ``converted_at`` on the recipients of every campaign
whose attribution window may still be open (started in the last year), nightly.

The results page computes its figures on demand; this keeps the stored column — read by the
API, the timeline and the per-channel summary — in step::

    30 2 * * *  cd /srv/vinculo && .venv/bin/vinculo campaign_conversions
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from vinculo.core.management.base import OperatorCommand
from vinculo.core.tenancy import organization_scope
from vinculo.marketing.models import Campaign
from vinculo.marketing.results import services


class Command(OperatorCommand):
    help = "Store each campaign recipient's attributed conversion (converted_at)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--days", type=int, default=365,
                            help="campaigns started in this many days (default 365)")

    def handle(self, *args: Any, **opts: Any) -> None:
        since = timezone.now() - dt.timedelta(days=opts["days"])
        campaigns = Campaign.all_objects.filter(started_at__gte=since).order_by("id")
        for campaign in campaigns:
            with organization_scope(campaign.organization_id):
                converted = services.conversions_mark(campaign=campaign)
            self.stdout.write(f"{campaign.uuid}: {converted} converted")
