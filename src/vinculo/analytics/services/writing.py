"""Write the scores as one dated snapshot per account (``bulk.upsert_snapshots``)."""

from __future__ import annotations

import datetime as dt

import numpy as np

from vinculo.analytics import drivers
from vinculo.analytics.bulk import SnapshotColumns, upsert_snapshots
from vinculo.analytics.services._common import Progress
from vinculo.analytics.services.scoring import Scores


def snapshot_columns(as_of: dt.date, scores: Scores) -> SnapshotColumns:
    """The snapshot table's columns as arrays (what ``bulk.upsert_snapshots`` writes)."""
    s = scores.summary
    n = len(s)
    none = np.full(n, np.nan)
    end = (as_of - dt.date(1970, 1, 1)).days
    intervals = scores.intervals or {}

    def bound(name: str, side: str) -> np.ndarray:
        """An interval's bound, none where the prediction has no interval (NaN)."""
        return getattr(intervals[name], side) if name in intervals else none

    return SnapshotColumns(
        account=s.account,
        days={"first_purchase": s.first_day, "last_purchase": s.last_day},
        counts={"recency_days": scores.recency_days, "frequency": s.days - 1,
                "T": end - s.first_day, "r_score": scores.r, "f_score": scores.f,
                "m_score": scores.m},
        labels={"rfm_segment": scores.segment, "profit_segment": scores.profit_segment,
                "value_tier": scores.value_tier,
                "model": (scores.model if scores.model is not None
                          else np.full(n, "", dtype=object))},
        money={"monetary": s.for_model(as_of)["monetary"],
               "expected_spend": none if scores.expected_spend is None else scores.expected_spend,
               "clv": none if scores.clv is None else scores.clv,
               "clv_lower": bound("clv", "lower"), "clv_upper": bound("clv", "upper"),
               "revenue": s.revenue, "cost_of_goods": scores.cost_of_goods,
               "cost_to_serve": scores.cost_by_driver.sum(axis=1), "profit": scores.profit},
        floats={"p_alive": none if scores.p_alive is None else scores.p_alive,
                "expected_purchases": (none if scores.expected_purchases is None
                                       else scores.expected_purchases),
                "p_alive_lower": bound("p_alive", "lower"),
                "p_alive_upper": bound("p_alive", "upper"),
                "expected_purchases_lower": bound("expected_purchases", "lower"),
                "expected_purchases_upper": bound("expected_purchases", "upper")},
        drivers=drivers.names(),
        breakdown=scores.cost_by_driver,
    )


def write_snapshots(
    *, organization_id: int, as_of: dt.date, scores: Scores, progress: Progress | None = None
) -> int:
    """Upsert one snapshot per account for ``as_of``; accounts without purchases any more lose
    their row for that date (a rerun), older dates are kept (``bulk.upsert_snapshots``)."""
    tick = progress or (lambda pct, step: None)
    written = upsert_snapshots(
        organization_id=organization_id, as_of=as_of, columns=snapshot_columns(as_of, scores),
        progress=lambda fraction: tick(70 + int(29 * fraction), "write"),
    )
    tick(99, "write")
    return written
