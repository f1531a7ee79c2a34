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
from scipy.optimize import minimize
from scipy.special import digamma, gammaln, polygamma

from vinculo.analytics._mle import LOG_BOUND, _codes, as_float_arrays, maximise, vdot


def _loglik_rows(theta, x, m):
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

    def __init__(self, x: np.ndarray, m: np.ndarray, w: np.ndarray):
        self.xu, ix = _codes(x)
        self.wx = np.bincount(ix, weights=w, minlength=self.xu.size)
        self.w, self.wxrow, self.mx = w, w * x, m * x
        self.total = w.sum()
        log_m = np.log(m)
        self.c_p = vdot(self.wxrow, log_m + np.log(x))  # sum w x (log m + log x)
        self.c_1 = vdot(w, log_m)  # sum w log m
        self._cache: dict[bytes, tuple] = {}

    def neg_mean_ll(self, theta: np.ndarray) -> tuple[float, np.ndarray]:
        key = theta.tobytes()
        if key in self._cache:  # scipy's trust-region asks for the Hessian first
            return self._cache[key][2]
        p, q, g = np.exp(theta)
        xu, wx = self.xu, self.wx
        pxu = p * xu
        log_gmx = np.log(g + self.mx)
        inv_gmx = 1.0 / (g + self.mx)
        s_log = vdot(self.w, log_gmx)
        sx_log = vdot(self.wxrow, log_gmx)
        ll = (
            wx @ (gammaln(pxu + q) - gammaln(pxu) - gammaln(q))
            + self.total * q * np.log(g)
            + p * self.c_p
            - self.c_1
            - p * sx_log
            - q * s_log
        )
        psi = digamma(pxu + q)
        d_p = wx @ (xu * (psi - digamma(pxu))) + self.c_p - sx_log
        d_q = wx @ (psi - digamma(q)) + self.total * np.log(g) - s_log
        d_g = self.total * q / g - (p * vdot(self.wxrow, inv_gmx) + q * vdot(self.w, inv_gmx))
        if len(self._cache) > 8:
            self._cache.clear()
        grad = np.array([d_p * p, d_q * q, d_g * g])
        result = (-ll / self.total, -grad / self.total)
        self._cache[key] = (inv_gmx, np.array([d_p, d_q, d_g]), result)
        return result

    def neg_mean_hess(self, theta: np.ndarray) -> np.ndarray:
        """Analytic Hessian over log-parameters (reuses the cached evaluation at ``theta``)."""
        if theta.tobytes() not in self._cache:
            self.neg_mean_ll(theta)
        inv, g_nat, _ = self._cache[theta.tobytes()]
        p, q, g = np.exp(theta)
        xu, wx, w, wxrow, total = self.xu, self.wx, self.w, self.wxrow, self.total
        pxu = p * xu
        tri = polygamma(1, pxu + q)
        inv2 = inv * inv
        h = np.empty((3, 3))
        h[0, 0] = wx @ (xu * xu * (tri - polygamma(1, pxu)))
        h[0, 1] = h[1, 0] = wx @ (xu * tri)
        h[1, 1] = wx @ tri - total * polygamma(1, q)
        h[0, 2] = h[2, 0] = -vdot(wxrow, inv)
        h[1, 2] = h[2, 1] = total / g - vdot(w, inv)
        h[2, 2] = -total * q / g**2 + p * vdot(wxrow, inv2) + q * vdot(w, inv2)
        scale = np.array([p, q, g])
        h_log = h * np.outer(scale, scale) + np.diag(scale * g_nat)
        return -h_log / total


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
        frequency: object,
        monetary_value: object,
        weights: object | None = None,
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
        # Newton steps in a trust region: a handful of evaluations instead of dozens.
        res = minimize(
            design.neg_mean_ll,
            np.log(initial),
            jac=True,
            hess=design.neg_mean_hess,
            method="trust-exact",
            options={"gtol": 1e-9},
        )
        theta = res.x
        converged = res.success or np.max(np.abs(res.jac)) < 1e-8
        if not (converged and np.all(np.abs(theta) < LOG_BOUND)):
            theta = maximise(design.neg_mean_ll, np.log(initial), jac=True)
        ll = float(-design.neg_mean_ll(theta)[0] * design.total)
        p, q, g = np.exp(theta)
        return cls(float(p), float(q), float(g), log_likelihood=ll)

    def log_likelihood_rows(self, frequency: object, monetary_value: object) -> np.ndarray:
        """Log-likelihood of each customer's mean repeat spend (frequency must be > 0)."""
        x, m = as_float_arrays(frequency, monetary_value)
        return _loglik_rows(np.log([self.p, self.q, self.gamma]), x, m)

    @property
    def population_mean_spend(self) -> float:
        """E[spend per transaction] for a new customer: gamma p / (q - 1) (infinite if q <= 1)."""
        return self.gamma * self.p / (self.q - 1) if self.q > 1 else float("inf")

    def conditional_expected_spend(self, frequency: object, monetary_value: object) -> np.ndarray:
        """E[spend per transaction | x, m_x]: (gamma + m_x x) p / (p x + q - 1).

        Customers with x = 0 get the population mean; requires q > 1.
        """
        x, m = as_float_arrays(frequency, monetary_value)
        p, q, g = self.p, self.q, self.gamma
        return (g + m * x) * p / (p * x + q - 1)
