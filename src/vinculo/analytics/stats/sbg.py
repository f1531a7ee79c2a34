"""Shifted-beta-geometric (sBG) model of contractual retention (Fader & Hardie 2007, 2010).

Contract customers either renew at the end of each period or leave. Each customer's churn
probability θ is constant over time and θ ~ Beta(γ, δ) across customers: the heterogeneous
cohort version of the (shifted) geometric, and the reason an observed cohort's retention rate
rises with tenure (the customers most likely to churn leave first) although no individual's
does. With B the Beta function,

    P(T = t) = B(γ+1, δ+t−1) / B(γ, δ)       (churn at the end of period t, t = 1, 2, …)
    S(t)     = B(γ, δ+t) / B(γ, δ)           (still a customer after t renewal decisions)
    r(t)     = S(t) / S(t−1) = (δ+t−1) / (γ+δ+t−1)   (retention rate of period t)

It is fitted either on a cohort's survivor counts (the published examples) or on one row per
customer (periods observed and whether the customer churned or is still a customer, i.e.
right-censored), which is what contract data gives. Two parameters, a closed-form likelihood in
log space; Newton's method on a finite-difference Hessian, at most 100 steps, then L-BFGS-B in
the box ``|log parameter| < 20``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Self

import numpy as np
import numpy.typing as npt
from scipy.special import betaln

from vinculo.analytics.stats._mle import FloatArray, as_float_arrays, fit_newton, numerical_fgh
from vinculo.analytics.stats._special import hyp2f1


@dataclass(frozen=True)
class ShiftedBetaGeometric:
    """sBG model; ``ShiftedBetaGeometric.fit_survivors([1000, 631, …])`` fits a cohort."""

    gamma: float
    delta: float
    log_likelihood: float = field(default=float("nan"), compare=False)

    @property
    def params(self) -> dict[str, float]:
        return {"gamma": self.gamma, "delta": self.delta}

    # --- fitting --------------------------------------------------------------------------

    @classmethod
    def fit_survivors(cls, survivors: npt.ArrayLike) -> Self:
        """Fit on one cohort's customers still active at the start of periods 0, 1, … T.

        ``survivors[0]`` is the cohort size; those still there at the end are censored at T.
        """
        s = np.asarray(survivors, dtype=float).ravel()
        if s.size < 2:
            raise ValueError("survivors needs the cohort size and at least one later count")
        if (not np.all(np.isfinite(s)) or np.any(s < 0) or np.any(np.diff(s) > 0)
                or not s[0] > 0):
            raise ValueError("survivors must be finite counts that never increase, starting "
                             "with a positive cohort size")
        periods = np.arange(1, s.size, dtype=float)
        churned = -np.diff(s)
        durations = np.concatenate([periods, [periods[-1]]])
        weights = np.concatenate([churned, [s[-1]]])
        is_churn = np.concatenate([np.ones(periods.size, bool), [False]])
        return cls.fit(durations, is_churn, weights)

    @classmethod
    def fit(
        cls,
        periods: npt.ArrayLike,
        churned: npt.ArrayLike,
        weights: npt.ArrayLike | None = None,
    ) -> Self:
        """Fit on one row per customer (or per group, with ``weights``): ``periods`` observed
        (≥ 1) and whether the customer ``churned`` at the end of the last of them (else still a
        customer: censored). Customers of several cohorts, observed for different lengths,
        are fitted together."""
        t, c = as_float_arrays(periods, churned)
        t, c = np.atleast_1d(t).ravel(), np.atleast_1d(c).ravel().astype(bool)
        w = np.ones_like(t) if weights is None else np.asarray(weights, dtype=float).ravel()
        if t.size == 0 or w.shape != t.shape:
            raise ValueError("periods, churned and weights need one value per row")
        if not np.all(np.isfinite(t)) or np.any(t < 1) or np.any(t != np.floor(t)):
            raise ValueError("periods must be whole numbers >= 1")
        if np.any(~np.isfinite(w)) or np.any(w < 0) or not w.sum() > 0:
            raise ValueError("weights must be >= 0 and not all zero")
        if not np.any(w[c] > 0):
            raise ValueError("nobody churned: the churn probabilities are not identified")
        if not np.any(w[~c] > 0) and not np.any(w[c & (t > 1)] > 0):
            raise ValueError("everybody churned after one period: the churn probabilities "
                             "are not identified")
        total = float(w.sum())

        def objective(theta: FloatArray) -> float:
            g, d = np.exp(theta)
            ll = np.where(c, betaln(g + 1, d + t - 1), betaln(g, d + t)) - betaln(g, d)
            value = -float(w @ ll) / total
            return value if np.isfinite(value) else np.inf

        theta, value = fit_newton(numerical_fgh(objective, 1e-4), np.zeros(2))
        g, d = np.exp(theta)
        return cls(float(g), float(d), log_likelihood=-value * total)

    def log_likelihood_rows(self, periods: npt.ArrayLike, churned: npt.ArrayLike) -> FloatArray:
        """Each row's log-likelihood (the columns of :meth:`fit`): what
        ``uncertainty.parameter_uncertainty`` differentiates for the standard errors."""
        t, c = as_float_arrays(periods, churned)
        g, d = self.gamma, self.delta
        return np.where(c.astype(bool), betaln(g + 1, d + t - 1), betaln(g, d + t)) - betaln(g, d)

    # --- predictions ---------------------------------------------------------------------

    def churn_probability(self, t: npt.ArrayLike) -> FloatArray:
        """P(T = t): a new customer churns at the end of period t."""
        (t,) = as_float_arrays(t)
        return np.exp(betaln(self.gamma + 1, self.delta + t - 1) - betaln(self.gamma, self.delta))

    def survival(self, t: npt.ArrayLike) -> FloatArray:
        """S(t): share of a new cohort still customers after t renewal decisions (S(0) = 1)."""
        (t,) = as_float_arrays(t)
        return np.exp(betaln(self.gamma, self.delta + t) - betaln(self.gamma, self.delta))

    def retention_rate(self, t: npt.ArrayLike) -> FloatArray:
        """r(t) = S(t) / S(t−1): share of period t−1's customers who renew in period t."""
        (t,) = as_float_arrays(t)
        return (self.delta + t - 1) / (self.gamma + self.delta + t - 1)

    def derl(self, discount_rate: float, renewals: npt.ArrayLike = 0) -> FloatArray:
        """Discounted expected residual lifetime, in payments (Fader & Hardie 2010, eq. 6).

        For a customer who has just paid and has renewed ``renewals`` times (0: a new
        customer, n − 1 in the paper): Σ_{t≥n} S(t)/S(n−1) · (1+d)^−(t−n), i.e. the next
        payments, the first undiscounted, each weighted by the chance of still being a
        customer, in closed form

            (δ+n−1)/(γ+δ+n−1) · 2F1(1, δ+n; γ+δ+n; 1/(1+d)).

        The posterior of θ after n − 1 renewals is Beta(γ, δ+n−1): long-standing customers
        are worth more, which a single retention rate cannot show. Multiply by the margin per
        period to get the customer's residual value.
        """
        if not discount_rate > 0:
            raise ValueError("discount_rate must be positive (the sum diverges otherwise)")
        (k,) = as_float_arrays(renewals)
        if np.any(k < 0):
            raise ValueError("renewals must be >= 0")
        g, d = self.gamma, self.delta
        n = k + 1
        return (d + n - 1) / (g + d + n - 1) * hyp2f1(1.0, d + n, g + d + n,
                                                       1.0 / (1.0 + discount_rate))

    def expected_lifetime_value(self, discount_rate: float) -> float:
        """DEL: a new customer's discounted expected lifetime in payments, the first payment
        included (Fader & Hardie 2010: 2F1(1, δ; γ+δ; 1/(1+d)))."""
        return float(1.0 + self.derl(discount_rate, 0) / (1.0 + discount_rate))
