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
from scipy.special import digamma, gammaln

from vinculo.analytics._mle import as_float_arrays, compress, maximise


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


def _neg_mean_ll(theta, x, m, w):
    p, q, g = np.exp(theta)
    px = p * x
    log_gmx = np.log(g + m * x)
    ll = _loglik_rows(theta, x, m)
    psi_pxq = digamma(px + q)
    d_p = x * (psi_pxq - digamma(px) + np.log(m) + np.log(x) - log_gmx)
    d_q = psi_pxq - digamma(q) + np.log(g) - log_gmx
    d_g = q / g - (px + q) / (g + m * x)
    total = w.sum()
    grad = np.array([w @ d_p * p, w @ d_q * q, w @ d_g * g]) / total
    return -(w @ ll) / total, -grad


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
        initial: tuple[float, float, float] = (1.0, 1.0, 1.0),
    ) -> GammaGamma:
        """Fit on customers with frequency > 0 (others carry no repeat-spend information)."""
        x, m = as_float_arrays(frequency, monetary_value)
        keep = (x > 0) & (m > 0)
        w_in = None if weights is None else np.asarray(weights, dtype=float)[keep]
        (x, m), w, _ = compress(w_in, x[keep], m[keep])
        if w.sum() == 0:
            raise ValueError("Gamma-Gamma needs customers with at least one repeat purchase")
        theta = maximise(lambda th: _neg_mean_ll(th, x, m, w), np.log(initial), jac=True)
        ll = float(w @ _loglik_rows(theta, x, m))
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
