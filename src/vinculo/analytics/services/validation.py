"""Which purchase model predicts an organisation's customers best: calibration/holdout
validation on its own order history, and the choice each recompute makes with it.

The history up to ``holdout_from - 1`` is the calibration period; each model is fitted on it
and predicts every calibration customer's purchase days from ``holdout_from`` to ``as_of``,
compared with the orders they placed (``vinculo.analytics.stats.holdout``). Both periods come
from the same aggregate SQL as the recompute (:func:`customer_summary_sql`, cancelled orders
left out), run once per end date: a customer's holdout purchase days are their purchase days
up to ``as_of`` minus those up to the calibration end.

The product compares BG/NBD and MBG/NBD, the models its scoring can use (same outputs:
P(alive), expected purchases, CLV).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np

from vinculo.analytics.services.summary import UNIT_DAYS, customer_summary_sql
from vinculo.analytics.stats.holdout import compare_holdout

#: The models a recompute can use, in order of preference when nothing else decides.
PRODUCT_MODELS = ("bg_nbd", "mbg_nbd")
DEFAULT_MODEL = "bg_nbd"
#: The automatic holdout is the last third of the history, between four and 26 weeks.
MIN_HOLDOUT_DAYS, MAX_HOLDOUT_DAYS = 28, 182
#: Below this many customers with a repeat purchase in calibration, no choice is made.
MIN_REPEATERS = 20


class ValidationError(ValueError):
    """The history cannot be split at that date (the message says why, in English)."""


def holdout_validation(
    *, organization_id: int, holdout_from: dt.date, as_of: dt.date,
    models: tuple[str, ...] = PRODUCT_MODELS,
) -> dict[str, Any]:
    """Compare ``models`` on the split at ``holdout_from``; JSON-ready, dates as ISO strings.

    Raises :class:`ValidationError` when a period is empty or nobody bought twice before
    ``holdout_from``.
    """
    if not holdout_from <= as_of:
        raise ValidationError("the holdout must start on or before the as-of date")
    cal_end = holdout_from - dt.timedelta(days=1)
    cal = customer_summary_sql(organization_id=organization_id, as_of=cal_end)
    if not len(cal):
        raise ValidationError("no orders before the start of the holdout")
    end = customer_summary_sql(organization_id=organization_id, as_of=as_of)
    pos = np.minimum(np.searchsorted(end.account, cal.account), max(len(end) - 1, 0))
    found = end.account[pos] == cal.account if len(end) else np.zeros(len(cal), bool)
    holdout = np.where(found, np.maximum(end.days[pos] - cal.days, 0), 0)
    s = cal.for_model(cal_end, UNIT_DAYS)
    duration = ((as_of - cal_end).days) / UNIT_DAYS
    try:
        comparison = compare_holdout(s["frequency"], s["recency"], s["T"], holdout, duration,
                                     models=models)
    except ValueError as exc:
        raise ValidationError(str(exc)) from None
    return {
        **comparison.as_dict(),
        "holdout_from": holdout_from.isoformat(),
        "calibration_end": cal_end.isoformat(),
        "as_of": as_of.isoformat(),
        "repeaters": int((s["frequency"] > 0).sum()),
        "holdout_customers": int((holdout > 0).sum()),
    }


def default_holdout_from(*, first_day: dt.date, as_of: dt.date) -> dt.date | None:
    """The split the recompute uses: the last third of the history, 4 to 26 weeks long;
    ``None`` when the history is shorter than twice the shortest holdout."""
    span = (as_of - first_day).days
    if span < 2 * MIN_HOLDOUT_DAYS:
        return None
    days = min(max(span // 3, MIN_HOLDOUT_DAYS), MAX_HOLDOUT_DAYS)
    return as_of - dt.timedelta(days=days - 1)


def choose_model(*, organization_id: int, as_of: dt.date, first_day: dt.date | None
                 ) -> dict[str, Any]:
    """The model a recompute uses and why, for ``AnalyticsRun.parameters["model"]``.

    ``reason`` is ``"holdout"`` (it predicted the automatic holdout best; ``validation``
    holds the comparison), ``"short_history"`` (too little history or too few repeat
    customers to compare, so the default) or ``"validation_failed"`` (the split failed or no
    model could be fitted on the calibration period; ``error`` says why).
    """
    chosen: dict[str, Any] = {"name": DEFAULT_MODEL}
    split = default_holdout_from(first_day=first_day, as_of=as_of) if first_day else None
    if split is None:
        return {**chosen, "reason": "short_history"}
    try:
        result = holdout_validation(organization_id=organization_id, holdout_from=split,
                                    as_of=as_of)
    except ValidationError as exc:
        return {**chosen, "reason": "validation_failed", "error": str(exc)}
    if result["repeaters"] < MIN_REPEATERS:
        return {**chosen, "reason": "short_history", "validation": result}
    if result["best"] is None:
        error = "; ".join(f"{k}: {v}" for k, v in result["errors"].items())
        return {**chosen, "reason": "validation_failed", "error": error, "validation": result}
    return {"name": result["best"], "reason": "holdout", "validation": result}
