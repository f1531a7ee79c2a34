"""BG/NBD (Fader, Hardie & Lee 2005) and MBG/NBD (Batislam, Denizel & Filiztekin 2007).

Both describe repeat purchasing as Poisson(lambda) while alive, lambda ~ Gamma(r, alpha), and a
drop-out chance p ~ Beta(a, b) after each purchase; MBG/NBD also lets a customer drop out right
after the first purchase, so that zero-repeat customers are not all assumed alive.

Everything is computed in log space (gammaln, logaddexp, expit) and the Gauss hypergeometric
function is always evaluated in its Euler-transformed form
``(1-z)^(r+x) 2F1(r+x, b+x; c; z) = (1-z)^(a-1) 2F1(c-r-x, a-1; c; z)``, whose parameters do not
grow with x, so customers with hundreds of purchases give finite, accurate answers.
Fitting maximises the weighted likelihood over distinct (x, t_x, T) rows by Newton's method
with the analytic gradient and Hessian.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Self

import numpy as np
import numpy.typing as npt
from scipy.special import digamma, expit, gammaln, zeta

from vinculo.analytics.stats._mle import (
    FloatArray,
    Patterns,
    as_float_arrays,
    compress,
    distinct_eval,
    fit_newton,
    vdot,
)
from vinculo.analytics.stats._special import hyp2f1


def _trigamma(v: FloatArray) -> FloatArray:
    return zeta(2.0, v)  # polygamma(1, v) without its wrapper's overhead


def _softplus(z: FloatArray, p: FloatArray) -> FloatArray:
    """log(1 + e^z) given p = expit(z): max(z, 0) - log(max(p, 1 - p)), no overflow."""
    return np.maximum(z, 0.0) - np.log(np.maximum(p, 1.0 - p))


class _Design:
    """Rows factorised into distinct x, t_x and T values, for the likelihood and its derivatives.

    Per row, log L = per_x + A3 + softplus(z): per_x depends on x alone (the Gamma and Beta
    function terms), A3 = -(r+x) log(alpha+T) is the "alive at T" branch and
    z = A4 - A3 = log(a / (b+x+k-1)) + (r+x) log((alpha+T) / (alpha+t_x)) the log odds of
    "dropped out right after the last purchase". Sums of per_x and A3 and of their derivatives
    are taken over the distinct x and T values with precomputed weights; only z, its posterior
    weight expit(z) and the branch differences are per row. One call returns the value, the
    gradient and the Hessian, in a few dozen array operations, because Newton's method on these
    smooth four-parameter likelihoods is limited by per-call overhead, not arithmetic.
    """

    def __init__(self, patterns: Patterns, k: int):
        x = patterns.columns[0]
        w = patterns.weights
        (self.xu, self.ix), (self.tu, self.itx), (self.Tu, self.iT) = patterns.coded
        self.x, self.w, self.k, self.inverse = x, w, k, patterns.inverse
        self.wx = np.bincount(self.ix, weights=w, minlength=self.xu.size)
        self.total = float(self.wx.sum())
        self.w_T = np.bincount(self.iT, weights=w, minlength=self.Tu.size)
        self.wx_T = np.bincount(self.iT, weights=w * x, minlength=self.Tu.size)
        # BG/NBD has no "dropped out after the last purchase" branch when x = 0.
        self.branch_u = self.xu > 0 if k == 0 else np.ones(self.xu.size, dtype=bool)
        self._rows = np.empty((5, x.size))

    def _special(self, r: float, a: float, b: float, *orders: int) -> list[list[FloatArray]]:
        """gammaln, digamma and trigamma (``orders`` 0, 1, 2) of r+x, b+x+k, a+b+x+k, r, b, a+b,
        each function called once on all of them."""
        xu, k = self.xu, self.k
        args = np.concatenate([r + xu, b + xu + k, a + b + xu + k, [r, b, a + b]])
        m = xu.size
        out = []
        for order in orders:
            v = (gammaln, digamma, _trigamma)[order](args)
            out.append([v[:m], v[m:2 * m], v[2 * m:3 * m], v[-3], v[-2], v[-1]])
        return out

    def _z(
        self, r: float, alpha: float, a: float, b: float
    ) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]:
        bx_u = np.where(self.branch_u, b + self.xu + self.k - 1, 1.0)
        c4_u = np.where(self.branch_u, np.log(a) - np.log(bx_u), -np.inf)
        log_at, log_atx = np.log(alpha + self.Tu), np.log(alpha + self.tu)
        d_r = log_at[self.iT] - log_atx[self.itx]  # d(A4 - A3)/dr
        rx = r + self.x
        return c4_u[self.ix] + rx * d_r, d_r, rx, bx_u, log_at

    def _per_x(self, r: float, alpha: float, a: float, b: float) -> FloatArray:
        ((g_rx, g_bx, g_abx, g_r, g_b, g_ab),) = self._special(r, a, b, 0)
        return g_rx - g_r + r * np.log(alpha) + g_ab + g_bx - g_b - g_abx

    def fgh(self, theta: FloatArray) -> tuple[float, FloatArray, FloatArray]:
        """Weighted mean negative log-likelihood, its gradient and Hessian (log-parameters)."""
        params = np.exp(theta)
        r, alpha, a, b = params  # NumPy scalars: overflow gives inf, not an exception
        w, wx, total = self.w, self.wx, self.total
        z, d_r, rx, bx_u, log_at = self._z(r, alpha, a, b)
        inv_at, inv_atx = 1.0 / (alpha + self.Tu), 1.0 / (alpha + self.tu)
        w4 = expit(z)  # posterior weight of "dropped out after the last purchase"
        ww4 = w * w4
        alive_T = r * self.w_T + self.wx_T  # sum of w (r + x) per distinct T
        value = (
            wx @ self._per_x(r, alpha, a, b)
            - alive_T @ log_at
            + vdot(w, _softplus(z, w4))
        )
        # Per-row branch differences, stacked so that their weighted sums are one product.
        rows = self._rows
        it_row, iT_row = inv_atx[self.itx], inv_at[self.iT]
        rows[0] = d_r
        np.subtract(iT_row, it_row, out=rows[3])  # d2(A4 - A3)/dr dalpha
        np.multiply(rx, rows[3], out=rows[1])  # d(A4 - A3)/dalpha
        np.take(1.0 / bx_u, self.ix, out=rows[2])  # -d(A4 - A3)/db
        np.multiply(rows[1], -(iT_row + it_row), out=rows[4])  # d2(A4 - A3)/dalpha2
        s1 = np.einsum("ij,j->i", rows, ww4)
        v = ww4 * (1.0 - w4)
        sv = np.einsum("ij,j->i", rows[:3], v)
        cross = np.einsum("ij,kj->ik", rows[:3] * v, rows[:3])
        w4_sum, v_sum = ww4.sum(), v.sum()
        ww4_x = np.bincount(self.ix, ww4, self.xu.size)

        psi, tri = self._special(r, a, b, 1, 2)
        p_rx, p_bx, p_abx, p_r, p_b, p_ab = psi
        d_ab = wx @ (p_ab - p_abx)
        grad = np.array([
            wx @ (p_rx - p_r) + total * np.log(alpha) - self.w_T @ log_at + s1[0],
            total * r / alpha - alive_T @ inv_at + s1[1],
            d_ab + w4_sum / a,
            d_ab + wx @ (p_bx - p_b) - s1[2],
        ])
        t_rx, t_bx, t_abx, t_r, t_b, t_ab = tri
        h_ab = wx @ (t_ab - t_abx)
        h = np.empty((4, 4))
        h[0, 0] = wx @ (t_rx - t_r) + cross[0, 0]
        h[0, 1] = total / alpha - self.w_T @ inv_at + s1[3] + cross[0, 1]
        h[1, 1] = -r * total / alpha**2 + alive_T @ (inv_at * inv_at) + s1[4] + cross[1, 1]
        h[0, 2] = sv[0] / a
        h[1, 2] = sv[1] / a
        h[0, 3] = -cross[0, 2]
        h[1, 3] = -cross[1, 2]
        h[2, 2] = h_ab + (v_sum - w4_sum) / a**2
        h[2, 3] = h_ab - sv[2] / a
        h[3, 3] = h_ab + wx @ (t_bx - t_b) + ww4_x @ (1.0 / bx_u**2) + cross[2, 2]
        h[1, 0], h[2, 0], h[3, 0], h[2, 1], h[3, 1], h[3, 2] = (
            h[0, 1], h[0, 2], h[0, 3], h[1, 2], h[1, 3], h[2, 3])
        # To log-parameters: d/dlog(p) = p d/dp.
        h_log = h * np.outer(params, params) + np.diag(params * grad)
        return -value / total, -grad * params / total, -h_log / total

    def loglik_rows(self, theta: FloatArray) -> FloatArray:
        r, alpha, a, b = np.exp(theta)
        z, _, rx, _, log_at = self._z(r, alpha, a, b)
        per_x = self._per_x(r, alpha, a, b)
        return per_x[self.ix] - rx * log_at[self.iT] + np.logaddexp(0.0, z)


def _nbd_moments(x: FloatArray, T: FloatArray, w: FloatArray) -> tuple[float, float]:
    """r and alpha of a Gamma-Poisson (NBD) from E[x] = r T / alpha and
    E[x (x - 1)] = r (r + 1) T^2 / alpha^2, with r kept in [0.01, 100]."""
    m1 = vdot(w, x) / vdot(w, T)
    m2 = vdot(w, x * (x - 1)) / vdot(w, T * T)
    if not m1 > 0:
        return 1.0, 1.0
    r = 1.0 / min(max(m2 / m1**2 - 1.0, 0.01), 100.0)
    return r, r / m1


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
        frequency: npt.ArrayLike,
        recency: npt.ArrayLike,
        T: npt.ArrayLike,
        weights: npt.ArrayLike | None = None,
        *,
        initial: tuple[float, float, float, float] | None = None,
    ) -> Self:
        """Maximum-likelihood fit; identical (x, t_x, T) rows are fitted once with a weight.

        ``initial`` defaults to the NBD moment estimates of r and alpha (as if nobody dropped
        out) with a = 1, b = 3, from which Newton's method needs a handful of steps.
        """
        patterns = compress(weights, frequency, recency, T)
        if not patterns.weights[patterns.columns[0] > 0].sum() > 0:
            raise ValueError(f"{cls.__name__} needs customers with a repeat purchase (x > 0): "
                             "without one the purchase rate is not identified")
        design = _Design(patterns, cls._k)
        if initial is None:
            x, _, TT = patterns.columns
            initial = (*_nbd_moments(x, TT, patterns.weights), 1.0, 3.0)
        theta, value = fit_newton(design.fgh, np.log(initial))
        ll = -value * design.total
        r, alpha, a, b = np.exp(theta)
        return cls(float(r), float(alpha), float(a), float(b), log_likelihood=ll)

    def log_likelihood_rows(
        self, frequency: npt.ArrayLike, recency: npt.ArrayLike, T: npt.ArrayLike
    ) -> FloatArray:
        """Log-likelihood of each customer's (x, t_x, T)."""
        x, tx, TT = as_float_arrays(frequency, recency, T)
        design = _Design(compress(None, x.ravel(), tx.ravel(), TT.ravel()), self._k)
        theta = np.log([self.r, self.alpha, self.a, self.b])
        return design.loglik_rows(theta)[design.inverse].reshape(x.shape)

    def _log_odds_dead(self, x: FloatArray, tx: FloatArray, T: FloatArray) -> FloatArray:
        r, alpha, a, b, k = self.r, self.alpha, self.a, self.b, self._k
        has_branch = (x > 0) if k == 0 else np.ones_like(x, dtype=bool)
        bx = np.where(has_branch, b + x + k - 1, 1.0)
        lo = np.log(a) - np.log(bx) + (r + x) * (np.log(alpha + T) - np.log(alpha + tx))
        return np.where(has_branch, lo, -np.inf)

    def probability_alive(
        self, frequency: npt.ArrayLike, recency: npt.ArrayLike, T: npt.ArrayLike
    ) -> FloatArray:
        """P(customer still alive at T | x, t_x, T)."""
        x, tx, TT = as_float_arrays(frequency, recency, T)
        return expit(-self._log_odds_dead(x, tx, TT))

    def conditional_expected_purchases(
        self, t: npt.ArrayLike, frequency: npt.ArrayLike, recency: npt.ArrayLike, T: npt.ArrayLike
    ) -> FloatArray:
        """E[number of purchases in (T, T + t] | x, t_x, T]: P(alive) times the expectation
        for an alive customer, which depends on x and T only (computed once per distinct
        (t, x, T))."""
        x, tx, TT = as_float_arrays(frequency, recency, T)
        alive = self.probability_alive(x, tx, TT)
        return alive * distinct_eval(self.expected_purchases_if_alive, t, x, TT)

    def expected_purchases_if_alive(
        self, t: npt.ArrayLike, frequency: npt.ArrayLike, T: npt.ArrayLike
    ) -> FloatArray:
        """E[number of purchases in (T, T + t] | alive at T, x, T]."""
        t, x, TT = as_float_arrays(t, frequency, T)
        if abs(self.a - 1.0) < 1e-6:
            # Removable singularity at a = 1: average the two sides (error O(h^2)).
            h = 1e-5
            return 0.5 * (self._if_alive(t, x, TT, 1.0 - h) + self._if_alive(t, x, TT, 1.0 + h))
        return self._if_alive(t, x, TT, self.a)

    def _if_alive(self, t: FloatArray, x: FloatArray, TT: FloatArray, a: float) -> FloatArray:
        r, alpha, b, k = self.r, self.alpha, self.b, self._k
        shape = np.broadcast_shapes(t.shape, x.shape, TT.shape)
        t, x, TT = (np.array(v, dtype=float, ndmin=1) for v in np.broadcast_arrays(t, x, TT))
        c = a + b + x + k - 1
        z = t / (alpha + TT + t)
        # (1-z)^(r+x) 2F1(r+x, b+x+k; c; z), after Euler's transformation: bounded terms for
        # heavy buyers and long horizons.
        log1mz = np.log1p(-z)
        # Euler's form has a huge negative first parameter c - r - x when r runs off (r ~ 1e7
        # at a fit's edge, or in the delta method's steps): its series only turns after |r|
        # terms. The untransformed form converges at once there (z is then tiny).
        direct = (c - r - x) < -1e4
        tail = np.empty_like(z)
        e = ~direct
        tail[e] = np.exp((a - 1) * log1mz[e]) * hyp2f1(c[e] - r - x[e], a - 1, c[e], z[e])
        tail[direct] = (np.exp((r + x[direct]) * log1mz[direct])
                        * hyp2f1(r + x[direct], b + x[direct] + k, c[direct], z[direct]))
        return (c / (a - 1) * (1.0 - tail)).reshape(shape)

    def expected_purchases(self, t: npt.ArrayLike) -> FloatArray:
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
