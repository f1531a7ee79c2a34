"""Demo analytics: the first snapshot, so the dashboard and the 360° panels have numbers."""

from __future__ import annotations

from vinculo.analytics.models import AnalyticsRun
from vinculo.analytics.services import analytics_run_execute
from vinculo.core.demo import DemoContext, register


@register(order=900, estimate=lambda n: min(n // 3, 20_000))
def generate(ctx: DemoContext) -> dict[str, int]:
    if not ctx.shared.get("sales"):
        return {}
    run = AnalyticsRun.all_objects.create(organization=ctx.organization, as_of=ctx.now.date(),
                                          requested_by=ctx.users["admin"])
    run = analytics_run_execute(run)
    ctx.progress.update(run.customers)
    return {"customer snapshots": run.customers}
