"""BG/NBD (Fader, Hardie & Lee 2005) and MBG/NBD (Batislam, Denizel & Filiztekin 2007).

Both describe repeat purchasing as Poisson(lambda) while alive, lambda ~ Gamma(r, alpha), and a
drop-out chance p ~ Beta(a, b) after each purchase; MBG/NBD also lets a customer drop out right
after the first purchase, so that zero-repeat customers are not all assumed alive.

Everything is computed in log space (gammaln, logaddexp, expit) and the Gauss hypergeometric
function is always evaluated in its Euler-transformed form
``(1-z)^(r+x) 2F1(r+x, b+x; c; z) = (1-z)^(a-1) 2F1(c-r-x, a-1; c; z)``, whose parameters do not
grow with x, so customers with hundreds of purchases give finite, accurate answers.
Fitting maximises the weighted likelihood over distinct (x, t_x, T) rows with an analytic
gradient.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Self

import numpy as np
from scipy.special import digamma, expit, gammaln

from vinculo.analytics._mle import _codes, as_float_arrays, compress, maximise, vdot
from vinculo.analytics._special import hyp2f1


class _Design:
    """Rows factorised into distinct x, t_x and T values.

    Every term that depends on one of them only (gammaln/digamma of x, log(alpha + T), ...)
    is evaluated once per distinct value and gathered, so an evaluation on 10^5 patterns costs
    a handful of elementwise operations.
    """

    def __init__(self, x: np.ndarray, tx: np.ndarray, T: np.ndarray, w: np.ndarray, k: int):
        self.xu, self.ix = _factorise(x)
        self.tu, self.itx = _factorise(tx)
        self.Tu, self.iT = _factorise(T)
        self.x, self.w, self.k = x, w, k
        self.wx = np.bincount(self.ix, weights=w, minlength=self.xu.size)
        # BG/NBD has no "dropped out after the last purchase" branch when x = 0.
        self.branch_u = self.xu > 0 if k == 0 else np.ones(self.xu.size, dtype=bool)

    def terms(self, theta: np.ndarray):
        """Per-row log-likelihood and the quantities its gradient needs."""
        r, alpha, a, b = np.exp(theta)
        xu, k = self.xu, self.k
        per_x = (
            gammaln(r + xu)
            - gammaln(r)
            + r * np.log(alpha)
            + gammaln(a + b)
            + gammaln(b + xu + k)
            - gammaln(b)
            - gammaln(a + b + xu + k)
        )
        bx_u = np.where(self.branch_u, b + xu + k - 1, 1.0)
        c4_u = np.where(self.branch_u, np.log(a) - np.log(bx_u), -np.inf)
        log_at = np.log(alpha + self.Tu)
        log_atx = np.log(alpha + self.tu)
        rx = r + self.x
        a3 = -rx * log_at[self.iT]
        a4 = c4_u[self.ix] - rx * log_atx[self.itx]
        mix = np.logaddexp(a3, a4)
        w4 = np.exp(a4 - mix)  # posterior weight of "dropped out after the last purchase"
        return per_x, mix, w4, bx_u, log_at, log_atx

    def neg_mean_ll(self, theta: np.ndarray) -> tuple[float, np.ndarray]:
        per_x, mix, w4, bx_u, log_at, log_atx = self.terms(theta)
        r, alpha, a, b = np.exp(theta)
        xu, k, w, wx = self.xu, self.k, self.w, self.wx
        ww4 = w * w4
        ww3 = w - ww4
        rx = r + self.x
        d_ab = digamma(a + b) - digamma(a + b + xu + k)
        d_r = wx @ (digamma(r + xu) - digamma(r) + np.log(alpha)) - (
            np.bincount(self.iT, ww3, self.Tu.size) @ log_at
            + np.bincount(self.itx, ww4, self.tu.size) @ log_atx
        )
        d_alpha = r / alpha * wx.sum() - (
            np.bincount(self.iT, ww3 * rx, self.Tu.size) @ (1.0 / (alpha + self.Tu))
            + np.bincount(self.itx, ww4 * rx, self.tu.size) @ (1.0 / (alpha + self.tu))
        )
        ww4_x = np.bincount(self.ix, ww4, xu.size)
        d_a = wx @ d_ab + ww4.sum() / a
        d_b = wx @ (d_ab + digamma(b + xu + k) - digamma(b)) - ww4_x @ (1.0 / bx_u)
        total = wx.sum()
        value = -(wx @ per_x + vdot(w, mix)) / total
        grad = -np.array([d_r * r, d_alpha * alpha, d_a * a, d_b * b]) / total
        return value, grad

    def loglik_rows(self, theta: np.ndarray) -> np.ndarray:
        per_x, mix, *_ = self.terms(theta)
        return per_x[self.ix] + mix


def _factorise(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return _codes(values)


@dataclass(frozen=True)
class _BetaGeoBase:
    r: float
    alpha: float
    a: float
    b: float
    log_likelihood: float = field(default=float("nan"), compare=False)
    _k = 0

    @property
    def params(self) -> dict[str, float]:
        return {"r": self.r, "alpha": self.alpha, "a": self.a, "b": self.b}

    @classmethod
    def fit(
        cls,
        frequency: object,
        recency: object,
        T: object,
        weights: object | None = None,
        *,
        initial: tuple[float, float, float, float] = (1.0, 1.0, 1.0, 1.0),
    ) -> Self:
        """Maximum-likelihood fit; identical (x, t_x, T) rows are fitted once with a weight."""
        (x, tx, TT), w, _ = compress(weights, frequency, recency, T)
        design = _Design(x, tx, TT, w, cls._k)
        theta = maximise(design.neg_mean_ll, np.log(initial), jac=True)
        ll = vdot(w, design.loglik_rows(theta))
        r, alpha, a, b = np.exp(theta)
        return cls(float(r), float(alpha), float(a), float(b), log_likelihood=ll)

    def log_likelihood_rows(self, frequency: object, recency: object, T: object) -> np.ndarray:
        """Log-likelihood of each customer's (x, t_x, T)."""
        x, tx, TT = as_float_arrays(frequency, recency, T)
        design = _Design(x.ravel(), tx.ravel(), TT.ravel(), np.ones(x.size), self._k)
        theta = np.log([self.r, self.alpha, self.a, self.b])
        return design.loglik_rows(theta).reshape(x.shape)

    def _log_odds_dead(self, x: np.ndarray, tx: np.ndarray, T: np.ndarray) -> np.ndarray:
        r, alpha, a, b, k = self.r, self.alpha, self.a, self.b, self._k
        has_branch = (x > 0) if k == 0 else np.ones_like(x, dtype=bool)
        bx = np.where(has_branch, b + x + k - 1, 1.0)
        lo = np.log(a) - np.log(bx) + (r + x) * (np.log(alpha + T) - np.log(alpha + tx))
        return np.where(has_branch, lo, -np.inf)

    def probability_alive(self, frequency: object, recency: object, T: object) -> np.ndarray:
        """P(customer still alive at T | x, t_x, T)."""
        x, tx, TT = as_float_arrays(frequency, recency, T)
        return expit(-self._log_odds_dead(x, tx, TT))

    def conditional_expected_purchases(
        self, t: object, frequency: object, recency: object, T: object
    ) -> np.ndarray:
        """E[number of purchases in (T, T + t] | x, t_x, T]."""
        t, x, tx, TT = as_float_arrays(t, frequency, recency, T)
        if abs(self.a - 1.0) < 1e-6:
            # Removable singularity at a = 1: average the two sides (error O(h^2)).
            h = 1e-5
            return 0.5 * (
                self._conditional(t, x, tx, TT, 1.0 - h) + self._conditional(t, x, tx, TT, 1.0 + h)
            )
        return self._conditional(t, x, tx, TT, self.a)

    def _conditional(self, t, x, tx, TT, a: float) -> np.ndarray:
        r, alpha, b, k = self.r, self.alpha, self.b, self._k
        c = a + b + x + k - 1
        z = t / (alpha + TT + t)
        # (1-z)^(r+x) 2F1(r+x, b+x+k; c; z) after Euler's transformation.
        tail = np.exp((a - 1) * np.log1p(-z)) * hyp2f1(c - r - x, a - 1, c, z)
        alive = replace(self, a=a).probability_alive(x, tx, TT)
        return c / (a - 1) * (1.0 - tail) * alive

    def expected_purchases(self, t: object) -> np.ndarray:
        """Unconditional E[X(t)]: repeat purchases by a new customer in (0, t]."""
        (t,) = as_float_arrays(t)
        zero = np.zeros_like(t)
        return self.conditional_expected_purchases(t, zero, zero, zero)


@dataclass(frozen=True)
class BGNBD(_BetaGeoBase):
    """BG/NBD model; ``BGNBD.fit(frequency, recency, T)`` returns a fitted instance."""

    _k = 0


@dataclass(frozen=True)
class MBGNBD(_BetaGeoBase):
    """MBG/NBD model (drop-out also possible right after the first purchase)."""

    _k = 1
