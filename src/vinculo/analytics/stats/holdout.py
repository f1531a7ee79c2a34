"""Calibration/holdout validation: which purchase model predicts this business best?

Split the history at a date, fit each model on the calibration period, predict every
customer's purchases in the holdout period from their calibration (x, t_x, T), and compare
with what they did. Reported as in the papers (Fader, Hardie & Lee 2005, Figure 5): customers
grouped by their repeat purchases in calibration (0, 1, … 7+), the average holdout purchases
per group, actual and per model; and per model the mean absolute error of the per-customer
predictions and their correlation with the actual counts. The model with the smallest mean
absolute error is the one to use (ties go to the higher correlation); the likelihood of the
calibration fit says how well a model describes the past, this says how well it predicts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from vinculo.analytics.stats.bgnbd import BGNBD, MBGNBD
from vinculo.analytics.stats.pareto import ParetoNBD

#: The models compared, by key, with their fitters and their names in the papers.
MODELS: dict[str, tuple[str, Callable[..., Any]]] = {
    "bg_nbd": ("BG/NBD", BGNBD.fit),
    "mbg_nbd": ("MBG/NBD", MBGNBD.fit),
    "pareto_nbd": ("Pareto/NBD", ParetoNBD.fit),
}
#: Calibration repeat purchases grouped as 0, 1, … MAX_BUCKET - 1, MAX_BUCKET+ (the papers'
#: 0..7+ chart).
MAX_BUCKET = 7
#: A fitted parameter above this means the calibration data did not identify the model (no
#: heterogeneity or no drop-out visible); its predictions are meaningless and slow to compute.
DEGENERATE = 1e5


@dataclass(frozen=True)
class HoldoutComparison:
    """Actual versus predicted holdout purchases, per calibration-frequency bucket and overall.

    ``predicted``, ``mae``, ``correlation`` and ``total_predicted`` are keyed by model key;
    models that could not be fitted are in ``errors`` instead. ``best`` is the key of the
    model with the smallest mean absolute error (``None`` when none could be fitted).
    """

    duration: float
    buckets: list[str]
    customers: list[int]
    actual: list[float]
    predicted: dict[str, list[float]]
    mae: dict[str, float]
    correlation: dict[str, float | None]
    total_actual: float
    total_predicted: dict[str, float]
    best: str | None
    errors: dict[str, str] = field(default_factory=dict)
    parameters: dict[str, dict[str, float]] = field(default_factory=dict)

    @property
    def reason(self) -> str:
        """Why ``best`` was chosen, in a sentence (English; the product translates its own)."""
        if self.best is None:
            return "no model could be fitted on the calibration period"
        others = sorted((k for k in self.mae if k != self.best), key=lambda k: self.mae[k])
        against = ", ".join(f"{self.mae[k]:.3f} ({MODELS[k][0]})" for k in others)
        text = (f"{MODELS[self.best][0]} predicts the holdout purchases best: mean absolute "
                f"error {self.mae[self.best]:.3f} per customer")
        return text + (f" against {against}" if against else "")

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data (stored on the run, printed by ``--json``)."""
        return {
            "duration": self.duration, "buckets": self.buckets, "customers": self.customers,
            "actual": self.actual, "predicted": self.predicted, "mae": self.mae,
            "correlation": self.correlation, "total_actual": self.total_actual,
            "total_predicted": self.total_predicted, "best": self.best,
            "reason": self.reason, "errors": self.errors, "parameters": self.parameters,
        }


def compare_holdout(
    frequency: npt.ArrayLike,
    recency: npt.ArrayLike,
    T: npt.ArrayLike,
    frequency_holdout: npt.ArrayLike,
    duration: float,
    *,
    models: Iterable[str] = ("bg_nbd", "mbg_nbd", "pareto_nbd"),
    fitted: Mapping[str, Any] | None = None,
) -> HoldoutComparison:
    """Fit ``models`` on the calibration summary (or take them from ``fitted``) and compare
    their predictions of ``frequency_holdout`` over the next ``duration`` time units.

    A model whose fit fails (``ValueError``, ``FloatingPointError``, ``LinAlgError`` or
    ``RuntimeError``) is reported in ``errors`` and left out of the comparison.
    """
    x = np.asarray(frequency, dtype=float).ravel()
    tx = np.asarray(recency, dtype=float).ravel()
    TT = np.asarray(T, dtype=float).ravel()
    actual = np.asarray(frequency_holdout, dtype=float).ravel()
    if not (x.size == tx.size == TT.size == actual.size):
        raise ValueError("frequency, recency, T and frequency_holdout need one value per "
                         "customer")
    if x.size == 0:
        raise ValueError("no customer made a purchase in the calibration period")
    if not duration > 0:
        raise ValueError("the holdout period must be longer than zero")
    if not (x > 0).any():
        raise ValueError("no customer bought twice in the calibration period: the models "
                         "need repeat purchases")
    bucket = np.minimum(x, MAX_BUCKET).astype(np.int64)
    counts = np.bincount(bucket, minlength=MAX_BUCKET + 1)
    present = np.flatnonzero(counts)
    labels = [f"{b}+" if b == MAX_BUCKET else str(b) for b in range(MAX_BUCKET + 1)]

    def by_bucket(values: np.ndarray) -> list[float]:
        sums = np.bincount(bucket, weights=values, minlength=MAX_BUCKET + 1)
        return [float(v) for v in sums[present] / counts[present]]

    predicted: dict[str, list[float]] = {}
    mae: dict[str, float] = {}
    corr: dict[str, float | None] = {}
    totals: dict[str, float] = {}
    errors: dict[str, str] = {}
    params: dict[str, dict[str, float]] = {}
    for key in models:
        if key not in MODELS:
            raise ValueError(f"unknown model {key!r}; use one of {sorted(MODELS)}")
        try:
            model = (fitted or {}).get(key) or MODELS[key][1](x, tx, TT)
            if max(model.params.values(), default=0.0) > DEGENERATE:
                raise ValueError("the fit is degenerate (a parameter runs off to infinity): "
                                 "the calibration period is too short or too regular")
            with np.errstate(all="ignore"):
                pred = np.asarray(model.conditional_expected_purchases(duration, x, tx, TT),
                                  dtype=float)
            if not np.all(np.isfinite(pred)):
                raise ValueError("its predictions are not finite numbers")
        except (ValueError, FloatingPointError, RuntimeError, np.linalg.LinAlgError) as exc:
            errors[key] = str(exc)
            continue
        params[key] = {k: float(v) for k, v in model.params.items()}
        predicted[key] = by_bucket(pred)
        mae[key] = float(np.mean(np.abs(pred - actual)))
        totals[key] = float(pred.sum())
        corr[key] = _correlation(pred, actual)
    best = min(mae, key=lambda k: (round(mae[k], 12), -(corr[k] or -1.0))) if mae else None
    return HoldoutComparison(
        duration=float(duration), buckets=[labels[b] for b in present],
        customers=[int(c) for c in counts[present]], actual=by_bucket(actual),
        predicted=predicted, mae=mae, correlation=corr, total_actual=float(actual.sum()),
        total_predicted=totals, best=best, errors=errors, parameters=params,
    )


def _correlation(a: np.ndarray, b: np.ndarray) -> float | None:
    """Pearson correlation, ``None`` when either side does not vary (undefined)."""
    if a.size < 2 or np.ptp(a) == 0 or np.ptp(b) == 0:
        return None
    return float(np.corrcoef(a, b)[0, 1])


def format_comparison(c: HoldoutComparison, unit: str) -> str:
    """The comparison as a plain-text table (the analyst command's output)."""
    keys = list(c.predicted)
    head = f"{'repeat purchases':<17}{'customers':>10}{'actual':>10}" + "".join(
        f"{MODELS[k][0]:>12}" for k in keys)
    out = [f"Holdout validation: purchases in the next {c.duration:.4g} {unit}s, by repeat "
           "purchases in calibration (average per customer)", head]
    for i, label in enumerate(c.buckets):
        out.append(f"{label:<17}{c.customers[i]:>10,}{c.actual[i]:>10.3f}"
                   + "".join(f"{c.predicted[k][i]:>12.3f}" for k in keys))
    out.append(f"{'total purchases':<17}{sum(c.customers):>10,}{c.total_actual:>10.0f}"
               + "".join(f"{c.total_predicted[k]:>12.0f}" for k in keys))
    out.append(f"{'MAE per customer':<37}" + "".join(f"{c.mae[k]:>12.4f}" for k in keys))
    out.append(f"{'correlation':<37}" + "".join(
        f"{c.correlation[k]:>12.4f}" if c.correlation[k] is not None else f"{'-':>12}"
        for k in keys))
    for key, error in c.errors.items():
        out.append(f"{MODELS[key][0]} could not be fitted: {error}")
    out.append(c.reason)
    return "\n".join(out)
