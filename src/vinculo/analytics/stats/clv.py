"""Customer lifetime value.

Three views, from the most to the least data-hungry:

* :func:`customer_lifetime_value` - the model-based net present value: for each future period
  k = 1..K, expected purchases in that period (from BG/NBD, MBG/NBD or Pareto/NBD, conditional
  on the customer's history) x expected spend per purchase (Gamma-Gamma) x margin rate,
  discounted by (1 + d)^k.
* :func:`simple_clv` - the textbook constant-margin, constant-retention formula
  m (1 + d) / (1 + d - r) (margin received at the start of each period), or its K-period sum.
* :func:`historical_clv` - what each customer has already contributed (sum of past margin),
  optionally compounded to today's money.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np
import numpy.typing as npt

from vinculo.analytics.stats._mle import FloatArray, as_float_arrays, compress
from vinculo.analytics.stats.summary import DateLike, day_number, to_days


class TransactionModel(Protocol):
    """A purchase model with P(alive) and the expectation for an alive customer (BGNBD,
    MBGNBD, ParetoNBD); their product is the conditional expectation."""

    def probability_alive(
        self, frequency: npt.ArrayLike, recency: npt.ArrayLike, T: npt.ArrayLike
    ) -> FloatArray: ...

    def expected_purchases_if_alive(
        self, t: npt.ArrayLike, frequency: npt.ArrayLike, T: npt.ArrayLike
    ) -> FloatArray: ...


def expected_purchases_by_period(
    model: TransactionModel,
    frequency: npt.ArrayLike,
    recency: npt.ArrayLike,
    T: npt.ArrayLike,
    *,
    periods: int,
    period_length: float = 1.0,
) -> FloatArray:
    """Expected purchases in each of the next ``periods`` periods, shape (customers, periods).

    ``period_length`` is in the model's time unit (e.g. 365.25 / 12 / 7 for months when the
    model was fitted in weeks).
    """
    alive, per_period, inverse = _by_period(model, frequency, recency, T, periods, period_length)
    return alive[:, None] * per_period[inverse]


def _by_period(
    model: TransactionModel,
    frequency: npt.ArrayLike,
    recency: npt.ArrayLike,
    T: npt.ArrayLike,
    periods: int,
    period_length: float,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """P(alive) per customer, and per distinct (x, T) the expected purchases in each period
    if alive (with each customer's row in it): E[Y] = P(alive) E[Y | alive], and the second
    factor does not depend on t_x, so the hypergeometric work is per (x, T), not per customer."""
    x, tx, TT = (np.atleast_1d(a).ravel() for a in as_float_arrays(frequency, recency, T))
    alive = model.probability_alive(x, tx, TT)
    pairs = compress(None, x, TT)
    ux, uT = pairs.columns
    grid = period_length * np.arange(periods + 1, dtype=float)
    cumulative = model.expected_purchases_if_alive(grid[None, :], ux[:, None], uT[:, None])
    # Expected cumulative purchases never decrease; clip rounding noise at zero.
    return alive, np.maximum(np.diff(cumulative, axis=1), 0.0), pairs.inverse


def customer_lifetime_value(
    model: TransactionModel,
    frequency: npt.ArrayLike,
    recency: npt.ArrayLike,
    T: npt.ArrayLike,
    expected_spend: npt.ArrayLike,
    *,
    margin: npt.ArrayLike = 1.0,
    periods: int = 12,
    period_length: float = 1.0,
    discount_rate: float = 0.01,
) -> FloatArray:
    """Net present value of expected margin over ``periods`` future periods.

    CLV = sum_k E[purchases in period k] x expected_spend x margin / (1 + discount_rate)^k,
    with ``discount_rate`` per period and ``margin`` a rate (scalar or per customer).
    """
    if discount_rate <= -1:
        raise ValueError("discount_rate must be > -1")
    alive, per_period, inverse = _by_period(model, frequency, recency, T, periods, period_length)
    discount = (1.0 + discount_rate) ** -np.arange(1, periods + 1, dtype=float)
    value = np.ravel(np.asarray(expected_spend, dtype=float) * np.asarray(margin, dtype=float))
    return alive * (per_period @ discount)[inverse] * value


def simple_clv(
    margin: npt.ArrayLike,
    retention: npt.ArrayLike,
    discount_rate: npt.ArrayLike,
    periods: int | None = None,
) -> FloatArray:
    """Constant margin m per period, retention r, discount d (margin at the start of a period).

    Infinite horizon: m (1 + d) / (1 + d - r); finite: m sum_{k<K} (r / (1 + d))^k.
    """
    m, r, d = as_float_arrays(margin, retention, discount_rate)
    if periods is None:
        return m * (1.0 + d) / (1.0 + d - r)
    q = r / (1.0 + d)
    k = np.arange(periods, dtype=float)
    return m * np.sum(q[..., None] ** k, axis=-1)


def historical_clv(
    customer_ids: npt.ArrayLike,
    margins: npt.ArrayLike,
    *,
    dates: npt.ArrayLike | None = None,
    as_of: DateLike | None = None,
    annual_rate: float = 0.0,
) -> tuple[np.ndarray, FloatArray]:
    """Past margin per customer, each amount compounded to ``as_of`` at ``annual_rate``.

    Returns ``(customers, value)``. With the default rate of 0 this is the plain sum of margin.
    """
    ids = np.asarray(customer_ids)
    amount = np.asarray(margins, dtype=float)
    if annual_rate and dates is not None:
        day = to_days(dates)
        ref = day_number(as_of) if as_of is not None else day.max()
        amount = amount * (1.0 + annual_rate) ** ((ref - day) / 365.25)
    customers, inverse = np.unique(ids, return_inverse=True)
    # NumPy's stub types bincount as integer even with float weights, where it returns float64.
    value = np.bincount(inverse.ravel(), weights=amount, minlength=customers.size)
    return customers, value  # type: ignore[return-value]
