"""Gamma-Gamma spend model (Fader, Hardie & Lee 2005, "RFM and CLV: Using Iso-Value Curves";
Fader & Hardie's note "The Gamma-Gamma Model of Monetary Value", 2013).

Each transaction value is Gamma(p, nu), nu ~ Gamma(q, gamma) across customers, so a customer's
mean repeat spend m_x over x transactions has a closed-form marginal likelihood, and the
posterior mean spend is a credibility-weighted average of m_x and the population mean
gamma p / (q - 1). Fitted on customers with at least one repeat purchase, because m_x is
the mean of repeat purchases. The model assumes spend is independent of purchase frequency;
check ``np.corrcoef(frequency, monetary_value)`` before trusting it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from scipy.special import digamma, gammaln, zeta

from vinculo.analytics.stats._mle import FloatArray, _codes, as_float_arrays, fit_newton, vdot


def _loglik_rows(theta: FloatArray, x: FloatArray, m: FloatArray) -> FloatArray:
    p, q, g = np.exp(theta)
    px = p * x
    return (
        gammaln(px + q)
        - gammaln(px)
        - gammaln(q)
        + q * np.log(g)
        + (px - 1) * np.log(m)
        + px * np.log(x)
        - (px + q) * np.log(g + m * x)
    )


class _Design:
    """Precomputed sums so that an evaluation costs one log and one division per customer.

    Only log(gamma + m x) depends on both the parameters and the customer; the gammaln terms
    depend on x alone (a few distinct values) and the rest are constant weighted sums.
    """

    def __init__(self, x: FloatArray, m: FloatArray, w: FloatArray):
        self.xu, ix = _codes(x)
        self.wx = np.bincount(ix, weights=w, minlength=self.xu.size)
        self.wxrow, self.mx = w * x, m * x
        self.total = float(w.sum())
        log_m = np.log(m)
        self.c_p = vdot(self.wxrow, log_m + np.log(x))  # sum w x (log m + log x)
        self.c_1 = vdot(w, log_m)  # sum w log m
        self._weights = np.stack([self.wxrow, w])

    def fgh(self, theta: FloatArray) -> tuple[float, FloatArray, FloatArray]:
        """Weighted mean negative log-likelihood, its gradient and Hessian (log-parameters)."""
        params = np.exp(theta)
        p, q, g = params  # NumPy scalars: overflow gives inf, not an exception
        xu, wx, total = self.xu, self.wx, self.total
        pxu = p * xu
        inv = 1.0 / (g + self.mx)
        # sum w x log(g + m x), sum w log(g + m x), then the same with 1/(..) and 1/(..)^2
        sx_log, s_log = self._weights @ np.log(g + self.mx)
        sx_inv, s_inv = self._weights @ inv
        sx_inv2, s_inv2 = self._weights @ (inv * inv)
        args = np.concatenate([pxu + q, pxu, [q]])
        m = xu.size
        lg, psi, tri = gammaln(args), digamma(args), zeta(2.0, args)
        log_g = np.log(g)
        ll = (
            wx @ (lg[:m] - lg[m:2 * m]) - total * lg[-1]
            + total * q * log_g
            + p * self.c_p
            - self.c_1
            - p * sx_log
            - q * s_log
        )
        psi_pq, psi_p = psi[:m], psi[m:2 * m]
        grad = np.array([
            wx @ (xu * (psi_pq - psi_p)) + self.c_p - sx_log,
            wx @ psi_pq - total * psi[-1] + total * log_g - s_log,
            total * q / g - (p * sx_inv + q * s_inv),
        ])
        tri_pq, tri_p = tri[:m], tri[m:2 * m]
        h = np.empty((3, 3))
        h[0, 0] = wx @ (xu * xu * (tri_pq - tri_p))
        h[0, 1] = h[1, 0] = wx @ (xu * tri_pq)
        h[1, 1] = wx @ tri_pq - total * tri[-1]
        h[0, 2] = h[2, 0] = -sx_inv
        h[1, 2] = h[2, 1] = total / g - s_inv
        h[2, 2] = -total * q / g**2 + p * sx_inv2 + q * s_inv2
        h_log = h * np.outer(params, params) + np.diag(params * grad)
        return -ll / total, -grad * params / total, -h_log / total


@dataclass(frozen=True)
class GammaGamma:
    """Gamma-Gamma spend model with parameters p, q and gamma (lifetimes calls gamma "v")."""

    p: float
    q: float
    gamma: float
    log_likelihood: float = field(default=float("nan"), compare=False)

    @property
    def params(self) -> dict[str, float]:
        return {"p": self.p, "q": self.q, "gamma": self.gamma}

    @classmethod
    def fit(
        cls,
        frequency: npt.ArrayLike,
        monetary_value: npt.ArrayLike,
        weights: npt.ArrayLike | None = None,
        *,
        initial: tuple[float, float, float] | None = None,
    ) -> GammaGamma:
        """Fit on customers with frequency > 0 (others carry no repeat-spend information)."""
        x, m = as_float_arrays(frequency, monetary_value)
        keep = (x > 0) & (m > 0)
        x, m = x[keep], m[keep]
        w = np.ones(x.size) if weights is None else np.asarray(weights, dtype=float)[keep]
        if w.sum() == 0:
            raise ValueError("Gamma-Gamma needs customers with at least one repeat purchase")
        # Spend is continuous, so rows rarely repeat: no compression, but a cheap objective.
        design = _Design(x, m, w)
        if initial is None:  # population mean spend gamma p / (q - 1) = mean(m)
            initial = (2.0, 3.0, float(np.average(m, weights=w)))
        theta, value = fit_newton(design.fgh, np.log(initial))
        ll = -value * design.total
        p, q, g = np.exp(theta)
        return cls(float(p), float(q), float(g), log_likelihood=ll)

    def log_likelihood_rows(
        self, frequency: npt.ArrayLike, monetary_value: npt.ArrayLike
    ) -> FloatArray:
        """Log-likelihood of each customer's mean repeat spend (frequency must be > 0)."""
        x, m = as_float_arrays(frequency, monetary_value)
        return _loglik_rows(np.log([self.p, self.q, self.gamma]), x, m)

    @property
    def population_mean_spend(self) -> float:
        """E[spend per transaction] for a new customer: gamma p / (q - 1) (infinite if q <= 1)."""
        return self.gamma * self.p / (self.q - 1) if self.q > 1 else float("inf")

    def conditional_expected_spend(
        self, frequency: npt.ArrayLike, monetary_value: npt.ArrayLike
    ) -> FloatArray:
        """E[spend per transaction | x, m_x]: (gamma + m_x x) p / (p x + q - 1).

        Customers with x = 0 get the population mean; requires q > 1.
        """
        x, m = as_float_arrays(frequency, monetary_value)
        p, q, g = self.p, self.q, self.gamma
        return (g + m * x) * p / (p * x + q - 1)
