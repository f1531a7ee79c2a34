"""Vectorised simulators of the BG/NBD purchase process and Gamma-Gamma spend.

Used to check that the fitters recover known parameters and to benchmark them at scale.
No per-customer Python loop: every customer's repeat count comes from
min(Poisson(lambda T), Geometric(p)) and the purchase times from order statistics.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt


@dataclass(frozen=True)
class SimulatedTransactions:
    """Transaction log (customer index, date, amount) and the date the log ends."""

    customer: np.ndarray
    date: np.ndarray
    amount: np.ndarray
    observation_end: np.datetime64


def simulate_bgnbd(
    n: int,
    r: float,
    alpha: npt.ArrayLike,
    a: npt.ArrayLike,
    b: npt.ArrayLike,
    T: npt.ArrayLike,
    *,
    grain: float | None = None,
    rng: np.random.Generator | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Draw (frequency, recency, T) for ``n`` customers in continuous time.

    lambda ~ Gamma(r, rate alpha), p ~ Beta(a, b); the customer survives Geometric(p) repeat
    purchases (drops out right after the k-th); x = min(Poisson(lambda T), that number), and
    t_x is the x-th order statistic of the Poisson arrivals, T * Beta(x, n_arrivals - x + 1).
    ``alpha``, ``a`` and ``b`` may be one value per customer (see
    :func:`simulate_bgnbd_covariates`).
    With ``grain`` (e.g. 1/7 for days when the unit is weeks) t_x is rounded to that grid,
    as recorded data would be; pass T on the same grid.
    """
    rng = np.random.default_rng(rng)
    T = np.broadcast_to(np.asarray(T, dtype=float), (n,)).copy()
    lam = rng.gamma(r, 1.0 / np.asarray(alpha, dtype=float), n)
    p = rng.beta(np.asarray(a, dtype=float), np.asarray(b, dtype=float), n)
    lifetime_purchases = rng.geometric(np.clip(p, 1e-300, 1.0))
    arrivals = rng.poisson(lam * T)
    x = np.minimum(arrivals, lifetime_purchases)
    has = x > 0
    recency = np.zeros(n)
    recency[has] = T[has] * rng.beta(x[has], arrivals[has] - x[has] + 1)
    if grain:
        recency = np.minimum(np.round(recency / grain) * grain, T)
    return x.astype(np.int64), recency, T


def simulate_bgnbd_covariates(
    z: npt.ArrayLike,
    r: float,
    alpha0: float,
    a0: float,
    b0: float,
    T: npt.ArrayLike,
    *,
    purchase_effects: npt.ArrayLike | None = None,
    a_effects: npt.ArrayLike | None = None,
    b_effects: npt.ArrayLike | None = None,
    rng: np.random.Generator | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(frequency, recency, T) of customers with covariates ``z`` (n × k), drawn from the
    BG/NBD with covariates of :mod:`vinculo.analytics.stats.covariates`:
    α_i = α0 exp(−γ_pᵀ z_i), a_i = a0 exp(γ_aᵀ z_i), b_i = b0 exp(γ_bᵀ z_i)."""
    zz = np.asarray(z, dtype=float)
    zz = zz[:, None] if zz.ndim == 1 else zz
    k = zz.shape[1]

    def linear(effects: npt.ArrayLike | None) -> np.ndarray:
        return np.zeros(zz.shape[0]) if effects is None else zz @ np.resize(
            np.asarray(effects, dtype=float), k)

    alpha = alpha0 * np.exp(-linear(purchase_effects))
    a = a0 * np.exp(linear(a_effects))
    b = b0 * np.exp(linear(b_effects))
    return simulate_bgnbd(zz.shape[0], r, alpha, a, b, T, rng=rng)


def simulate_gamma_gamma(
    frequency: npt.ArrayLike,
    p: float,
    q: float,
    gamma: float,
    *,
    rng: np.random.Generator | None = None,
) -> np.ndarray:
    """Mean repeat spend for customers with the given repeat counts (0 where x = 0).

    nu ~ Gamma(q, rate gamma) per customer; the mean of x Gamma(p, rate nu) values is
    Gamma(p x, rate nu x), drawn directly.
    """
    rng = np.random.default_rng(rng)
    x = np.asarray(frequency, dtype=float)
    nu = rng.gamma(q, 1.0 / gamma, x.shape)
    has = x > 0
    out = np.zeros(x.shape)
    out[has] = rng.gamma(p * x[has], 1.0 / (nu[has] * x[has]))
    return out


def simulate_bgnbd_transactions(
    n: int,
    r: float,
    alpha: float,
    a: float,
    b: float,
    *,
    p: float = 6.0,
    q: float = 4.0,
    gamma: float = 15.0,
    start: str = "2024-01-01",
    acquisition_days: int = 84,
    observation_days: int = 365,
    unit_days: float = 7.0,
    rng: np.random.Generator | None = None,
) -> SimulatedTransactions:
    """A transaction log from BG/NBD purchasing (time unit ``unit_days``) and Gamma-Gamma spend.

    Customers are acquired uniformly over the first ``acquisition_days`` days; the log ends
    ``observation_days`` after ``start``. Times are rounded to the nearest day, so same-day
    purchases merge when the summary is built, as in real data; with heavy buyers this lowers
    their counted frequency, so expect a fit on this log to drift a few % from the truth.
    """
    rng = np.random.default_rng(rng)
    first = rng.integers(0, acquisition_days, n)
    T = (observation_days - first) / unit_days
    x, recency, _ = simulate_bgnbd(n, r, alpha, a, b, T, rng=rng)
    per = x + 1
    owner = np.repeat(np.arange(n), per)
    pos = np.arange(owner.size) - np.repeat(np.cumsum(per) - per, per)
    tx = recency[owner]
    t = np.where(pos == 0, 0.0, np.where(pos == x[owner], tx, rng.random(owner.size) * tx))
    day = first[owner] + np.rint(t * unit_days).astype(np.int64)
    nu = rng.gamma(q, 1.0 / gamma, n)
    amount = rng.gamma(p, 1.0 / nu[owner])
    start_day = np.datetime64(start, "D")
    return SimulatedTransactions(
        customer=owner,
        date=start_day + day,
        amount=amount,
        observation_end=start_day + observation_days,
    )
