"""A Gauss hypergeometric function that does not return NaN where the models need it.

``scipy.special.hyp2f1`` is accurate where it returns a finite value, but for large c with z
close to 1 (heavy buyers, long horizons, near-integer parameters) it can return NaN or inf.
Those elements are recomputed by direct summation of the power series, which converges for
0 <= z < 1; in those cases c is large or the terms shrink geometrically, so a few thousand
terms suffice. Where they do not (a first parameter of -1e7 only turns after 1e7 terms) the
series gives up after ``_MAX_TERMS`` and answers NaN in well under a second: the caller has
another form to try, and a fit or an interval never waits minutes on one element.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy import special

from vinculo.analytics.stats._mle import FloatArray

_MAX_TERMS = 50_000


def hyp2f1(a: npt.ArrayLike, b: npt.ArrayLike, c: npt.ArrayLike, z: npt.ArrayLike) -> FloatArray:
    """2F1(a, b; c; z) for real 0 <= z < 1 and c not 0, -1, -2, …, with a series fallback."""
    a, b, c, z = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (a, b, c, z)))
    out = np.array(special.hyp2f1(a, b, c, z), dtype=float)
    # The series is defined for any c but a pole (0, -1, -2, …).
    bad = ~np.isfinite(out) & (z >= 0) & (z < 1) & ((c > 0) | (c != np.floor(c)))
    if bad.any():
        out[bad] = _series(a[bad], b[bad], c[bad], z[bad])
    return out


def _series(a: FloatArray, b: FloatArray, c: FloatArray, z: FloatArray) -> FloatArray:
    total = np.ones_like(z)
    term = np.ones_like(z)
    active = np.arange(z.size)
    n = 0
    while active.size and n < _MAX_TERMS:
        ai, bi, ci, zi = a[active], b[active], c[active], z[active]
        t = term[active]
        s = total[active]
        for _ in range(64):  # advance a block of terms between convergence checks
            t = t * (ai + n) * (bi + n) / ((ci + n) * (n + 1.0)) * zi
            s = s + t
            n += 1
        term[active], total[active] = t, s
        converged = (np.abs(t) <= 1e-17 * np.abs(s)) & (n > np.maximum(-ai, -bi))
        active = active[~converged]
    total[active] = np.nan
    return total
