"""Per-customer summary (frequency, recency, age, monetary value) from raw transactions.

This is the input of every buy-till-you-die model. It is computed at daily grain: several
transactions of one customer on one day are one purchase (amounts summed), as in Fader, Hardie
& Lee's CDNOW data, and durations are exact day counts divided by the unit, never rounded to it
(rounding to whole weeks would move every customer's recency and age and bias the fit).

Vectorised: one sort of a combined (customer, day) key, then ``bincount`` and index arithmetic,
so 10^7 transactions take a few seconds and memory is a few arrays of that length.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TypeAlias

import numpy as np
import numpy.typing as npt

#: One calendar day as the functions take it: an ISO string, a date, or a datetime64.
DateLike: TypeAlias = str | dt.date | np.datetime64

UNITS: dict[str, float] = {"day": 1.0, "week": 7.0, "month": 365.25 / 12.0}


def unit_days(unit: str | float) -> float:
    """Length of a time unit in days ("day", "week", "month" = 365.25/12 days, or a number)."""
    if isinstance(unit, str):
        try:
            return UNITS[unit]
        except KeyError:
            raise ValueError(f"unknown unit {unit!r}; use one of {sorted(UNITS)}") from None
    days = float(unit)
    if days <= 0:
        raise ValueError("unit must be a positive number of days")
    return days


def to_days(dates: npt.ArrayLike) -> np.ndarray:
    """Dates (datetime64 of any precision, ISO strings, ``date`` objects) as int64 day numbers."""
    arr = np.asarray(dates)
    if arr.dtype.kind != "M":
        arr = arr.astype("datetime64[D]")
    return arr.astype("datetime64[D]").astype(np.int64)


def day_number(value: DateLike) -> int:
    """One date as its int64 day number (days since 1970-01-01), the day it falls on."""
    if isinstance(value, np.datetime64):  # of any precision: truncated to its day
        return int(value.astype("datetime64[D]").astype(np.int64))
    return int(np.datetime64(value, "D").astype(np.int64))


@dataclass(frozen=True)
class CustomerSummary:
    """One row per customer whose first purchase is on or before the calibration end.

    ``frequency`` counts repeat purchase days, ``recency`` (t_x) is first to last purchase,
    ``T`` is first purchase to calibration end, both in ``unit``. ``monetary_value`` and
    ``margin`` are means over repeat purchase days (the first purchase is excluded because
    the Gamma-Gamma model describes repeat spend); they are 0 when ``frequency`` is 0.
    Holdout fields describe purchases after the calibration end, up to the observation end.
    """

    customer: np.ndarray
    frequency: np.ndarray
    recency: np.ndarray
    T: np.ndarray
    monetary_value: np.ndarray
    first_purchase: np.ndarray
    last_purchase: np.ndarray
    unit_days: float
    margin: np.ndarray | None = None
    frequency_holdout: np.ndarray | None = None
    monetary_value_holdout: np.ndarray | None = None
    duration_holdout: float | None = None

    def __len__(self) -> int:
        return int(self.customer.shape[0])

    @property
    def time_since_last(self) -> np.ndarray:
        """Time from the last purchase to the calibration end (the "R" of RFM; lower is better)."""
        return self.T - self.recency


def customer_summary(
    customer_ids: npt.ArrayLike,
    dates: npt.ArrayLike,
    amounts: npt.ArrayLike,
    margins: npt.ArrayLike | None = None,
    *,
    unit: str | float = "week",
    calibration_end: DateLike | None = None,
    observation_end: DateLike | None = None,
) -> CustomerSummary:
    """Summarise transactions per customer for the buy-till-you-die models.

    ``calibration_end`` closes the fitting period (defaults to ``observation_end``); purchases
    after it and up to ``observation_end`` (defaults to the last transaction date) form the
    holdout, reported only when the two dates differ. Transactions after ``observation_end``
    are ignored; customers whose first purchase is after ``calibration_end`` are left out, as
    the models condition on a first purchase inside the calibration period.
    """
    ids = np.asarray(customer_ids)
    day = to_days(dates)
    amount = np.asarray(amounts, dtype=float)
    margin = None if margins is None else np.asarray(margins, dtype=float)
    if not (ids.shape == day.shape == amount.shape) or (
        margin is not None and margin.shape != ids.shape
    ):
        raise ValueError("customer_ids, dates, amounts (and margins) must have the same length")
    if ids.ndim != 1:
        raise ValueError("inputs must be one-dimensional")
    u = unit_days(unit)

    if day.size == 0:
        obs_end = day_number(observation_end) if observation_end is not None else 0
    else:
        obs_end = day_number(observation_end) if observation_end is not None else int(day.max())
    cal_end = day_number(calibration_end) if calibration_end is not None else obs_end
    if cal_end > obs_end:
        raise ValueError("calibration_end must not be after observation_end")
    keep = day <= obs_end
    if not keep.all():
        ids, day, amount = ids[keep], day[keep], amount[keep]
        margin = None if margin is None else margin[keep]

    # Customer codes: integer ids are used directly (one sort in all); others are coded first.
    if ids.dtype.kind in "iu" and ids.size:
        lo = int(ids.min())
        code = ids.astype(np.int64) - lo
        labels = None
    else:
        labels, code = np.unique(ids, return_inverse=True)
        code = code.astype(np.int64).ravel()
        lo = 0
    d0 = int(day.min()) if day.size else 0
    span = (int(day.max()) - d0 + 1) if day.size else 1
    if code.size and int(code.max()) > (np.iinfo(np.int64).max // span) - 1:
        labels, code = np.unique(ids, return_inverse=True)
        code, lo = code.astype(np.int64).ravel(), 0
    key = code * span + (day - d0)

    # Distinct customer-days, sorted by customer then day; daily amounts summed.
    ukey, inv = np.unique(key, return_inverse=True)
    inv = inv.ravel()
    daily_amount = np.bincount(inv, weights=amount, minlength=ukey.size)
    daily_margin = None if margin is None else np.bincount(inv, weights=margin, minlength=ukey.size)
    # Returns are netted per customer and day: a day whose amounts include a return and net
    # to 0 or less (and any day netting below 0) is not a purchase. Zero-amount days without a
    # return (free orders, CDNOW's $0 rows) still are.
    returned = np.bincount(inv, weights=(amount < 0).astype(float), minlength=ukey.size) > 0
    purchase = ~((daily_amount < 0) | (returned & (daily_amount <= 0)))
    if not purchase.all():
        ukey, daily_amount = ukey[purchase], daily_amount[purchase]
        daily_margin = None if daily_margin is None else daily_margin[purchase]
    cust, dday = np.divmod(ukey, span)
    dday += d0

    # Calibration rows of customers acquired by the calibration end.
    cal = dday <= cal_end
    c_cust, c_day, c_amt = cust[cal], dday[cal], daily_amount[cal]
    starts = np.flatnonzero(np.r_[True, c_cust[1:] != c_cust[:-1]]) if c_cust.size else c_cust
    ends = np.r_[starts[1:], c_cust.size].astype(np.int64) if starts.size else starts
    frequency = (ends - starts - 1).astype(np.int64)
    first = c_day[starts]
    last = c_day[ends - 1]
    reps = np.maximum(frequency, 1)
    monetary = np.where(frequency > 0, (_group_sum(c_amt, starts) - c_amt[starts]) / reps, 0.0)
    mean_margin = None
    if daily_margin is not None:
        c_mgn = daily_margin[cal]
        repeat_margin = _group_sum(c_mgn, starts) - c_mgn[starts]
        mean_margin = np.where(frequency > 0, repeat_margin / reps, 0.0)

    customers_code = c_cust[starts]
    customer = customers_code + lo if labels is None else labels[customers_code]
    if labels is None:
        customer = customer.astype(np.asarray(customer_ids).dtype)

    freq_h = value_h = duration_h = None
    if obs_end > cal_end:
        hold_cust = cust[~cal]
        idx = np.minimum(np.searchsorted(customers_code, hold_cust), customers_code.size - 1)
        # Keep only customers acquired by the calibration end.
        known = (
            customers_code[idx] == hold_cust if customers_code.size else np.zeros(idx.size, bool)
        )
        hold = np.flatnonzero(~cal)[known]
        idx = idx[known]
        freq_h = np.bincount(idx, minlength=customers_code.size).astype(np.int64)
        amount_h = np.bincount(idx, weights=daily_amount[hold], minlength=customers_code.size)
        value_h = np.where(freq_h > 0, amount_h / np.maximum(freq_h, 1), 0.0)
        duration_h = (obs_end - cal_end) / u

    return CustomerSummary(
        customer=customer,
        frequency=frequency,
        recency=(last - first) / u,
        T=(cal_end - first) / u,
        monetary_value=monetary,
        first_purchase=first.astype("datetime64[D]"),
        last_purchase=last.astype("datetime64[D]"),
        unit_days=u,
        margin=mean_margin,
        frequency_holdout=freq_h,
        monetary_value_holdout=value_h,
        duration_holdout=duration_h,
    )


def _group_sum(values: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Sums of consecutive groups beginning at ``starts`` (empty-safe ``np.add.reduceat``)."""
    if values.size == 0:
        return np.zeros(0)
    return np.add.reduceat(values, starts)
