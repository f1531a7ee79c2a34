"""Period retention/churn and cohort retention matrices from purchase dates.

A customer is "active" in a period if they bought in it. Retention in period p is the share of
period p-1's active customers who are active again in p; churn is its complement. The cohort
matrix follows each acquisition cohort (period of first purchase) k periods later; cells that
have not elapsed yet are NaN, because "no data yet" is not "0 % retained".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from vinculo.analytics.stats.summary import DateLike, day_number, to_days

FREQUENCIES = ("week", "month", "quarter", "year")


def period_index(dates: npt.ArrayLike, freq: str = "month") -> np.ndarray:
    """Integer period number of each date (weeks start on Monday)."""
    days = to_days(dates)
    if freq == "week":
        return (days + 3) // 7  # 1970-01-01 was a Thursday; day -3 is a Monday
    months = days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    if freq == "month":
        return months
    if freq == "quarter":
        return months // 3
    if freq == "year":
        return months // 12
    raise ValueError(f"freq must be one of {FREQUENCIES}")


def period_start(index: npt.ArrayLike, freq: str = "month") -> np.ndarray:
    """First day of each period number from :func:`period_index`."""
    i = np.asarray(index, dtype=np.int64)
    if freq == "week":
        return (i * 7 - 3).astype("datetime64[D]")
    months = {"month": 1, "quarter": 3, "year": 12}[freq] * i
    return months.astype("datetime64[M]").astype("datetime64[D]")


def _active_pairs(
    customer_ids: npt.ArrayLike, dates: npt.ArrayLike, freq: str
) -> tuple[np.ndarray, np.ndarray, int, int]:
    """Distinct (customer code, period) pairs, sorted, plus the first period overall."""
    _, code = np.unique(np.asarray(customer_ids), return_inverse=True)
    period = period_index(dates, freq)
    if period.size == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, 0, 0
    p0 = int(period.min())
    span = int(period.max()) - p0 + 1
    pairs = np.unique(code.ravel().astype(np.int64) * span + (period - p0))
    return pairs // span, pairs % span, p0, span


@dataclass(frozen=True)
class PeriodRetention:
    """Per period: active customers, retained from the previous period, rates."""

    period: np.ndarray
    active: np.ndarray
    retained: np.ndarray
    retention_rate: np.ndarray
    churn_rate: np.ndarray


def period_retention(
    customer_ids: npt.ArrayLike, dates: npt.ArrayLike, freq: str = "month"
) -> PeriodRetention:
    """Retention and churn per period; the first period's rates are NaN (no previous period)."""
    cust, per, p0, span = _active_pairs(customer_ids, dates, freq)
    active = np.bincount(per, minlength=span)
    prev_active = np.zeros(per.size, dtype=bool)
    prev_active[1:] = (cust[1:] == cust[:-1]) & (per[1:] == per[:-1] + 1)
    retained = np.bincount(per[prev_active], minlength=span)
    before = np.r_[0, active[:-1]]
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(before > 0, retained / np.maximum(before, 1), np.nan)
    return PeriodRetention(
        period=period_start(np.arange(span) + p0, freq),
        active=active,
        retained=retained,
        retention_rate=rate,
        churn_rate=1.0 - rate,
    )


@dataclass(frozen=True)
class CohortRetention:
    """``rate[i, k]``: share of cohort i active k periods after acquisition (NaN: not elapsed)."""

    cohort: np.ndarray
    size: np.ndarray
    active: np.ndarray
    rate: np.ndarray


def cohort_retention(
    customer_ids: npt.ArrayLike,
    dates: npt.ArrayLike,
    freq: str = "month",
    *,
    observation_end: DateLike | None = None,
) -> CohortRetention:
    """Acquisition cohort x periods-since-acquisition retention matrix.

    The last elapsed period is the one containing ``observation_end`` (default: last date).
    """
    cust, per, p0, span = _active_pairs(customer_ids, dates, freq)
    last = span - 1
    if observation_end is not None:
        last = int(period_index(day_number(observation_end), freq)) - p0
    first_rows = np.r_[True, cust[1:] != cust[:-1]] if cust.size else np.zeros(0, dtype=bool)
    cohort_of_row = per[first_rows][np.cumsum(first_rows) - 1]
    n = max(last + 1, span)
    counts = np.bincount(cohort_of_row * n + (per - cohort_of_row), minlength=n * n)
    counts = counts.reshape(n, n)
    sizes = counts[:, 0]
    keep = np.flatnonzero(sizes > 0)
    counts, sizes = counts[keep], sizes[keep]
    ages = np.arange(n)
    elapsed = keep[:, None] + ages[None, :] <= last
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(elapsed, counts / sizes[:, None], np.nan)
    width = int(max(last - keep.min() + 1, 1)) if keep.size else 0
    return CohortRetention(
        cohort=period_start(keep + p0, freq),
        size=sizes,
        active=np.where(elapsed, counts, 0)[:, :width],
        rate=rate[:, :width],
    )
