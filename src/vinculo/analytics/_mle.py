"""Shared maximum-likelihood helpers.

Parameters are optimised in log space so that positivity needs no constraints, and the
objective is the weighted mean negative log-likelihood so its scale does not depend on the
number of customers (which keeps the optimiser's tolerances meaningful for 100 or 10^6 rows).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.optimize import minimize

# exp(+-20) covers every plausible rate and shape parameter while keeping exp() finite.
LOG_BOUND = 20.0


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
    uniq, inverse = np.unique(values, return_inverse=True)
    return uniq, inverse.ravel()


def unique_rows(*columns: np.ndarray) -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
    """Distinct rows of the given equal-length columns.

    Returns ``(distinct_columns, inverse, counts)``; ``inverse`` maps each input row to its
    distinct row. Each column is coded separately and the codes combined into one int64 key,
    which is much faster than ``lexsort`` on float columns or ``np.unique(axis=0)``.
    """
    cols = [np.asarray(c) for c in columns]
    uniques, codes = zip(*(_codes(c) for c in cols), strict=True)
    sizes = [u.size for u in uniques]
    if float(np.prod(np.array(sizes, dtype=float))) >= 2.0**62:
        raise ValueError("too many distinct values to combine into one key")
    key = np.zeros(cols[0].shape[0], dtype=np.int64)
    for code, size in zip(codes, sizes, strict=True):
        key = key * size + code
    ukey, inverse, counts = np.unique(key, return_inverse=True, return_counts=True)
    distinct = []
    for u, size in zip(reversed(uniques), reversed(sizes), strict=True):
        ukey, code = np.divmod(ukey, size)
        distinct.append(u[code])
    return distinct[::-1], inverse.ravel(), counts


def compress(
    weights: np.ndarray | None, *columns: np.ndarray
) -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
    """Collapse identical rows into one weighted row (weights add up).

    This is what makes fitting cost grow with the number of distinct (x, t_x, T) patterns
    rather than with the number of customers. Returns ``(columns, weights, inverse)``.
    """
    cols = [np.asarray(c) for c in columns]
    cols = [c if c.dtype.kind in "iuf" else c.astype(float) for c in cols]
    distinct, inverse, counts = unique_rows(*cols)
    distinct = [d.astype(float) for d in distinct]
    if weights is None:
        w = counts.astype(float)
    else:
        w = np.bincount(inverse, weights=np.asarray(weights, dtype=float), minlength=counts.size)
    return distinct, w, inverse


def maximise(
    neg_mean_ll: Callable[[np.ndarray], tuple[float, np.ndarray] | float],
    x0: np.ndarray,
    *,
    jac: bool,
) -> np.ndarray:
    """Minimise a (value[, gradient]) objective over log-parameters and return the optimum.

    With an analytic gradient, BFGS: it needs the fewest evaluations on these smooth,
    low-dimensional likelihoods. L-BFGS-B with box bounds on the log-parameters is the
    fallback (and the method for numerical gradients): the bounds only keep exp() finite
    during line searches and are never active at a sensible optimum.
    """
    x0 = np.asarray(x0, dtype=float)
    if jac:
        with np.errstate(all="ignore"):
            res = minimize(neg_mean_ll, x0, jac=True, method="BFGS", options={"gtol": 1e-9})
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
        options={"maxiter": 5000, "ftol": 1e-15, "gtol": 1e-10, "maxcor": 20},
    )
    if not np.all(np.isfinite(res.x)):
        raise RuntimeError(f"maximum likelihood fit failed: {res.message}")
    return res.x


def vdot(a: np.ndarray, b: np.ndarray) -> float:
    """Dot product of two vectors without BLAS.

    On a busy machine a threaded BLAS ``ddot`` can be several times slower than this single
    pass, and these objectives call it a dozen times per evaluation.
    """
    return float(np.einsum("i,i->", a, b))


def as_float_arrays(*values: object) -> list[np.ndarray]:
    """Broadcast inputs to float arrays (scalars stay 0-d so scalar calls return scalars).

    Inputs that already have the common shape are not copied; callers must not write to them.
    """
    arrays = [np.asarray(v, dtype=float) for v in values]
    shape = np.broadcast_shapes(*(a.shape for a in arrays))
    return [a if a.shape == shape else np.broadcast_to(a, shape).copy() for a in arrays]
