"""How sure the models are: standard errors of the parameters and intervals for each customer.

**Parameters.** Every fit maximises the likelihood over the log-parameters theta = log(p). At
the optimum, the observed information is the Hessian of the negative log-likelihood in theta
(analytic for BG/NBD, MBG/NBD and Gamma-Gamma: the Hessian their Newton fits use; fourth-order
finite differences for Pareto/NBD and any other model with ``log_likelihood_rows``). Its
inverse is the asymptotic covariance of theta-hat. Standard errors on the parameter scale follow
by the delta method, ``se(p) = p se(theta)`` (what ``lifetimes`` reports too), and the
intervals are ``exp(theta-hat +- z se(theta))``: they stay positive and are asymmetric like the
likelihood, which covers the truth more reliably than ``p +- z se(p)`` for a shape parameter
estimated from a few hundred customers.

**Customers.** An interval for a prediction (P(alive), expected purchases, expected spend, CLV)
is the delta method again: the prediction g(theta) is linearised in theta by forward
differences (one extra evaluation of the prediction per parameter, vectorised over all
customers), so ``var g = J Sigma J'``, computed on a scale where g is closer to normal (logit
for P(alive), log for the positive amounts) and mapped back. We chose it over a parametric
bootstrap (draw theta ~ N(theta-hat, Sigma), predict, take quantiles) because it costs k + 1
evaluations instead of several hundred (a million customers: seconds, not minutes), gives the
same interval every run, and agrees with the bootstrap whenever the parameters are known well
enough for the normal approximation (the premise of both) to hold: on CDNOW the CLV bounds are
within 3 % of the percentiles of 2,000 bootstrap draws (``tests/analytics/test_uncertainty.py``).
CLV is a product of the purchase model's expectation and Gamma-Gamma's spend, whose
likelihoods are separate (spend is assumed independent of purchasing), so on the log scale
their variances add.

These intervals describe the uncertainty of the *estimated expectation* (what the model would
predict if its parameters were known exactly), not the spread of what one customer will
actually buy, which is much wider (a Poisson count).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt
from scipy.special import expit, logit, ndtri

from vinculo.analytics.stats._mle import FloatArray, as_float_arrays, compress, numerical_fgh

#: Default interval level (a 90 % interval, as the analyst command and the product use).
DEFAULT_LEVEL = 0.90
# Forward-difference step in the log-parameters for the predictions' gradients: truncation
# error ~1e-5 of the standard error, far below what the normal approximation leaves.
_STEP = 1e-5


class Interval(NamedTuple):
    """A point estimate with the lower and upper bounds of its interval (arrays or floats)."""

    estimate: FloatArray
    lower: FloatArray
    upper: FloatArray


@dataclasses.dataclass(frozen=True)
class ParameterUncertainty:
    """The asymptotic normal distribution of a fitted model's log-parameters.

    ``names`` in the model's order, ``theta`` the log-parameters at the optimum and
    ``covariance_log`` the inverse observed information in theta. ``identified`` is False
    when the information is not positive definite (a parameter the data cannot pin down, e.g.
    a drop-out rate with no visible drop-out); the standard errors are then infinite and every
    interval derived from them unbounded (NaN for predictions).
    """

    names: tuple[str, ...]
    theta: FloatArray
    covariance_log: FloatArray
    identified: bool
    customers: float

    @property
    def estimates(self) -> dict[str, float]:
        return {n: float(v) for n, v in zip(self.names, np.exp(self.theta), strict=True)}

    @property
    def log_standard_errors(self) -> FloatArray:
        """Standard errors of the log-parameters."""
        if not self.identified:
            return np.full(self.theta.size, np.inf)
        return np.sqrt(np.maximum(np.diag(self.covariance_log), 0.0))

    @property
    def standard_errors(self) -> dict[str, float]:
        """se(p) = p se(log p) (delta method), per parameter name."""
        se = np.exp(self.theta) * self.log_standard_errors
        return {n: float(v) for n, v in zip(self.names, se, strict=True)}

    @property
    def covariance(self) -> FloatArray:
        """Covariance of the parameters themselves (delta method: D Sigma D, D = diag(p))."""
        p = np.exp(self.theta)
        if not self.identified:
            return np.full((p.size, p.size), np.inf)
        return self.covariance_log * np.outer(p, p)

    def intervals(self, level: float = DEFAULT_LEVEL) -> dict[str, tuple[float, float]]:
        """``exp(log p +- z se(log p))`` per parameter: positive, and (0, inf) if unidentified."""
        z = _z(level)
        se = self.log_standard_errors
        lo, hi = np.exp(self.theta - z * se), np.exp(self.theta + z * se)
        return {n: (float(a), float(b)) for n, a, b in zip(self.names, lo, hi, strict=True)}

    def as_dict(self, level: float = DEFAULT_LEVEL) -> dict[str, Any]:
        """JSON-ready: ``{"standard_errors", "intervals", "interval_level", "identified"}``
        (None for an infinite bound, which JSON cannot write)."""
        return {
            "interval_level": level,
            "identified": self.identified,
            "standard_errors": {n: _finite(v) for n, v in self.standard_errors.items()},
            "intervals": {n: [_finite(a), _finite(b)] for n, (a, b) in
                          self.intervals(level).items()},
        }


def parameter_uncertainty(
    model: Any, *data: npt.ArrayLike, weights: npt.ArrayLike | None = None
) -> ParameterUncertainty:
    """Standard errors of a fitted model from the observed information at its parameters.

    ``data`` are the columns the model was fitted on, in the same order: ``(frequency,
    recency, T)`` for BG/NBD, MBG/NBD and Pareto/NBD, ``(frequency, monetary_value)`` for
    Gamma-Gamma (customers without repeat spend are left out as the fit leaves them out).
    Any other model with ``params`` and ``log_likelihood_rows(*data)`` works too, through a
    numerical Hessian.
    """
    names = tuple(model.params)
    theta = np.log(np.array([model.params[n] for n in names], dtype=float))
    hessian, total = _information(model, data, weights, theta)
    return _from_information(names, theta, hessian, total)


def _information(
    model: Any, data: tuple[npt.ArrayLike, ...], weights: npt.ArrayLike | None,
    theta: FloatArray,
) -> tuple[FloatArray, float]:
    """Observed information in the log-parameters, and the (weighted) number of customers."""
    from vinculo.analytics.stats import bgnbd, gamma_gamma

    if isinstance(model, bgnbd._BetaGeoBase):
        patterns = compress(weights, *data)
        design = bgnbd._Design(patterns, model._k)
        _, _, h = design.fgh(theta)
        return h * design.total, design.total
    if isinstance(model, gamma_gamma.GammaGamma):
        x, m = as_float_arrays(*data)
        keep = (x > 0) & (m > 0)
        w = np.ones(int(keep.sum())) if weights is None else (
            np.asarray(weights, dtype=float)[keep])
        gdesign = gamma_gamma._Design(x[keep], m[keep], w)
        _, _, h = gdesign.fgh(theta)
        return h * gdesign.total, gdesign.total
    return _numerical_information(model, data, weights, theta)


def _numerical_information(
    model: Any, data: tuple[npt.ArrayLike, ...], weights: npt.ArrayLike | None,
    theta: FloatArray,
) -> tuple[FloatArray, float]:
    """Finite-difference Hessian of the weighted mean negative log-likelihood, on the
    distinct data rows (``numerical_fgh``: fourth order on the diagonal)."""
    patterns = compress(weights, *data)
    w, total = patterns.weights, float(patterns.weights.sum())
    names = tuple(model.params)

    def objective(t: FloatArray) -> float:
        moved = dataclasses.replace(model, **dict(zip(names, np.exp(t).tolist(), strict=True)))
        ll = moved.log_likelihood_rows(*patterns.columns)
        return float(-(w @ ll) / total) if np.all(np.isfinite(ll)) else np.inf

    with np.errstate(all="ignore"):
        _, _, h = numerical_fgh(objective)(theta)
    return h * total, total


def _from_information(
    names: tuple[str, ...], theta: FloatArray, information: FloatArray, total: float
) -> ParameterUncertainty:
    k = theta.size
    identified = bool(np.all(np.isfinite(information)))
    cov = np.full((k, k), np.nan)
    if identified:
        try:
            chol = np.linalg.cholesky(information)
            inv_chol = np.linalg.solve(chol, np.eye(k))
            cov = inv_chol.T @ inv_chol
        except np.linalg.LinAlgError:
            identified = False
    if identified:
        # A parameter whose log moves by more than the whole fitting box within one standard
        # error is not identified by the data (a flat direction of the likelihood).
        identified = bool(np.all(np.isfinite(cov)) and np.max(np.diag(cov)) < 20.0**2)
    return ParameterUncertainty(names, theta, cov, identified, total)


# ------------------------------------------------------------------- per-customer intervals


def delta_interval(
    predict: Callable[[Any], FloatArray],
    model: Any,
    uncertainty: ParameterUncertainty,
    *,
    level: float = DEFAULT_LEVEL,
    scale: str = "log",
) -> Interval:
    """Interval of ``predict(model)`` from the parameters' uncertainty (delta method).

    ``predict`` maps a model (a copy with moved parameters) to an array of predictions;
    ``scale`` is where the prediction is treated as normal: ``"log"`` (positive amounts),
    ``"logit"`` (probabilities) or ``"linear"``. Where the prediction sits on the edge of its
    scale (an amount of 0, a probability of exactly 0 or 1) the interval is that point.
    """
    estimate, var = _delta_variance(predict, model, uncertainty, scale)
    return _bounds(estimate, var, scale, level)


def _delta_variance(
    predict: Callable[[Any], FloatArray], model: Any, uncertainty: ParameterUncertainty,
    scale: str,
) -> tuple[FloatArray, FloatArray]:
    """The prediction and the variance of its transform (NaN if the model is unidentified)."""
    ((estimate, var),) = _delta_variances(lambda m: (predict(m),), model, uncertainty, (scale,))
    return estimate, var


def _delta_variances(
    predict: Callable[[Any], tuple[FloatArray, ...]], model: Any,
    uncertainty: ParameterUncertainty, scales: tuple[str, ...],
) -> list[tuple[FloatArray, FloatArray]]:
    """:func:`_delta_variance` for several predictions computed together (one call of
    ``predict`` per moved parameter for all of them)."""
    estimates = [np.asarray(e, dtype=float) for e in predict(model)]
    if not uncertainty.identified:
        return [(e, np.full(e.shape, np.nan)) for e in estimates]
    forwards = [_SCALES[scale][0] for scale in scales]
    with np.errstate(all="ignore"):
        bases = [f(e) for f, e in zip(forwards, estimates, strict=True)]
        grads: list[list[FloatArray]] = [[] for _ in estimates]
        for i, name in enumerate(uncertainty.names):
            moved = dataclasses.replace(
                model, **{name: float(np.exp(uncertainty.theta[i] + _STEP))})
            for k, value in enumerate(predict(moved)):
                grads[k].append((forwards[k](np.asarray(value, dtype=float)) - bases[k]) / _STEP)
        out = []
        for estimate, base, grad in zip(estimates, bases, grads, strict=True):
            jac = np.stack(grad, axis=-1)
            var = np.einsum("...i,ij,...j->...", jac, uncertainty.covariance_log, jac)
            # On the edge of the scale (log 0, logit 1) the transform is infinite: a point.
            out.append((estimate, np.where(np.isfinite(base), var, 0.0)))
    return out


def _bounds(estimate: FloatArray, var: FloatArray, scale: str, level: float) -> Interval:
    forward, back = _SCALES[scale]
    z = _z(level)
    with np.errstate(all="ignore"):
        centre = forward(estimate)
        half = z * np.sqrt(np.maximum(var, 0.0))
        lower = np.where(np.isfinite(centre), back(centre - half), estimate)
        upper = np.where(np.isfinite(centre), back(centre + half), estimate)
    lower = np.where(np.isnan(var), np.nan, lower)
    upper = np.where(np.isnan(var), np.nan, upper)
    return Interval(estimate, lower, upper)


def probability_alive_interval(
    model: Any, uncertainty: ParameterUncertainty, frequency: npt.ArrayLike,
    recency: npt.ArrayLike, T: npt.ArrayLike, *, level: float = DEFAULT_LEVEL,
) -> Interval:
    """P(alive) with its interval (on the logit scale) for each customer."""
    (x, tx, TT), expand = _distinct(frequency, recency, T)
    return expand(delta_interval(lambda m: m.probability_alive(x, tx, TT), model, uncertainty,
                                 level=level, scale="logit"))


def expected_purchases_interval(
    model: Any, uncertainty: ParameterUncertainty, t: npt.ArrayLike,
    frequency: npt.ArrayLike, recency: npt.ArrayLike, T: npt.ArrayLike, *,
    level: float = DEFAULT_LEVEL,
) -> Interval:
    """Expected purchases in (T, T + t] with its interval (log scale) for each customer
    (``t`` a scalar horizon)."""
    (x, tx, TT), expand = _distinct(frequency, recency, T)
    return expand(delta_interval(lambda m: m.conditional_expected_purchases(t, x, tx, TT),
                                 model, uncertainty, level=level, scale="log"))


def expected_spend_interval(
    spend_model: Any, uncertainty: ParameterUncertainty, frequency: npt.ArrayLike,
    monetary_value: npt.ArrayLike, *, level: float = DEFAULT_LEVEL,
) -> Interval:
    """Gamma-Gamma's expected spend per purchase with its interval (log scale)."""
    x, m = as_float_arrays(frequency, monetary_value)
    return delta_interval(lambda g: g.conditional_expected_spend(x, m), spend_model,
                          uncertainty, level=level, scale="log")


def clv_interval(
    model: Any,
    uncertainty: ParameterUncertainty,
    frequency: npt.ArrayLike,
    recency: npt.ArrayLike,
    T: npt.ArrayLike,
    *,
    spend_model: Any = None,
    spend_uncertainty: ParameterUncertainty | None = None,
    monetary_value: npt.ArrayLike | None = None,
    expected_spend: npt.ArrayLike | None = None,
    level: float = DEFAULT_LEVEL,
    **clv_options: Any,
) -> Interval:
    """CLV (``clv.customer_lifetime_value``) with its interval for each customer.

    Spend comes from ``spend_model`` (Gamma-Gamma, with ``monetary_value``), whose parameter
    uncertainty is added to the purchase model's when ``spend_uncertainty`` is given, or is a
    fixed ``expected_spend`` per customer (no uncertainty of its own). ``clv_options`` are
    ``customer_lifetime_value``'s (margin, periods, period_length, discount_rate).
    """
    from vinculo.analytics.stats.clv import customer_lifetime_value

    x, tx, TT = (np.atleast_1d(a).ravel() for a in as_float_arrays(frequency, recency, T))
    spend, spend_var = _spend(x, spend_model, spend_uncertainty, monetary_value, expected_spend)
    # The purchase part with unit spend: the log of CLV is its log plus log(spend).
    options = {**clv_options, "margin": 1.0}
    margin = np.ravel(np.asarray(clv_options.get("margin", 1.0), dtype=float))
    (ux, utx, uT), expand = _distinct(x, tx, TT)
    purchases, var = (expand(v) for v in _delta_variance(
        lambda mod: customer_lifetime_value(mod, ux, utx, uT, 1.0, **options), model,
        uncertainty, "log"))
    value = spend * margin
    return _point_if_not_positive(_bounds(purchases * value, var + spend_var, "log", level))


def customer_intervals(
    model: Any,
    uncertainty: ParameterUncertainty,
    frequency: npt.ArrayLike,
    recency: npt.ArrayLike,
    T: npt.ArrayLike,
    *,
    horizon: float,
    periods: int,
    period_length: float = 1.0,
    discount_rate: float = 0.01,
    margin: npt.ArrayLike = 1.0,
    spend_model: Any = None,
    spend_uncertainty: ParameterUncertainty | None = None,
    monetary_value: npt.ArrayLike | None = None,
    expected_spend: npt.ArrayLike | None = None,
    level: float = DEFAULT_LEVEL,
) -> dict[str, Interval]:
    """P(alive), expected purchases over ``horizon`` and CLV with their intervals, together.

    The same numbers as :func:`probability_alive_interval`, :func:`expected_purchases_interval`
    and :func:`clv_interval`, for a third of the work: the customers are reduced to their
    distinct (x, t_x, T) once and each moved model is evaluated once for all three
    predictions (P(alive) per distinct history, the hypergeometric expectation per distinct
    (x, T) on the periods' grid and the horizon). Keys ``p_alive``, ``expected_purchases``,
    ``clv``; arrays aligned with the input customers.
    """
    if discount_rate <= -1:
        raise ValueError("discount_rate must be > -1")
    x, tx, TT = (np.atleast_1d(a).ravel() for a in as_float_arrays(frequency, recency, T))
    (ux, utx, uT), expand = _distinct(x, tx, TT)
    pairs = compress(None, ux, uT)
    px, pT = pairs.columns
    grid = np.append(period_length * np.arange(periods + 1, dtype=float), float(horizon))
    discount = (1.0 + discount_rate) ** -np.arange(1, periods + 1, dtype=float)

    def predict(m: Any) -> tuple[FloatArray, FloatArray, FloatArray]:
        alive = m.probability_alive(ux, utx, uT)
        cumulative = m.expected_purchases_if_alive(grid[None, :], px[:, None], pT[:, None])
        per_period = np.maximum(np.diff(cumulative[:, :-1], axis=1), 0.0)
        return (alive, alive * cumulative[pairs.inverse, -1],
                alive * (per_period @ discount)[pairs.inverse])

    (alive, alive_var), (expected, expected_var), (unit_clv, clv_var) = (
        (expand(e), expand(v)) for e, v in
        _delta_variances(predict, model, uncertainty, ("logit", "log", "log")))
    spend, spend_var = _spend(x, spend_model, spend_uncertainty, monetary_value, expected_spend)
    value = spend * np.ravel(np.asarray(margin, dtype=float))
    return {
        "p_alive": _bounds(alive, alive_var, "logit", level),
        "expected_purchases": _bounds(expected, expected_var, "log", level),
        "clv": _point_if_not_positive(_bounds(unit_clv * value, clv_var + spend_var, "log",
                                              level)),
    }


def _spend(
    x: FloatArray, spend_model: Any, spend_uncertainty: ParameterUncertainty | None,
    monetary_value: npt.ArrayLike | None, expected_spend: npt.ArrayLike | None,
) -> tuple[FloatArray, FloatArray]:
    """Expected spend per customer and the variance of its log (0 when it is taken as known)."""
    if spend_model is not None:
        m = np.ravel(np.asarray(monetary_value, dtype=float))
        if spend_uncertainty is not None:
            return _delta_variance(lambda g: g.conditional_expected_spend(x, m), spend_model,
                                   spend_uncertainty, "log")
        return spend_model.conditional_expected_spend(x, m), np.zeros(x.shape)
    spend = np.broadcast_to(np.asarray(expected_spend, dtype=float), x.shape)
    return spend, np.zeros(x.shape)


def _point_if_not_positive(out: Interval) -> Interval:
    """A customer whose CLV is 0 or negative (no margin, no spend) has a point "interval"."""
    with np.errstate(invalid="ignore"):
        flat = ~(out.estimate > 0)
    return Interval(out.estimate, np.where(flat, out.estimate, out.lower),
                    np.where(flat, out.estimate, out.upper))


# ------------------------------------------------------------------------------ helpers


def _distinct(
    *columns: npt.ArrayLike,
) -> tuple[list[FloatArray], Callable[[Any], Any]]:
    """The distinct rows of the customers' columns, and a function that spreads a result on
    them (an array or an ``Interval``) back to every customer in the input's shape.

    A million customers have a few tens of thousands of distinct (x, t_x, T): the predictions
    and their gradients are evaluated once per distinct history, not once per customer.
    """
    arrays = as_float_arrays(*columns)
    shape = arrays[0].shape
    flat = [a.ravel() for a in arrays]
    if flat[0].size < 256:  # not worth a sort
        return flat, lambda r: _map(r, lambda a: a.reshape(shape))
    patterns = compress(None, *flat)
    inverse = patterns.inverse
    return patterns.columns, lambda r: _map(r, lambda a: a[inverse].reshape(shape))


def _map(result: Any, fn: Callable[[FloatArray], FloatArray]) -> Any:
    if isinstance(result, Interval):
        return Interval(*(fn(np.asarray(a)) for a in result))
    return fn(np.asarray(result))



def _z(level: float) -> float:
    if not 0 < level < 1:
        raise ValueError(f"the interval level must be between 0 and 1 (got {level})")
    return float(ndtri(0.5 + level / 2))  # the normal quantile, without importing scipy.stats


def _finite(v: float) -> float | None:
    return float(v) if np.isfinite(v) else None


def _identity(v: FloatArray) -> FloatArray:
    return v


_SCALES: dict[str, tuple[Callable[[FloatArray], FloatArray],
                         Callable[[FloatArray], FloatArray]]] = {
    "log": (np.log, np.exp),
    "logit": (logit, expit),
    "linear": (_identity, _identity),
}
