"""BG/NBD with time-invariant covariates (Fader & Hardie, "Incorporating time-invariant
covariates into the Pareto/NBD and BG/NBD models", 2007).

Each customer i has a covariate vector z_i (segment, acquisition channel, campaign, package:
one 0/1 column per level but the reference one, or a number). The covariates act on the
parameters of the mixing distributions, so the model keeps its closed-form likelihood:

    purchase rate   λ_i ~ Gamma(r, α_i),  α_i = α0 · exp(−γ_pᵀ z_i)
    drop-out        p_i ~ Beta(a_i, b_i),  a_i = a0 · exp(γ_aᵀ z_i),  b_i = b0 · exp(γ_bᵀ z_i)

so exp(γ_p,k) multiplies the mean purchase rate r/α_i for one unit of covariate k (a positive
effect buys more), and γ_a, γ_b shift the drop-out probability's mean a_i / (a_i + b_i).
Either set of effects can be left out (``purchase=False`` / ``dropout=False``); with no
covariates the fit is plain BG/NBD.

The fit maximises the weighted likelihood over the distinct (x, t_x, T, z) rows with the
analytic gradient, by L-BFGS-B in a finite box (|log parameter| < 20, |effect| < 20) with at
most ``max_iter`` iterations, so it always stops. Standard errors of the effects come from the
Hessian of the total log-likelihood, by central differences of the analytic gradient.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Self

import numpy as np
import numpy.typing as npt
from scipy.optimize import minimize
from scipy.special import betaln, digamma, expit, gammaln

from vinculo.analytics.stats._mle import LOG_BOUND, FloatArray, compress

#: Bound on each covariate effect: exp(20) is far beyond any real segment difference.
EFFECT_BOUND = 20.0


@dataclass(frozen=True)
class CovariateBGNBD:
    """A fitted BG/NBD with covariate effects; see the module docstring for the model."""

    r: float
    alpha0: float
    a0: float
    b0: float
    names: tuple[str, ...]
    purchase_effects: tuple[float, ...] | None
    a_effects: tuple[float, ...] | None
    b_effects: tuple[float, ...] | None
    log_likelihood: float = field(default=float("nan"), compare=False)
    #: standard errors in the order of :attr:`vector` (NaN where the Hessian is singular)
    standard_errors: tuple[float, ...] = field(default=(), compare=False)
    converged: bool = field(default=True, compare=False)

    @property
    def vector(self) -> FloatArray:
        """(log r, log α0, log a0, log b0, γ_p…, γ_a…, γ_b…): what the fit optimises."""
        parts = [np.log([self.r, self.alpha0, self.a0, self.b0])]
        parts += [np.asarray(e) for e in (self.purchase_effects, self.a_effects, self.b_effects)
                  if e is not None]
        return np.concatenate(parts)

    @property
    def params(self) -> dict[str, float]:
        return {"r": self.r, "alpha0": self.alpha0, "a0": self.a0, "b0": self.b0}

    def effects(self) -> list[dict[str, object]]:
        """One row per (covariate, process): the coefficient, its standard error and what it
        means (the factor on the mean purchase rate, or on a / b of the drop-out Beta)."""
        rows: list[dict[str, object]] = []
        se = iter(self.standard_errors[4:]) if self.standard_errors else iter(())
        for process, values in (("purchase", self.purchase_effects),
                                ("dropout_a", self.a_effects), ("dropout_b", self.b_effects)):
            if values is None:
                continue
            for name, value in zip(self.names, values, strict=True):
                error = next(se, float("nan"))
                rows.append({"covariate": name, "process": process, "coefficient": value,
                             "standard_error": error, "factor": float(np.exp(value))})
        return rows

    def individual(self, z: npt.ArrayLike) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Each customer's (α_i, a_i, b_i) from their covariates."""
        zz = _design(z, len(self.names))
        return _individual(self.vector, zz, self.purchase_effects is not None,
                           self.a_effects is not None, self.b_effects is not None)[1:]

    @classmethod
    def fit(
        cls,
        frequency: npt.ArrayLike,
        recency: npt.ArrayLike,
        T: npt.ArrayLike,
        covariates: npt.ArrayLike,
        names: Sequence[str] | None = None,
        weights: npt.ArrayLike | None = None,
        *,
        purchase: bool = True,
        dropout: bool = True,
        max_iter: int = 2000,
    ) -> Self:
        """Maximum-likelihood fit. ``covariates`` is an (n_customers, k) array (a 1-D array is
        one covariate); columns that do not vary are refused (they would be confounded with
        α0, a0 and b0)."""
        x = np.asarray(frequency, dtype=float).ravel()
        tx = np.asarray(recency, dtype=float).ravel()
        TT = np.asarray(T, dtype=float).ravel()
        k = np.asarray(covariates, dtype=float).reshape(x.size, -1).shape[1] if x.size else 0
        z = _design(covariates, k).reshape(x.size, k)
        names = tuple(names) if names is not None else tuple(f"z{i + 1}" for i in range(k))
        if len(names) != k:
            raise ValueError(f"{len(names)} names for {k} covariate columns")
        _check(x, tx, TT, z)
        for j, name in enumerate(names):
            if np.ptp(z[:, j]) == 0:
                raise ValueError(f"covariate {name!r} has the same value for every customer")
        if not (x > 0).any():
            raise ValueError("no customer made a repeat purchase: the model is not identified")
        try:
            patterns = compress(weights, x, tx, TT, *z.T)
            cols, w = patterns.columns, patterns.weights
            x, tx, TT = cols[0], cols[1], cols[2]
            z = np.column_stack(cols[3:]) if k else np.zeros((x.size, 0))
        except ValueError:  # too many distinct values to combine: fit every row
            w = np.ones_like(x) if weights is None else np.asarray(weights, dtype=float).ravel()
        total = float(w.sum())
        flags = (purchase, dropout, dropout)

        def objective(theta: FloatArray) -> tuple[float, FloatArray]:
            value, grad = _loglik_grad(theta, x, tx, TT, z, w, *flags)
            if not np.isfinite(value):
                return np.inf, np.zeros_like(theta)
            return -value / total, -grad / total

        n_eff = k * sum(flags)
        mean_rate = float(w @ x) / float(w @ np.maximum(TT, 1e-9))
        theta0 = np.concatenate([[0.0, np.log(1.0 / max(mean_rate, 1e-6)), 0.0, np.log(3.0)],
                                 np.zeros(n_eff)])
        bounds = [(-LOG_BOUND, LOG_BOUND)] * 4 + [(-EFFECT_BOUND, EFFECT_BOUND)] * n_eff
        with np.errstate(all="ignore"):
            res = minimize(objective, theta0, jac=True, method="L-BFGS-B", bounds=bounds,
                           options={"maxiter": max_iter, "ftol": 1e-15, "gtol": 1e-9,
                                    "maxcor": 30})
        theta = res.x
        if not np.all(np.isfinite(theta)):
            raise ValueError(f"the fit failed: {res.message}")
        errors = _standard_errors(theta, x, tx, TT, z, w, flags)
        split = np.split(theta[4:], np.cumsum([k * f for f in flags])[:-1])
        eff = [tuple(float(v) for v in part) if f else None
               for part, f in zip(split, flags, strict=True)]
        r, alpha0, a0, b0 = (float(v) for v in np.exp(theta[:4]))
        at_bound = np.any(np.abs(theta[:4]) > LOG_BOUND - 1e-3) or np.any(
            np.abs(theta[4:]) > EFFECT_BOUND - 1e-3)
        return cls(r, alpha0, a0, b0, names, eff[0], eff[1], eff[2],
                   log_likelihood=-float(res.fun) * total,
                   standard_errors=tuple(float(e) for e in errors),
                   converged=bool(res.success) and not at_bound)

    def log_likelihood_rows(self, frequency: npt.ArrayLike, recency: npt.ArrayLike,
                            T: npt.ArrayLike, covariates: npt.ArrayLike) -> FloatArray:
        x, tx, TT = (np.asarray(v, dtype=float).ravel() for v in (frequency, recency, T))
        z = _design(covariates, len(self.names)).reshape(x.size, len(self.names))
        ll, *_ = _rows(self.vector, x, tx, TT, z, self.purchase_effects is not None,
                       self.a_effects is not None, self.b_effects is not None)
        return ll

    def probability_alive(self, frequency: npt.ArrayLike, recency: npt.ArrayLike,
                          T: npt.ArrayLike, covariates: npt.ArrayLike) -> FloatArray:
        """P(alive at T | x, t_x, T, z)."""
        x, tx, TT = (np.asarray(v, dtype=float).ravel() for v in (frequency, recency, T))
        alpha, a, b = self.individual(np.asarray(covariates, dtype=float).reshape(x.size, -1))
        lo = np.where(x > 0, np.log(a) - np.log(np.maximum(b + x - 1, 1e-300))
                      + (self.r + x) * (np.log(alpha + TT) - np.log(alpha + tx)), -np.inf)
        return expit(-lo)


def _design(z: npt.ArrayLike, k: int) -> FloatArray:
    arr = np.asarray(z, dtype=float)
    if arr.ndim == 1:
        arr = arr[:, None] if k == 1 or arr.size == 0 else arr[None, :]
    return arr


def _check(x: FloatArray, tx: FloatArray, TT: FloatArray, z: FloatArray) -> None:
    if not (x.size == tx.size == TT.size == z.shape[0]) or x.size == 0:
        raise ValueError("frequency, recency, T and covariates need one row per customer")
    if not all(np.all(np.isfinite(v)) for v in (x, tx, TT, z)):
        raise ValueError("frequency, recency, T and covariates must be finite numbers")
    if np.any(x < 0) or np.any(tx < 0) or np.any(tx > TT):
        raise ValueError("each customer needs frequency >= 0 and 0 <= recency <= T")


def _individual(theta: FloatArray, z: FloatArray, purchase: bool, a_eff: bool,
                b_eff: bool) -> tuple[float, FloatArray, FloatArray, FloatArray]:
    k = z.shape[1]
    r, alpha0, a0, b0 = np.exp(theta[:4])
    rest = theta[4:]
    lin = []
    for flag in (purchase, a_eff, b_eff):
        if flag:
            lin.append(z @ rest[:k])
            rest = rest[k:]
        else:
            lin.append(np.zeros(z.shape[0]))
    return r, alpha0 * np.exp(-lin[0]), a0 * np.exp(lin[1]), b0 * np.exp(lin[2])


def _rows(theta: FloatArray, x: FloatArray, tx: FloatArray, TT: FloatArray, z: FloatArray,
          purchase: bool, a_eff: bool, b_eff: bool) -> tuple[Any, ...]:
    r, alpha, a, b = _individual(theta, z, purchase, a_eff, b_eff)
    common = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    alive = betaln(a, b + x) - betaln(a, b) - (r + x) * np.log(alpha + TT)
    has = x > 0
    bx = np.where(has, b + x - 1, 1.0)
    dead = np.where(has, betaln(a + 1, bx) - betaln(a, b) - (r + x) * np.log(alpha + tx),
                    -np.inf)
    ll = common + np.logaddexp(alive, dead)
    return ll, r, alpha, a, b, expit(dead - alive), has, bx


def _loglik_grad(theta: FloatArray, x: FloatArray, tx: FloatArray, TT: FloatArray,
                 z: FloatArray, w: FloatArray, purchase: bool, a_eff: bool,
                 b_eff: bool) -> tuple[float, FloatArray]:
    """Total weighted log-likelihood and its gradient in the optimised parameters."""
    ll, r, alpha, a, b, pw, has, bx = _rows(theta, x, tx, TT, z, purchase, a_eff, b_eff)
    q = 1.0 - pw  # posterior weight of "alive at T"
    log_at, log_atx = np.log(alpha + TT), np.log(alpha + tx)
    d_r = digamma(r + x) - digamma(r) + np.log(alpha) - q * log_at - pw * log_atx
    d_alpha = r / alpha - (r + x) * (q / (alpha + TT) + pw / (alpha + tx))
    psi_abx = digamma(a + b + x)
    psi_ab = digamma(a + b)
    d_a = q * digamma(a) + pw * digamma(a + 1) - psi_abx - (digamma(a) - psi_ab)
    d_b = (q * digamma(b + x) + pw * np.where(has, digamma(bx), 0.0) - psi_abx
           - (digamma(b) - psi_ab))
    g_alpha, g_a, g_b = w * alpha * d_alpha, w * a * d_a, w * b * d_b
    grad = [np.array([float(w @ (r * d_r)), g_alpha.sum(), g_a.sum(), g_b.sum()])]
    for flag, g, sign in ((purchase, g_alpha, -1.0), (a_eff, g_a, 1.0), (b_eff, g_b, 1.0)):
        if flag:
            grad.append(sign * (g @ z))
    return float(w @ ll), np.concatenate(grad)


def _standard_errors(theta: FloatArray, x: FloatArray, tx: FloatArray, TT: FloatArray,
                     z: FloatArray, w: FloatArray, flags: tuple[bool, bool, bool]) -> FloatArray:
    """sqrt(diag(−H⁻¹)) of the total log-likelihood, H by central differences of the
    analytic gradient (2p gradient evaluations)."""
    p, h = theta.size, 1e-5
    hess = np.empty((p, p))
    with np.errstate(all="ignore"):
        for i in range(p):
            step = np.zeros(p)
            step[i] = h
            up = _loglik_grad(theta + step, x, tx, TT, z, w, *flags)[1]
            down = _loglik_grad(theta - step, x, tx, TT, z, w, *flags)[1]
            hess[i] = (up - down) / (2 * h)
    hess = 0.5 * (hess + hess.T)
    try:
        cov = np.linalg.inv(-hess)
    except np.linalg.LinAlgError:
        return np.full(p, np.nan)
    diag = np.diag(cov)
    return np.where(diag > 0, np.sqrt(np.abs(diag)), np.nan)


#: More levels than this is almost always an id or free text, and far too many effects to fit.
MAX_LEVELS = 50


@dataclass(frozen=True)
class Design:
    """Covariate columns built from the customers' attributes (:func:`design`).

    ``z`` has one column per entry of ``columns``: a 0/1 dummy per level of a categorical
    covariate but its reference, or a numeric covariate as it is. Each entry says
    ``{"key", "covariate", "kind", "level", "customers"}``; ``reference`` names the level
    each categorical covariate is compared with.
    """

    z: FloatArray
    columns: list[dict[str, Any]]
    reference: dict[str, str]

    @property
    def keys(self) -> list[str]:
        return [c["key"] for c in self.columns]


def is_numeric(values: Sequence[str]) -> bool:
    """Every value is a finite number (``12``, ``-0.5``, ``1e3``): the covariate is used as
    it is; otherwise it is categorical."""
    try:
        return all(np.isfinite(float(v)) for v in values) and len(values) > 0
    except (TypeError, ValueError):
        return False


def design(values: dict[str, Sequence[str]], *, min_customers: int = 2) -> Design:
    """Covariate columns for the customers (``values``: each covariate's value per customer,
    as text). A covariate whose values are all numbers is numeric (one column, its value);
    any other is categorical: dummy-coded against its most frequent level (ties: the first
    alphabetically), the *reference*. Refused, with a one-line ``ValueError`` naming the
    covariate: one level (or one value) for everybody, more than :data:`MAX_LEVELS` levels,
    and a level held by fewer than ``min_customers`` customers (its effect would be that one
    customer's history: not estimable)."""
    columns: list[FloatArray] = []
    entries: list[dict[str, Any]] = []
    reference: dict[str, str] = {}
    for name, raw in values.items():
        col = np.asarray([str(v) for v in raw])
        if is_numeric(col.tolist()):
            number = col.astype(float)
            if np.ptp(number) == 0:
                raise ValueError(f"covariate {name!r} has the same value ({col[0]!r}) for all "
                                 f"{col.size:,} customers: there is nothing to compare it with")
            columns.append(number)
            entries.append({"key": name, "covariate": name, "kind": "numeric", "level": None,
                            "customers": int(col.size)})
            continue
        level, counts = np.unique(col, return_counts=True)
        if level.size < 2:
            only = str(level[0]) if level.size else ""
            raise ValueError(f"covariate {name!r} has one level ({only!r}) for all "
                             f"{col.size:,} customers: there is nothing to compare it with")
        if level.size > MAX_LEVELS:
            raise ValueError(f"covariate {name!r} has {level.size:,} levels (at most "
                             f"{MAX_LEVELS}): is it an id or free text? Group its levels into "
                             "fewer categories first")
        rare = [str(v) for v, c in zip(level, counts, strict=True) if c < min_customers]
        if rare:
            few = "one customer" if min_customers == 2 else "too few customers"
            more = f" (and {len(rare) - 1} more levels like it)" if len(rare) > 1 else ""
            raise ValueError(f"covariate {name!r}: level {rare[0]!r} has {few}{more}: its "
                             "effect cannot be estimated; group it with another level")
        order = sorted(range(level.size), key=lambda i: (-int(counts[i]), str(level[i])))
        reference[name] = str(level[order[0]])
        for i in order[1:]:
            columns.append((col == level[i]).astype(float))
            entries.append({"key": f"{name}={level[i]}", "covariate": name,
                            "kind": "categorical", "level": str(level[i]),
                            "customers": int(counts[i])})
    z = np.column_stack(columns) if columns else np.zeros((0, 0))
    return Design(z, entries, reference)
