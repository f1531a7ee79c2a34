"""Background tasks of the analytics app: thin wrappers over services."""

from __future__ import annotations

from django_tasks import task

from vinculo.analytics.models import AnalyticsRun, RunStatus
from vinculo.core.tenancy import organization_scope


@task()
def analytics_recompute(run_id: int) -> str:
    """Recompute the snapshots of a queued run in its organisation's scope."""
    run = AnalyticsRun.all_objects.select_related("organization").get(pk=run_id)
    if run.status != RunStatus.PENDING:
        return run.status
    from vinculo.analytics.services import analytics_run_execute

    with organization_scope(run.organization_id):
        run = analytics_run_execute(run=run)
    return run.status
