"""Demo analytics: cost rates for the activities behind the cost to serve, and snapshots of
two dates (a quarter ago and today), so the dashboard, its segment migration and the 360°
panels have numbers."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from vinculo.analytics.models import AnalyticsRun
from vinculo.analytics.services import analytics_run_execute, cost_rate_update
from vinculo.core.demo import DemoContext

#: What one unit of each activity costs the demo company (EUR): activity-based costing.
COST_RATES = {"order": "12.00", "delivery": "18.00", "invoice": "2.50", "return": "35.00",
              "ticket": "22.00", "call": "4.00", "visit": "65.00", "email": "1.50",
              "handling_minute": "0.60"}


#: Days between the demo's two snapshots: customers move between segments in a quarter.
SNAPSHOT_GAP_DAYS = 91


def estimate(customers: int) -> int:
    """Rows written for ``customers`` customers (the demo's progress bar): two snapshots."""
    return 2 * min(customers // 3, 20_000)


def generate(ctx: DemoContext) -> dict[str, int]:
    if not ctx.shared.get("sales"):
        return {}
    for driver, rate in COST_RATES.items():
        cost_rate_update(organization=ctx.organization, driver=driver, rate=Decimal(rate),
                        actor=ctx.users["admin"])
    today = ctx.now.date()
    written = 0
    for as_of in (today - dt.timedelta(days=SNAPSHOT_GAP_DAYS), today):
        run = AnalyticsRun.all_objects.create(organization=ctx.organization, as_of=as_of,
                                              requested_by=ctx.users["admin"])
        run = analytics_run_execute(run=run)
        ctx.progress.update(run.customers)
        written += run.customers
    return {"customer snapshots": written}
