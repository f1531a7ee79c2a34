"""Demand forecasts for intermittent product series, with backtested accuracy.

Most CRM product series are intermittent (many zero periods), where exponential smoothing of
the raw series is biased. Candidates:

* Croston (1972): smooth the non-zero demand sizes z and the intervals between them p
  separately; forecast z / p.
* SBA (Syntetos & Boylan 2005): Croston x (1 - alpha / 2), removing Croston's upward bias.
* TSB (Teunter, Syntetos & Babai 2011): smooth the demand probability every period, so the
  forecast decays towards zero when an item stops selling (obsolescence).
* Seasonal naive: repeat the last season (season length m; m = 1 is the plain naive).

The method is picked per series by a rolling-origin backtest, scored with MASE (Hyndman &
Koehler 2006): mean absolute error divided by the in-sample mean absolute error of the seasonal
naive forecast, so 1.0 means "as good as repeating the last season". All methods run on a
(series, periods) matrix at once: the only loop is over time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

METHODS: tuple[str, ...] = ("croston", "sba", "tsb", "seasonal_naive")


def _croston_state(y: np.ndarray, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """Smoothed demand size z and interval p after the last period (NaN if never sold)."""
    s = y.shape[0]
    z = np.full(s, np.nan)
    p = np.full(s, np.nan)
    since = np.zeros(s)
    for t in range(y.shape[1]):
        since += 1.0
        demand = y[:, t] > 0
        first = demand & np.isnan(z)
        later = demand & ~first
        z[first], p[first] = y[first, t], since[first]
        z[later] += alpha * (y[later, t] - z[later])
        p[later] += alpha * (since[later] - p[later])
        since[demand] = 0.0
    return z, p


def croston(y: npt.ArrayLike, horizon: int, alpha: float = 0.1, *, sba: bool = False) -> np.ndarray:
    """Croston (or with ``sba`` the Syntetos-Boylan approximation) flat forecast.

    ``y`` is one series or a (series, periods) matrix; returns (..., horizon).
    """
    y2 = np.atleast_2d(np.asarray(y, dtype=float))
    z, p = _croston_state(y2, alpha)
    level = np.where(np.isnan(z), 0.0, z / np.where(np.isnan(p), 1.0, p))
    if sba:
        level *= 1.0 - alpha / 2.0
    return _shape_like(y, np.repeat(level[:, None], horizon, axis=1))


def tsb(y: npt.ArrayLike, horizon: int, alpha: float = 0.1, beta: float = 0.1) -> np.ndarray:
    """Teunter-Syntetos-Babai forecast: smoothed probability x smoothed size."""
    y2 = np.atleast_2d(np.asarray(y, dtype=float))
    s = y2.shape[0]
    z = np.full(s, np.nan)
    prob = np.full(s, np.nan)
    since = np.zeros(s)
    for t in range(y2.shape[1]):
        since += 1.0
        demand = y2[:, t] > 0
        started = ~np.isnan(prob)
        prob[started] += beta * (demand[started] - prob[started])
        first = demand & ~started
        later = demand & started
        z[first], prob[first] = y2[first, t], 1.0 / since[first]
        z[later] += alpha * (y2[later, t] - z[later])
        since[demand] = 0.0
    level = np.where(np.isnan(z), 0.0, z * prob)
    return _shape_like(y, np.repeat(level[:, None], horizon, axis=1))


def seasonal_naive(y: npt.ArrayLike, horizon: int, season_length: int = 1) -> np.ndarray:
    """Repeat the last ``season_length`` periods (the last value when m = 1)."""
    y2 = np.atleast_2d(np.asarray(y, dtype=float))
    m = min(season_length, y2.shape[1])
    if m == 0:
        return _shape_like(y, np.zeros((y2.shape[0], horizon)))
    last = y2[:, -m:]
    return _shape_like(y, last[:, np.arange(horizon) % m])


def mase_scale(y: npt.ArrayLike, season_length: int = 1) -> np.ndarray:
    """In-sample MAE of the seasonal naive forecast (NaN when it is 0 or undefined)."""
    y2 = np.atleast_2d(np.asarray(y, dtype=float))
    m = season_length
    if y2.shape[1] <= m:
        return _shape_like(y, np.full(y2.shape[0], np.nan))
    scale = np.mean(np.abs(y2[:, m:] - y2[:, :-m]), axis=1)
    return _shape_like(y, np.where(scale > 0, scale, np.nan))


def _shape_like(y: npt.ArrayLike, out: np.ndarray) -> np.ndarray:
    return out[0] if np.ndim(y) == 1 else out


def _run(method: str, y: np.ndarray, horizon: int, m: int, alpha: float, beta: float) -> np.ndarray:
    if method == "croston":
        return croston(y, horizon, alpha)
    if method == "sba":
        return croston(y, horizon, alpha, sba=True)
    if method == "tsb":
        return tsb(y, horizon, alpha, beta)
    if method == "seasonal_naive":
        return seasonal_naive(y, horizon, m)
    raise ValueError(f"unknown method {method!r}; use one of {METHODS}")


@dataclass(frozen=True)
class ForecastResult:
    """Chosen method, its forecast, and every candidate's backtest MASE and forecast."""

    method: str
    forecast: np.ndarray
    mase: dict[str, float]
    candidates: dict[str, np.ndarray]


def backtest_mase(
    y: npt.ArrayLike,
    horizon: int,
    *,
    season_length: int = 1,
    origins: int = 4,
    alpha: float = 0.1,
    beta: float = 0.1,
    methods: Sequence[str] = METHODS,
) -> dict[str, np.ndarray]:
    """Rolling-origin MASE per method and series, averaged over the last ``origins`` origins.

    Origin o trains on periods [0, o) and scores periods [o, o + horizon). Origins whose
    training part has a zero or undefined MASE scale are skipped (NaN if all are).
    """
    y2 = np.atleast_2d(np.asarray(y, dtype=float))
    n = y2.shape[1]
    last = n - horizon
    first = max(last - origins + 1, season_length + 1)
    result: dict[str, np.ndarray] = {}
    for method in methods:
        total = np.zeros(y2.shape[0])
        count = np.zeros(y2.shape[0])
        for o in range(first, last + 1):
            train, test = y2[:, :o], y2[:, o : o + horizon]
            scale = mase_scale(train, season_length)
            pred = _run(method, train, horizon, season_length, alpha, beta)
            err = np.mean(np.abs(test - pred), axis=1)
            ok = np.isfinite(scale)
            total[ok] += err[ok] / scale[ok]
            count[ok] += 1
        with np.errstate(invalid="ignore"):
            result[method] = np.where(count > 0, total / np.maximum(count, 1), np.nan)
    return result


def forecast_demand(
    y: npt.ArrayLike,
    horizon: int,
    *,
    season_length: int = 1,
    origins: int = 4,
    alpha: float = 0.1,
    beta: float = 0.1,
    methods: Sequence[str] = METHODS,
) -> ForecastResult | list[ForecastResult]:
    """Forecast one series (or each row of a matrix) with the method of lowest backtest MASE.

    Ties and series with no usable backtest fall back to the first method in ``methods``.
    """
    y2 = np.atleast_2d(np.asarray(y, dtype=float))
    scores = backtest_mase(
        y2,
        horizon,
        season_length=season_length,
        origins=origins,
        alpha=alpha,
        beta=beta,
        methods=methods,
    )
    forecasts = {m: _run(m, y2, horizon, season_length, alpha, beta) for m in methods}
    table = np.column_stack([scores[m] for m in methods])
    filled = np.where(np.isnan(table), np.inf, table)
    best = np.argmin(filled, axis=1)
    results = [
        ForecastResult(
            method=methods[b],
            forecast=forecasts[methods[b]][i],
            mase={m: float(scores[m][i]) for m in methods},
            candidates={m: forecasts[m][i] for m in methods},
        )
        for i, b in enumerate(best)
    ]
    return results[0] if np.ndim(y) == 1 else results
