"""Shared maximum-likelihood helpers.

Parameters are optimised in log space so that positivity needs no constraints, and the
objective is the weighted mean negative log-likelihood so its scale does not depend on the
number of customers (which keeps the optimiser's tolerances meaningful for 100 or 10^6 rows).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple, TypeAlias

import numpy as np
import numpy.typing as npt
from scipy.optimize import minimize

#: The arrays of the models' parameters, likelihoods and predictions.
FloatArray: TypeAlias = npt.NDArray[np.float64]

# exp(+-20) covers every plausible rate and shape parameter while keeping exp() finite.
LOG_BOUND = 20.0
# Iterations of the quasi-Newton fallbacks: every fit ends after a bounded amount of work.
MAX_QUASI_NEWTON = 200


def _codes(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct values and the code of each element (an O(n) offset for small-range ints)."""
    if (
        values.dtype.kind == "f"
        and values.size
        and np.abs(values).max() < 2.0**52
        and np.all(values == np.floor(values))
    ):
        uniq, code = _codes(values.astype(np.int64))
        return uniq.astype(values.dtype), code
    if values.dtype.kind in "iu" and values.size:
        lo, hi = int(values.min()), int(values.max())
        if hi - lo <= 4 * values.size:
            present = np.bincount(values - lo, minlength=hi - lo + 1) > 0
            lookup = np.cumsum(present) - 1
            return np.flatnonzero(present) + lo, lookup[values - lo]
    # a sort and a binary search: ~3x less CPU than np.unique(return_inverse=True)'s argsort
    uniq = np.unique(values)
    return uniq, np.searchsorted(uniq, values.ravel())


def unique_rows(
    *columns: np.ndarray,
) -> tuple[list[np.ndarray], np.ndarray, np.ndarray, list[tuple[np.ndarray, np.ndarray]]]:
    """Distinct rows of the given equal-length columns.

    Returns ``(distinct_columns, inverse, counts, coded)``; ``inverse`` maps each input row to
    its distinct row and ``coded`` gives, per column, its distinct values and the index of each
    distinct row's value among them. Each column is coded separately and the codes combined
    into one int64 key, which is much faster than ``lexsort`` on float columns or
    ``np.unique(axis=0)``.
    """
    cols = [np.asarray(c) for c in columns]
    uniques, codes = zip(*(_codes(c) for c in cols), strict=True)
    sizes = [u.size for u in uniques]
    if float(np.prod(np.array(sizes, dtype=float))) >= 2.0**62:
        raise ValueError("too many distinct values to combine into one key")
    key = np.zeros(cols[0].shape[0], dtype=np.int64)
    for code, size in zip(codes, sizes, strict=True):
        key = key * size + code
    ukey, inverse = _codes(key)
    counts = np.bincount(inverse, minlength=ukey.size)
    coded = []
    for u, size in zip(reversed(uniques), reversed(sizes), strict=True):
        ukey, code = np.divmod(ukey, size)
        coded.append((u, code))
    coded.reverse()
    return [u[code] for u, code in coded], inverse.ravel(), counts, coded


class Patterns(NamedTuple):
    """Distinct rows with their weights (see :func:`compress`)."""

    columns: list[np.ndarray]
    weights: np.ndarray
    inverse: np.ndarray
    #: per column: its distinct values and each distinct row's index among them
    coded: list[tuple[np.ndarray, np.ndarray]]


def compress(weights: npt.ArrayLike | None, *columns: npt.ArrayLike) -> Patterns:
    """Collapse identical rows into one weighted row (weights add up).

    This is what makes fitting cost grow with the number of distinct (x, t_x, T) patterns
    rather than with the number of customers; the per-column codes let an objective evaluate
    terms of one column once per distinct value without coding the columns again.
    """
    cols = [np.asarray(c) for c in columns]
    cols = [c if c.dtype.kind in "iuf" else c.astype(float) for c in cols]
    distinct, inverse, counts, coded = unique_rows(*cols)
    coded = [(u.astype(float), code) for u, code in coded]
    if weights is None:
        w = counts.astype(float)
    else:
        w = np.bincount(inverse, weights=np.asarray(weights, dtype=float), minlength=counts.size)
    return Patterns([d.astype(float) for d in distinct], w, inverse, coded)


def distinct_eval(fn: Callable[..., np.ndarray], *columns: npt.ArrayLike) -> np.ndarray:
    """``fn(*columns)`` (broadcast together), evaluated once per distinct row.

    Scoring a million customers calls 2F1 for each; their (x, T, t) take a few tens of
    thousands of distinct values, so the hypergeometric work shrinks by that factor.
    """
    arrays = np.broadcast_arrays(*(np.asarray(c, dtype=float) for c in columns))
    shape = arrays[0].shape
    if arrays[0].size < 256:  # not worth a sort
        return fn(*arrays)
    patterns = compress(None, *(a.ravel() for a in arrays))
    return fn(*patterns.columns)[patterns.inverse].reshape(shape)


def maximise(
    neg_mean_ll: Callable[[np.ndarray], tuple[float, np.ndarray] | float],
    x0: np.ndarray,
    *,
    jac: bool,
) -> np.ndarray:
    """Minimise a (value[, gradient]) objective over log-parameters and return the optimum.

    The quasi-Newton route, used where :func:`newton` has no Hessian or did not converge:
    with an analytic gradient BFGS, else (or if BFGS fails) L-BFGS-B with box bounds on the
    log-parameters, which only keep exp() finite during line searches and are never active
    at a sensible optimum. Both stop on the gradient, so on a flat likelihood the result can
    be a few 1e-4 off the optimum; polish it with :func:`newton`.
    """
    x0 = np.asarray(x0, dtype=float)
    if jac:
        with np.errstate(all="ignore"):
            res = minimize(neg_mean_ll, x0, jac=True, method="BFGS",
                           options={"gtol": 1e-9, "maxiter": MAX_QUASI_NEWTON})
        value = res.fun if np.isfinite(res.fun) else np.inf
        if (
            np.all(np.abs(res.x) < LOG_BOUND)
            and np.isfinite(value)
            and (res.success or np.max(np.abs(res.jac)) < 1e-6)
        ):
            return res.x
    res = minimize(
        neg_mean_ll,
        x0,
        jac=jac,
        method="L-BFGS-B",
        bounds=[(-LOG_BOUND, LOG_BOUND)] * len(x0),
        options={"maxiter": MAX_QUASI_NEWTON, "maxfun": 4 * MAX_QUASI_NEWTON, "ftol": 1e-15,
                 "gtol": 1e-10, "maxcor": 20},
    )
    if not np.all(np.isfinite(res.x)):
        raise RuntimeError(f"maximum likelihood fit failed: {res.message}")
    return res.x


def newton(
    fgh: Callable[[np.ndarray], tuple[float, np.ndarray, np.ndarray]],
    x0: np.ndarray,
    *,
    xtol: float = 1e-7,
    max_iter: int = 100,
    max_eval: int = 400,
) -> tuple[np.ndarray, float] | None:
    """Damped Newton's method on a smooth objective: ``(optimum, value)`` or ``None``.

    ``fgh`` returns the value, the gradient and the Hessian. It stops after a full Newton
    step shorter than ``xtol`` (in the log-parameters): convergence is quadratic, so the
    optimum is then known to about ``xtol**2``, where a quasi-Newton method stopping on the
    gradient of a flat likelihood can leave a weakly identified parameter off in its fourth
    significant digit. From reasonable starting values it takes a handful of evaluations.
    Where the Hessian is not positive definite (far from the optimum) its negative curvature
    is reversed; steps are capped in length and halved until the value falls. The value
    returned is the one at the last point evaluated, within rounding of the optimum's.
    At most ``max_eval`` calls of ``fgh`` (a fit that does not converge gives up, ``None``).
    """
    x = np.asarray(x0, dtype=float).copy()
    calls = [0]

    def counted(x: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        calls[0] += 1
        if calls[0] > max_eval:
            raise _Exhausted
        return fgh(x)

    try:
        return _newton(counted, x, xtol, max_iter)
    except _Exhausted:
        return None


class _Exhausted(Exception):
    pass


def _newton(
    fgh: Callable[[np.ndarray], tuple[float, np.ndarray, np.ndarray]],
    x: np.ndarray,
    xtol: float,
    max_iter: int,
) -> tuple[np.ndarray, float] | None:
    previous = np.inf  # the length of the last step taken
    with np.errstate(all="ignore"):
        f, g, h = fgh(x)
        for _ in range(max_iter):
            if not (np.isfinite(f) and np.all(np.isfinite(g)) and np.all(np.isfinite(h))):
                return None
            step, definite = _newton_step(h, g)
            norm = float(np.max(np.abs(step)))
            if definite and norm < xtol:
                return x + step, float(f)
            if definite and norm < _LOCAL and norm**3 < xtol / 10 * previous**2:
                # Converging quadratically (this step ~ c * previous^2): the next would be
                # ~ c * norm^2 < xtol / 10, so this step ends it without another evaluation.
                return x + step, float(f)
            if definite and norm < _LOCAL:
                # Inside the quadratic region: full steps, whose value change can be below
                # the rounding of the value (so no decrease test).
                x = x + step
                previous = norm
                f, g, h = fgh(x)
                continue
            if norm > _MAX_STEP:
                step *= _MAX_STEP / norm
            slope = float(g @ step)
            t = 1.0
            for _ in range(40):
                x_new = x + t * step
                if np.all(np.abs(x_new) < LOG_BOUND):
                    f_new, g_new, h_new = fgh(x_new)
                    if f_new <= f + 1e-4 * t * slope:
                        break
                t *= 0.5
            else:
                return None
            previous = t * norm
            x, f, g, h = x_new, f_new, g_new, h_new
    return None


def numerical_fgh(
    fun: Callable[[np.ndarray], float], h: float = 1e-3
) -> Callable[[np.ndarray], tuple[float, np.ndarray, np.ndarray]]:
    """Value, gradient and Hessian of ``fun`` by finite differences, for :func:`newton`.

    Fourth-order central differences for the gradient and the diagonal (truncation error
    ~h^4, rounding ~eps/h: about 1e-10 of the value's scale at h = 1e-3), second-order ones for
    the mixed terms (the Hessian only steers the steps; the optimum is where the gradient
    vanishes). 1 + 4n + n(n-1) evaluations.
    """

    def fgh(x: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        n = x.size
        eye = np.eye(n) * h
        f0 = fun(x)
        plus = np.array([[fun(x + k * e) for k in (1, 2)] for e in eye])
        minus = np.array([[fun(x - k * e) for k in (1, 2)] for e in eye])
        grad = (8 * (plus[:, 0] - minus[:, 0]) - (plus[:, 1] - minus[:, 1])) / (12 * h)
        hess = np.diag(
            (16 * (plus[:, 0] + minus[:, 0]) - (plus[:, 1] + minus[:, 1]) - 30 * f0)
            / (12 * h * h)
        )
        for i in range(n):
            for j in range(i + 1, n):
                both = fun(x + eye[i] + eye[j]) + fun(x - eye[i] - eye[j])
                hess[i, j] = hess[j, i] = (
                    both - plus[i, 0] - plus[j, 0] - minus[i, 0] - minus[j, 0] + 2 * f0
                ) / (2 * h * h)
        return f0, grad, hess

    return fgh


def fit_newton(
    fgh: Callable[[np.ndarray], tuple[float, np.ndarray, np.ndarray]], x0: np.ndarray
) -> tuple[np.ndarray, float]:
    """Optimum and value of ``fgh``'s objective: :func:`newton`, and BFGS (then L-BFGS-B,
    see :func:`maximise`) on the same gradient if Newton's method does not converge."""
    found = newton(fgh, x0)
    if found is not None:
        return found
    theta = maximise(lambda t: fgh(t)[:2], x0, jac=True)
    return theta, float(fgh(theta)[0])


# Largest Newton step in the log-parameters (a factor e^2 on a parameter) before damping,
# and the step below which the objective is taken to be quadratic.
_MAX_STEP = 2.0
_LOCAL = 1e-3


def _newton_step(h: np.ndarray, g: np.ndarray) -> tuple[np.ndarray, bool]:
    """-H^-1 g, and whether H was positive definite.

    Otherwise the Hessian's eigenvalues are replaced by their absolute values (bounded away
    from zero): a descent direction that still follows the curvature, which on these
    likelihoods reaches the optimum in fewer steps than a Levenberg-Marquardt shift.
    """
    try:
        np.linalg.cholesky(h)
        return -np.linalg.solve(h, g), True
    except np.linalg.LinAlgError:
        pass
    lam, vec = np.linalg.eigh(h)
    lam = np.maximum(np.abs(lam), 1e-3 * np.max(np.abs(lam)))
    return -(vec @ ((vec.T @ g) / lam)), False


def vdot(a: np.ndarray, b: np.ndarray) -> float:
    """Dot product of two vectors without BLAS.

    On a busy machine a threaded BLAS ``ddot`` can be several times slower than this single
    pass, and these objectives call it a dozen times per evaluation.
    """
    return float(np.einsum("i,i->", a, b))


def as_float_arrays(*values: npt.ArrayLike) -> list[np.ndarray]:
    """Broadcast inputs to float arrays (scalars stay 0-d so scalar calls return scalars).

    Inputs that already have the common shape are not copied; callers must not write to them.
    """
    arrays = [np.asarray(v, dtype=float) for v in values]
    shape = np.broadcast_shapes(*(a.shape for a in arrays))
    return [a if a.shape == shape else np.broadcast_to(a, shape).copy() for a in arrays]
