"""Score every customer from the SQL summary: RFM, BG/NBD, Gamma-Gamma, CLV, customer P&L.

Pure NumPy/SciPy on arrays (the library in ``vinculo.analytics.stats``); no query here.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from vinculo.analytics import drivers
from vinculo.analytics.services._common import Progress
from vinculo.analytics.services.summary import UNIT_DAYS, SqlSummary
from vinculo.analytics.stats import costing, rfm
from vinculo.analytics.stats.bgnbd import BGNBD, MBGNBD
from vinculo.analytics.stats.gamma_gamma import GammaGamma
from vinculo.analytics.stats.uncertainty import (
    DEFAULT_LEVEL,
    Interval,
    customer_intervals,
    parameter_uncertainty,
)

#: Defaults stored with every run's parameters.
DEFAULTS: dict[str, Any] = {
    "horizon_months": 12,  # CLV and expected purchases look one year ahead
    "monthly_discount_rate": 0.01,  # ≈ 12.7 % a year
    "pnl_window_days": 365,  # the customer P&L covers the trailing year
    "interval_level": DEFAULT_LEVEL,  # P(alive), expected purchases, CLV: 90 % intervals
}
#: A BG/NBD parameter above this means the fit did not identify the model.
DEGENERATE = 1e5


@dataclass
class Scores:
    """Everything a snapshot row holds, as arrays aligned with ``SqlSummary.account``."""

    summary: SqlSummary
    recency_days: np.ndarray
    r: np.ndarray
    f: np.ndarray
    m: np.ndarray
    segment: np.ndarray
    p_alive: np.ndarray | None
    expected_purchases: np.ndarray | None
    expected_spend: np.ndarray | None
    clv: np.ndarray | None
    cost_of_goods: np.ndarray
    cost_by_driver: np.ndarray
    profit: np.ndarray
    profit_segment: np.ndarray
    value_tier: np.ndarray
    parameters: dict[str, Any]
    #: Intervals of p_alive, expected_purchases and clv (``stats.uncertainty``), where scored.
    intervals: dict[str, Interval] | None = None
    #: The model that scored each account: "bg_nbd", "mbg_nbd", "sbg" (contract customers,
    #: ``services.contractual``) or "" where none did.
    model: np.ndarray | None = None


def value_tiers(clv: np.ndarray | None, profit: np.ndarray) -> np.ndarray:
    """Customer pyramid (Zeithaml, Rust & Lemon 2001) on CLV: Platinum = top 5 %, Gold = next
    15 %, Iron = the rest; Lead = loss-making today (profit < 0) whatever their CLV."""
    n = profit.size
    value = clv if clv is not None else profit
    tiers = np.full(n, "Iron", dtype=object)
    if n:
        rank = np.empty(n, dtype=np.int64)
        rank[np.lexsort((np.arange(n), -value))] = np.arange(n)
        tiers[rank < math.ceil(0.20 * n)] = "Gold"
        tiers[rank < math.ceil(0.05 * n)] = "Platinum"
        tiers[profit < 0] = "Lead"
    return tiers.astype(str)


def score(
    summary: SqlSummary,
    *,
    as_of: dt.date,
    cogs: np.ndarray,
    counts: np.ndarray,
    rates: dict[str, float],
    horizon_months: int = DEFAULTS["horizon_months"],
    monthly_discount_rate: float = DEFAULTS["monthly_discount_rate"],
    interval_level: float = DEFAULTS["interval_level"],
    progress: Progress | None = None,
    model: str = "bg_nbd",
) -> Scores:
    """Fit the models and score every customer (pure NumPy/SciPy on the SQL summary).

    ``model`` is the purchase model: ``"bg_nbd"`` (its fit stored as ``bgnbd``) or
    ``"mbg_nbd"`` (stored as ``mbgnbd``); see ``services.validation.choose_model``.
    """
    fitters: dict[str, tuple[type[BGNBD] | type[MBGNBD], str]] = {
        "bg_nbd": (BGNBD, "bgnbd"), "mbg_nbd": (MBGNBD, "mbgnbd")}
    fitter, key = fitters[model]
    tick = progress or (lambda pct, step: None)
    params: dict[str, Any] = {
        "unit": "week",
        "horizon_months": horizon_months,
        "monthly_discount_rate": monthly_discount_rate,
        "interval_level": interval_level,
        "rates": rates,
    }
    s = summary.for_model(as_of)
    x, tx, T, monetary = s["frequency"], s["recency"], s["T"], s["monetary"]
    end = (as_of - dt.date(1970, 1, 1)).days
    recency_days = end - summary.last_day

    # RFM: R = days since last purchase, F = repeat purchase days, M = mean spend per day.
    mean_day = summary.total / np.maximum(summary.days, 1)
    scores = rfm.rfm_scores(recency_days, x, mean_day)
    tick(30, "rfm")

    p_alive = expected = spend = clv = None
    bg: BGNBD | MBGNBD | None = None
    intervals: dict[str, Interval] = {}
    if len(summary) and (x > 0).any():
        try:
            bg = fitter.fit(x, tx, T)
            params[key] = {**bg.params, "log_likelihood": bg.log_likelihood}
            if max(bg.params.values()) > DEGENERATE:
                # Parameters running off to infinity: the data show no heterogeneity or no
                # drop-out (too few or too regular customers). Predictions from such a fit are
                # meaningless and its 2F1 series is very slow, so none are stored.
                raise ValueError("degenerate fit: parameters diverge; too little history")
            bg_unc = parameter_uncertainty(bg, x, tx, T)
            params[key].update(bg_unc.as_dict(interval_level))
        except (ValueError, FloatingPointError, np.linalg.LinAlgError) as exc:
            params[key] = {**params.get(key, {}), "error": str(exc)}
            bg = None
        tick(45, "bgnbd")
        try:
            gg = GammaGamma.fit(x, monetary)
            params["gamma_gamma"] = {**gg.params, "log_likelihood": gg.log_likelihood}
            if gg.q <= 1:
                raise ValueError("q <= 1: the population mean spend is infinite")
            spend = gg.conditional_expected_spend(x, monetary)
            gg_unc = parameter_uncertainty(gg, x, monetary)
            params["gamma_gamma"].update(gg_unc.as_dict(interval_level))
            spend_args: dict[str, Any] = {"spend_model": gg, "spend_uncertainty": gg_unc,
                                          "monetary_value": monetary}
        except (ValueError, FloatingPointError, np.linalg.LinAlgError) as exc:
            params.setdefault("gamma_gamma", {})["error"] = str(exc)
            spend = mean_day  # fall back on each customer's own mean spend per purchase day
            spend_args = {"expected_spend": spend}  # observed: no model uncertainty to add
        tick(55, "gamma_gamma")
        if bg is not None:
            revenue = float(summary.revenue.sum())
            margin = 1.0 if revenue <= 0 else min(max(1 - float(cogs.sum()) / revenue, 0.0), 1.0)
            params["margin_rate"] = margin
            month = 365.25 / 12 / UNIT_DAYS
            try:
                # P(alive), expected purchases over the horizon and CLV with their intervals,
                # in one pass over the distinct histories (``stats.uncertainty``).
                intervals = customer_intervals(
                    bg, bg_unc, x, tx, T, horizon=horizon_months * month, **spend_args,
                    level=interval_level, margin=margin, periods=horizon_months,
                    period_length=month, discount_rate=monthly_discount_rate,
                )
            except (ValueError, FloatingPointError, np.linalg.LinAlgError) as exc:
                params["bgnbd"]["error"] = str(exc)
            else:
                p_alive = intervals["p_alive"].estimate
                expected = intervals["expected_purchases"].estimate
                clv = intervals["clv"].estimate
    else:
        params[key] = {"error": "no repeat purchases yet"}
    tick(60, "clv")

    names = drivers.names()
    cost = costing.cost_to_serve(counts, rates, names)
    pnl = costing.customer_pnl(summary.account, summary.revenue, cogs, cost, names)
    profit = pnl.profit
    tick(65, "pnl")
    return Scores(
        summary=summary, recency_days=recency_days, r=scores.recency, f=scores.frequency,
        m=scores.monetary, segment=scores.segment, p_alive=p_alive,
        expected_purchases=expected, expected_spend=spend, clv=clv, cost_of_goods=cogs,
        cost_by_driver=cost, profit=profit,
        profit_segment=costing.profitability_segments(profit),
        value_tier=value_tiers(clv, profit), parameters=params, intervals=intervals or None,
    )
