"""The figure marketing measures for objectives (``Contract.indicators``): the campaigns'
return on margin, read from the same ``results.selectors.roi`` the results page shows, so an
objective and a campaign's page never disagree."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from decimal import Decimal

from vinculo.core.models import Organization
from vinculo.marketing.models import Campaign
from vinculo.marketing.results import selectors


def campaign_roi(*, organization: Organization, start: dt.date, end: dt.date,
                 owners: Collection[int] | None) -> float | None:
    """(incremental margin − cost) ÷ cost, in %, of the campaigns started in the period that
    held out a control group, taken together: a campaign without one has no incremental
    margin to count, so it is left out rather than counted as a loss. None while no such
    campaign cost anything."""
    campaigns = Campaign.objects.filter(organization=organization,
                                        started_at__date__range=(start, end))
    if owners is not None:
        campaigns = campaigns.filter(owner_id__in=owners)
    margin = cost = Decimal(0)
    for campaign in campaigns.order_by("pk"):
        returned = selectors.campaign_roi(campaign)
        if returned.measurable:
            margin += returned.incremental_margin
            cost += returned.cost
    if not cost:
        return None
    return round(float((margin - cost) / cost * 100), 1)
