"""Recompute an organisation's snapshots, and the queued runs that do it in the background."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import numpy as np
from django.db import transaction
from django.utils import timezone

from vinculo.analytics.models import AnalyticsRun, RunStatus
from vinculo.analytics.services._common import Progress, require_role
from vinculo.analytics.services.contractual import apply as apply_contracts
from vinculo.analytics.services.contractual import contract_scores
from vinculo.analytics.services.costs import cost_rates, driver_counts
from vinculo.analytics.services.covariates import purchase_drivers
from vinculo.analytics.services.scoring import DEFAULTS, score
from vinculo.analytics.services.summary import cost_of_goods, customer_summary_sql
from vinculo.analytics.services.validation import choose_model
from vinculo.analytics.services.writing import write_snapshots
from vinculo.core import events
from vinculo.core.models import Organization, User


def recompute(
    *,
    organization: Organization,
    as_of: dt.date,
    progress: Progress | None = None,
    horizon_months: int = DEFAULTS["horizon_months"],
    monthly_discount_rate: float = DEFAULTS["monthly_discount_rate"],
    pnl_window_days: int = DEFAULTS["pnl_window_days"],
) -> dict[str, Any]:
    """Recompute and store every customer's snapshot for ``as_of``; return the run summary.

    ``progress(percent, step)`` is called as the work advances. The heavy reading is aggregate
    SQL; memory grows with the number of customers, not of orders.
    """
    tick = progress or (lambda pct, step: None)
    org_id = organization.pk
    window_start = as_of - dt.timedelta(days=pnl_window_days)
    tick(2, "summary")
    summary = customer_summary_sql(organization_id=org_id, as_of=as_of, window_start=window_start)
    tick(20, "summary")
    cogs = cost_of_goods(organization_id=org_id, account_ids=summary.account,
                         start=window_start, end=as_of)
    counts = driver_counts(organization_id=org_id, account_ids=summary.account,
                           start=window_start, end=as_of, known={"order": summary.orders})
    tick(25, "costs")
    first_day = (dt.date(1970, 1, 1) + dt.timedelta(days=int(summary.first_day.min()))
                 if len(summary) else None)
    chosen = choose_model(organization_id=org_id, as_of=as_of, first_day=first_day)
    tick(28, "validation")
    scores = score(
        summary, as_of=as_of, cogs=cogs, counts=counts, rates=cost_rates(organization),
        horizon_months=horizon_months, monthly_discount_rate=monthly_discount_rate,
        progress=tick, model=chosen["name"],
    )
    scores.parameters["pnl_window_days"] = pnl_window_days
    scores.parameters["model"] = chosen
    tick(62, "contracts")
    contract = contract_scores(
        organization_id=org_id, as_of=as_of, accounts=summary.account,
        monthly_discount_rate=monthly_discount_rate,
        level=scores.parameters["interval_level"])
    scores.model = apply_contracts(scores, contract, chosen["name"])
    if contract is not None:
        scores.parameters["contracts"] = contract.parameters
    tick(66, "covariates")
    scores.parameters["covariates"] = purchase_drivers(
        organization_id=org_id, as_of=as_of, summary=summary,
        level=scores.parameters["interval_level"])
    tick(70, "write")
    written = write_snapshots(organization_id=org_id, as_of=as_of, scores=scores, progress=tick)
    return {"customers": written, "parameters": _json_safe(scores.parameters)}


def _json_safe(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if isinstance(value, float | np.floating):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, np.integer | np.bool_):
        return value.item()
    return value


def analytics_run_start(
    *, organization: Organization, as_of: dt.date | None = None, actor: User | None = None
) -> AnalyticsRun:
    """Queue a recomputation; the task starts once this transaction commits.

    A run already waiting or running for the organisation is returned instead of a second one.
    """
    require_role(actor, "analytics.run")
    with transaction.atomic():
        active = (AnalyticsRun.all_objects.select_for_update()
                  .filter(organization=organization,
                          status__in=[RunStatus.PENDING, RunStatus.RUNNING]).first())
        if active is not None:
            return active
        run = AnalyticsRun.all_objects.create(
            organization=organization, as_of=as_of or timezone.localdate(), requested_by=actor
        )
        from vinculo.analytics.tasks import analytics_recompute

        transaction.on_commit(lambda: analytics_recompute.enqueue(run.pk))
    return run


def analytics_run_execute(*, run: AnalyticsRun) -> AnalyticsRun:
    """Run ``recompute`` for ``run``, saving its progress as it goes (task and command)."""
    manager = AnalyticsRun.all_objects
    manager.filter(pk=run.pk).update(
        status=RunStatus.RUNNING, started_at=timezone.now(), progress=1, error=""
    )
    last = [-1]

    def progress(pct: int, step: str) -> None:
        if pct != last[0]:
            last[0] = pct
            manager.filter(pk=run.pk).update(progress=min(pct, 99), step=step)

    try:
        result = recompute(organization=run.organization, as_of=run.as_of, progress=progress)
    except Exception as exc:
        manager.filter(pk=run.pk).update(
            status=RunStatus.FAILED, finished_at=timezone.now(),
            error=f"{type(exc).__name__}: {exc}",
        )
        raise
    manager.filter(pk=run.pk).update(
        status=RunStatus.DONE, progress=100, step="", finished_at=timezone.now(),
        customers=result["customers"], parameters=result["parameters"],
    )
    run.refresh_from_db()
    events.publish("snapshot.recomputed", record=run, actor=run.requested_by, data={
        "as_of": run.as_of.isoformat(), "customers": run.customers})
    return run
