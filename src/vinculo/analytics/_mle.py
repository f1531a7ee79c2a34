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


def unique_rows(*columns: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct rows of the given equal-length columns.

    Returns ``(first_index, inverse, counts)``: ``columns[k][first_index]`` are the distinct
    rows, ``inverse`` maps each input row to its distinct row. Built on one ``lexsort`` so it
    is O(n log n) without the structured-array detour of ``np.unique(axis=0)``.
    """
    cols = [np.asarray(c) for c in columns]
    n = cols[0].shape[0]
    if n == 0:
        empty = np.zeros(0, dtype=np.intp)
        return empty, empty, empty
    order = np.lexsort(cols[::-1])
    change = np.zeros(n, dtype=bool)
    change[0] = True
    for c in cols:
        s = c[order]
        change[1:] |= s[1:] != s[:-1]
    group = np.cumsum(change) - 1
    inverse = np.empty(n, dtype=np.intp)
    inverse[order] = group
    first_index = order[change]
    counts = np.bincount(group)
    return first_index, inverse, counts


def compress(
    weights: np.ndarray | None, *columns: np.ndarray
) -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
    """Collapse identical rows into one weighted row (weights add up).

    This is what makes fitting cost grow with the number of distinct (x, t_x, T) patterns
    rather than with the number of customers.
    """
    cols = [np.asarray(c, dtype=float) for c in columns]
    first, inverse, counts = unique_rows(*cols)
    if weights is None:
        w = counts.astype(float)
    else:
        w = np.bincount(inverse, weights=np.asarray(weights, dtype=float), minlength=len(first))
    return [c[first] for c in cols], w, inverse


def maximise(
    neg_mean_ll: Callable[[np.ndarray], tuple[float, np.ndarray] | float],
    x0: np.ndarray,
    *,
    jac: bool,
) -> np.ndarray:
    """Minimise a (value[, gradient]) objective over log-parameters and return the optimum.

    L-BFGS-B with box bounds on the log-parameters: the bounds only stop exp() from overflowing
    during line searches; they are never active at a sensible optimum.
    """
    bounds = [(-LOG_BOUND, LOG_BOUND)] * len(x0)
    res = minimize(
        neg_mean_ll,
        np.asarray(x0, dtype=float),
        jac=jac,
        method="L-BFGS-B",
        bounds=bounds,
        options={"maxiter": 5000, "ftol": 1e-15, "gtol": 1e-10, "maxcor": 20},
    )
    if not np.all(np.isfinite(res.x)):
        raise RuntimeError(f"maximum likelihood fit failed: {res.message}")
    return res.x


def as_float_arrays(*values: object) -> list[np.ndarray]:
    """Broadcast inputs to float arrays (scalars stay 0-d so scalar calls return scalars)."""
    arrays = np.broadcast_arrays(*[np.asarray(v, dtype=float) for v in values])
    return [np.array(a, dtype=float) for a in arrays]
