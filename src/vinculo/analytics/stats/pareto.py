"""Pareto/NBD (Schmittlein, Morrison & Colombo 1987), likelihood as in Fader & Hardie's note
"A Note on Deriving the Pareto/NBD Model and Related Expressions" (2005).

Purchases are Poisson(lambda) while alive, lifetimes are Exponential(mu), lambda ~ Gamma(r,
alpha), mu ~ Gamma(s, beta). The likelihood is

    L = Gamma(r+x) alpha^r beta^s / Gamma(r) * [ (alpha+T)^-(r+x) (beta+T)^-s + s * I ],
    I = integral over (t_x, T) of (alpha+tau)^-(r+x) (beta+tau)^-(s+1) dtau,

(the second term is "died at tau, between the last purchase and T"). I is the difference of
two upper tails, each a 2F1 that is evaluated after Euler's transformation as
``2F1(1, .; r+s+x+1; z)``: bounded, so it neither overflows nor loses accuracy for customers with
hundreds of purchases; the difference is taken in log space (log1p(-exp(.))).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.optimize import minimize
from scipy.special import expit, gammaln

from vinculo.analytics.stats._mle import (
    FloatArray,
    _codes,
    as_float_arrays,
    compress,
    distinct_eval,
    newton,
)
from vinculo.analytics.stats._pareto_special import log_tail
from vinculo.analytics.stats.limits import NotIdentified, check_box

# The fit's box, in time units scaled so that the customers' mean T is 1: wide enough for any
# identified optimum (r, s from 1e-4, i.e. extreme heterogeneity, to 1e4, i.e. nearly
# homogeneous rates; alpha, beta up to 1e6 mean T's), finite so that a likelihood that keeps
# rising towards "nobody drops out" stops at an edge, which is then reported as such.
BOX = {"r": (1e-4, 1e4), "alpha": (1e-6, 1e6), "s": (1e-4, 1e4), "beta": (1e-6, 1e6)}
# Iterations of L-BFGS-B (each a few evaluations) and of Newton's polish (15 evaluations
# each), and the evaluations of the likelihood in all; past that the best point seen is taken.
MAX_ITER, MAX_EVAL, MAX_NEWTON = 200, 300, 10
# Newton's method straight from the no-drop-out fit converges in a few steps on real data;
# only if it does not within this many is L-BFGS-B used to come near first.
NEWTON_FIRST = 6
# L-BFGS-B only needs to come near: Newton's method finishes (see fit).
FTOL = 1e-10


class _OutOfEvaluations(Exception):
    pass


def _log_tail(
    y: FloatArray, x: FloatArray, r: float, alpha: float, s: float, beta: float
) -> FloatArray:
    """log of the integral of (alpha+tau)^-(r+x) (beta+tau)^-(s+1) over tau in (y, inf)."""
    return log_tail(y, x, r, alpha, s, beta)


def _log_integral(
    x: FloatArray, tx: FloatArray, T: FloatArray, r: float, alpha: float, s: float, beta: float
) -> FloatArray:
    """log I; -inf where t_x == T (no room to die between the last purchase and T)."""
    # Both tails at once, once per distinct (x, y): far fewer pairs than (x, t_x, T) rows.
    x, tx, T = as_float_arrays(x, tx, T)
    shape = x.shape
    xs = np.concatenate([x.ravel(), x.ravel()])
    ends = np.concatenate([tx.ravel(), T.ravel()])
    if xs.size >= 256:
        patterns = compress(None, xs, ends)
        both = _log_tail(patterns.columns[1], patterns.columns[0], r, alpha, s, beta)
        both = both[patterns.inverse]
    else:
        both = _log_tail(ends, xs, r, alpha, s, beta)
    n = both.size // 2
    hi, lo = both[:n].reshape(shape), both[n:].reshape(shape)
    d = np.minimum(lo - hi, 0.0)
    with np.errstate(divide="ignore"):
        return np.where(tx < T, hi + np.log(-np.expm1(d)), -np.inf)


def _loglik(
    params: tuple[float, float, float, float] | FloatArray,
    x: FloatArray,
    tx: FloatArray,
    T: FloatArray,
) -> FloatArray:
    r, alpha, s, beta = params
    a1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha) + s * np.log(beta)
    alive = -(r + x) * np.log(alpha + T) - s * np.log(beta + T)
    dead = np.log(s) + _log_integral(x, tx, T, r, alpha, s, beta)
    return a1 + np.logaddexp(alive, dead)


def _start(
    x: FloatArray, T: FloatArray, w: FloatArray, mean_t: float
) -> tuple[float, float, float, float]:
    """NBD moment estimates of r and alpha (as if nobody dropped out), s = 1, beta = mean T."""
    m1 = float(w @ x) / float(w @ T)
    m2 = float(w @ (x * (x - 1))) / float(w @ (T * T))
    if not m1 > 0:
        return 1.0, mean_t, 1.0, mean_t
    r = 1.0 / min(max(m2 / m1**2 - 1.0, 0.01), 100.0)
    return r, r / m1, 1.0, mean_t


def _nbd_fit(
    x: FloatArray, T: FloatArray, w: FloatArray, gx: Callable[[float], FloatArray]
) -> tuple[float, float]:
    """r and alpha of the no-drop-out limit (NBD: Gamma-Poisson over (0, T])."""
    total = w.sum()
    r0, a0, _, _ = _start(x, T, w, 1.0)

    def objective(theta: FloatArray) -> float:
        r, alpha = np.exp(theta)
        ll = gx(r) + r * np.log(alpha) - (r + x) * np.log(alpha + T)
        return float(-(w @ ll) / total)

    box = [(np.log(BOX["r"][0]), np.log(BOX["r"][1])), (np.log(BOX["alpha"][0]),
                                                        np.log(BOX["alpha"][1]))]
    with np.errstate(all="ignore"):
        res = minimize(objective, np.log([r0, a0]), method="L-BFGS-B", bounds=box,
                       options={"maxiter": MAX_ITER, "maxfun": MAX_EVAL})
    r, alpha = np.exp(res.x)
    return float(r), float(alpha)


def _dropout_score(
    x: FloatArray, tx: FloatArray, T: FloatArray, w: FloatArray, r: float, alpha: float
) -> float:
    """d log L / d mu at mu = 0 for a common drop-out rate mu, at the NBD fit (r, alpha).

    Per customer, -T + integral over (t_x, T) of ((alpha+T)/(alpha+tau))^(r+x) dtau: the time
    at risk against the evidence of a long silence. For small drop-out rates the Pareto/NBD
    likelihood moves by E[mu] times this sum, so when it is not positive, no drop-out is
    visible in the data and s, beta run off to the no-drop-out limit.
    """
    k = r + x
    lr = np.log(alpha + T) - np.log(alpha + tx)  # >= 0
    km1 = k - 1.0
    with np.errstate(all="ignore"):
        ratio = np.where(np.abs(km1 * lr) > 1e-8, np.expm1(km1 * lr) / km1, lr)
    integral = (alpha + T) * ratio
    return float(w @ (integral - T)) if np.all(np.isfinite(integral)) else 1.0


def _central_fgh(
    fun: Callable[[FloatArray], float], h: float = 1e-4
) -> Callable[[FloatArray], tuple[float, FloatArray, FloatArray]]:
    """Value, gradient and Hessian from 1 + 2n + n(n-1)/2 = 15 evaluations (n = 4).

    Central differences for the gradient: truncation ~h^2/6 = 2e-9 of the third derivative,
    rounding ~1e-14/h = 1e-10 of the mean log-likelihood, so the optimum is still found to
    the 1e-7 the published CDNOW values need. The Hessian (one-sided mixed terms, error O(h))
    only steers the steps. Half the evaluations of fourth-order differences.
    """

    def fgh(x: FloatArray) -> tuple[float, FloatArray, FloatArray]:
        n = x.size
        eye = np.eye(n) * h
        f0 = fun(x)
        plus = np.array([fun(x + e) for e in eye])
        minus = np.array([fun(x - e) for e in eye])
        grad = (plus - minus) / (2 * h)
        hess = np.diag((plus + minus - 2 * f0) / (h * h))
        for i in range(n):
            for j in range(i + 1, n):
                both = fun(x + eye[i] + eye[j])
                hess[i, j] = hess[j, i] = (both - plus[i] - plus[j] + f0) / (h * h)
        return f0, grad, hess

    return fgh


def _fit_in_box(
    objective: Callable[[FloatArray], float], start: FloatArray, lows: FloatArray,
    highs: FloatArray,
) -> FloatArray:
    """Newton from the start; if it does not converge, L-BFGS-B in the box, then Newton."""
    theta = _newton_in_box(objective, start, lows, highs, NEWTON_FIRST)
    if theta is not None:
        return theta
    with np.errstate(all="ignore"):
        res = minimize(objective, start, method="L-BFGS-B",
                       bounds=list(zip(lows, highs, strict=True)),
                       options={"maxiter": MAX_ITER, "maxfun": MAX_EVAL // 2,
                                "ftol": FTOL, "gtol": 1e-9, "maxcor": 20})
    theta = np.clip(res.x, lows, highs)
    if np.all(theta > lows + 1e-3) and np.all(theta < highs - 1e-3):
        polished = _newton_in_box(objective, theta, lows, highs, MAX_NEWTON)
        if polished is not None and objective(polished) <= objective(theta):
            theta = polished
    return theta


def _newton_in_box(
    objective: Callable[[FloatArray], float],
    start: FloatArray,
    lows: FloatArray,
    highs: FloatArray,
    max_steps: int,
) -> FloatArray | None:
    """Newton's method on finite-difference derivatives (29 evaluations a step), or None if
    it does not converge within ``max_steps`` steps, inside the box, or the budget."""
    found = newton(_central_fgh(objective), start, max_iter=max_steps,
                   max_eval=2 * max_steps, xtol=1e-5)
    if found is None or not (np.all(found[0] > lows) and np.all(found[0] < highs)):
        return None
    return found[0]


def gammaln_table(x: FloatArray) -> Callable[[float], FloatArray]:
    """r -> log Gamma(r + x) - log Gamma(r) per row, computed once per distinct x."""
    values, code = _codes(x)

    def table(r: float) -> FloatArray:
        return (gammaln(r + values) - gammaln(r))[code]

    return table


@dataclass(frozen=True)
class ParetoNBD:
    """Pareto/NBD model; ``ParetoNBD.fit(frequency, recency, T)`` returns a fitted instance."""

    r: float
    alpha: float
    s: float
    beta: float
    log_likelihood: float = field(default=float("nan"), compare=False)

    @property
    def params(self) -> dict[str, float]:
        return {"r": self.r, "alpha": self.alpha, "s": self.s, "beta": self.beta}

    @classmethod
    def fit(
        cls,
        frequency: npt.ArrayLike,
        recency: npt.ArrayLike,
        T: npt.ArrayLike,
        weights: npt.ArrayLike | None = None,
        *,
        initial: tuple[float, float, float, float] | None = None,
    ) -> ParetoNBD:
        """Maximum-likelihood fit on distinct (x, t_x, T) rows, bounded in time and space.

        Times are scaled so that the mean T is 1 and the log-parameters kept in ``BOX``.
        L-BFGS-B (at most ``MAX_ITER`` iterations, ``MAX_EVAL`` evaluations) gets close; at
        most ``MAX_NEWTON`` Newton steps with finite-difference derivatives then find the
        optimum to ~1e-7 of each parameter. The likelihood is flat along beta (CDNOW: a change
        of 2e-4 in beta moves the log-likelihood by 1e-9), so a stop on the value or on a
        forward-difference gradient leaves beta off in the fourth significant digit. Raises
        :class:`NotIdentified` (with the boundary fit attached) when the maximum lies on the
        box's edge, e.g. s and beta running off together where no drop-out is visible.
        """
        patterns = compress(weights, frequency, recency, T)
        (x, tx, TT), w = patterns.columns, patterns.weights
        total = w.sum()
        if not total > 0:
            raise ValueError("Pareto/NBD needs at least one customer with a positive weight")
        if not w[x > 0].sum() > 0:
            raise ValueError("Pareto/NBD needs customers with a repeat purchase (x > 0): "
                             "without one the purchase rate is not identified")
        scale = float(w @ TT) / total
        if not scale > 0:
            raise ValueError("Pareto/NBD needs customers observed for some time (T > 0)")
        txs, Ts = tx / scale, TT / scale
        # Terms of one (x, y) are evaluated once: code the pairs for the whole fit.
        pairs = compress(None, np.concatenate([x, x]), np.concatenate([txs, Ts]))
        px, py = pairs.columns
        n = x.size
        inv_tx, inv_T = pairs.inverse[:n], pairs.inverse[n:]
        x_values, x_code = _codes(x)
        w_per_x = np.bincount(x_code, weights=w, minlength=x_values.size)

        evaluations = [0]
        best: list[Any] = [np.inf, None]

        def objective(theta: FloatArray) -> float:
            """Mean negative log-likelihood. Per row only the combination
            log(e^A + s (e^H - e^L)) of three per-pair terms is computed (A: alive at T,
            H, L: the tails from t_x and from T; H = L where t_x = T); the rest is summed per
            distinct x or is a constant."""
            evaluations[0] += 1
            if evaluations[0] > MAX_EVAL:
                raise _OutOfEvaluations
            r, alpha, s, beta = np.exp(theta)
            with np.errstate(all="ignore"):
                tails = _log_tail(py, px, r, alpha, s, beta)
                alive = -(r + px) * np.log(alpha + py) - s * np.log(beta + py)
                # Per row: A + log(1 - s e^(L-A) + s e^(H-A)), with A and the first two
                # terms per (x, T) pair, so one exp and one log per row.
                q = 1.0 - s * np.exp(tails - alive)
                d = tails[inv_tx]
                a = alive[inv_T]
                d -= a
                if d.max() > 700.0:  # a tail that dwarfs the alive term: keep the max
                    h = tails[inv_tx]
                    top = np.maximum(a, h)
                    a = top + np.log(np.exp(a - top) * q[inv_T] + s * np.exp(h - top))
                else:
                    np.exp(d, out=d)
                    d *= s
                    d += q[inv_T]
                    np.log(d, out=d)
                    a += d
                ll = (float(w @ a) + float(w_per_x @ (gammaln(r + x_values) - gammaln(r)))
                      + total * (r * np.log(alpha) + s * np.log(beta)))
            value = -ll / total if np.isfinite(ll) else 1e10
            if value < best[0]:
                best[:] = [value, theta.copy()]
            return value

        w_pair = np.bincount(inv_T, weights=w, minlength=px.size)
        on_t = w_pair > 0
        nbd = _nbd_fit(px[on_t], py[on_t], w_pair[on_t].astype(float), gammaln_table(px[on_t]))
        if _dropout_score(x, txs, Ts, w, *nbd) <= 0:
            raise NotIdentified(
                "no drop-out is visible in this data: Pareto/NBD's s and beta are not "
                "identified (any drop-out rate lowers the likelihood of the no-drop-out limit, "
                f"NBD r = {nbd[0]:.4g}, alpha = {nbd[1] * scale:.4g})",
                model="Pareto/NBD", parameters=["s", "beta"], fit=None)
        lows = np.log([v[0] for v in BOX.values()])
        highs = np.log([v[1] for v in BOX.values()])
        if initial is None:  # the no-drop-out fit, and drop-out over about a mean T
            start = np.log([nbd[0], nbd[1], 1.0, 1.0])
        else:
            r0, a0, s0, b0 = initial
            start = np.log([r0, a0 / scale, s0, b0 / scale])
        start = np.clip(start, lows + 1, highs - 1)
        try:
            theta = _fit_in_box(objective, start, lows, highs)
        except _OutOfEvaluations:  # the budget is spent: the best point evaluated
            theta = best[1] if best[1] is not None else start
        p = np.exp(theta) * np.array([1.0, scale, 1.0, scale])
        ll = float(w @ _loglik(p, x, tx, TT))
        r, alpha, s, beta = (float(v) for v in p)
        fitted = cls(r, alpha, s, beta, log_likelihood=ll)
        check_box("Pareto/NBD", fitted, dict(zip(BOX, theta, strict=True)),
                  dict(zip(BOX, zip(lows, highs, strict=True), strict=True)))
        return fitted

    def log_likelihood_rows(
        self, frequency: npt.ArrayLike, recency: npt.ArrayLike, T: npt.ArrayLike
    ) -> FloatArray:
        """Log-likelihood of each customer's (x, t_x, T)."""
        x, tx, TT = as_float_arrays(frequency, recency, T)
        return _loglik((self.r, self.alpha, self.s, self.beta), x, tx, TT)

    def probability_alive(
        self, frequency: npt.ArrayLike, recency: npt.ArrayLike, T: npt.ArrayLike
    ) -> FloatArray:
        """P(customer still alive at T | x, t_x, T), once per distinct (x, t_x, T) (2F1)."""
        return distinct_eval(self._probability_alive, frequency, recency, T)

    def _probability_alive(self, x: FloatArray, tx: FloatArray, TT: FloatArray) -> FloatArray:
        r, alpha, s, beta = self.r, self.alpha, self.s, self.beta
        log_dead = np.log(s) + _log_integral(x, tx, TT, r, alpha, s, beta)
        log_alive = -(r + x) * np.log(alpha + TT) - s * np.log(beta + TT)
        return expit(log_alive - log_dead)

    def conditional_expected_purchases(
        self, t: npt.ArrayLike, frequency: npt.ArrayLike, recency: npt.ArrayLike, T: npt.ArrayLike
    ) -> FloatArray:
        """E[number of purchases in (T, T + t] | x, t_x, T]: P(alive) times the expectation
        for an alive customer."""
        x, tx, TT = as_float_arrays(frequency, recency, T)
        return self.probability_alive(x, tx, TT) * self.expected_purchases_if_alive(t, x, TT)

    def expected_purchases_if_alive(
        self, t: npt.ArrayLike, frequency: npt.ArrayLike, T: npt.ArrayLike
    ) -> FloatArray:
        """E[number of purchases in (T, T + t] | alive at T, x, T]."""
        t, x, TT = as_float_arrays(t, frequency, T)
        r, alpha, s, beta = self.r, self.alpha, self.s, self.beta
        rate = (r + x) / (alpha + TT)
        # Expected remaining lifetime within (T, T + t] for an alive customer.
        life = (beta + TT) * _one_minus_pow_over((beta + TT) / (beta + TT + t), s - 1)
        return rate * life

    def expected_purchases(self, t: npt.ArrayLike) -> FloatArray:
        """Unconditional E[X(t)] for a new customer."""
        (t,) = as_float_arrays(t)
        r, alpha, s, beta = self.r, self.alpha, self.s, self.beta
        return r / alpha * beta * _one_minus_pow_over(beta / (beta + t), s - 1)


def _one_minus_pow_over(base: FloatArray, e: float) -> FloatArray:
    """(1 - base**e) / e, with its limit -log(base) at e = 0 (i.e. s = 1)."""
    log_base = np.log(base)
    if abs(e) < 1e-12:
        return -log_base
    return -np.expm1(e * log_base) / e
