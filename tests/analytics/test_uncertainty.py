"""Standard errors and intervals (``stats.uncertainty``): parity with lifetimes' Hessian standard
errors, coverage of the 90 % intervals on data drawn from known parameters, agreement of the
delta method with a parametric bootstrap, and intervals that widen as the data shrink.

Coverage tolerance: with R independent repetitions a nominal 90 % interval covers the truth a
Binomial(R, 0.9) / R share of the time, whose standard deviation is sqrt(0.09 / R) (1.7 points
at R = 300, 3.4 at R = 80). Each parameter's coverage must be within 3 of those standard
deviations of 90 %: a correct method fails that about 3 times in 1,000 (the seeds are fixed, so
the test is deterministic), while a standard error off by a third moves the coverage to ~77 % or
~97 % and fails.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from vinculo.analytics.stats.bgnbd import BGNBD, MBGNBD
from vinculo.analytics.stats.clv import customer_lifetime_value
from vinculo.analytics.stats.gamma_gamma import GammaGamma
from vinculo.analytics.stats.pareto import ParetoNBD
from vinculo.analytics.stats.simulate import simulate_bgnbd, simulate_gamma_gamma
from vinculo.analytics.stats.uncertainty import (
    clv_interval,
    customer_intervals,
    expected_purchases_interval,
    expected_spend_interval,
    parameter_uncertainty,
    probability_alive_interval,
)

pd = pytest.importorskip("pandas")
lifetimes = pytest.importorskip("lifetimes")

BG_TRUTH = {"r": 0.5, "alpha": 5.0, "a": 0.8, "b": 2.5}
PNBD_TRUTH = {"r": 0.55, "alpha": 10.0, "s": 0.6, "beta": 12.0}
GG_TRUTH = {"p": 6.0, "q": 4.0, "gamma": 15.0}
CLV_OPTIONS = {"periods": 12, "period_length": 365.25 / 12 / 7, "discount_rate": 0.01}
# Fixed histories scored by every fit: (x, t_x, T, mean repeat spend).
HIST_X = np.array([0.0, 1.0, 3.0, 8.0, 2.0])
HIST_TX = np.array([0.0, 10.0, 45.0, 50.0, 5.0])
HIST_T = np.full(5, 52.0)
HIST_M = np.array([0.0, 20.0, 35.0, 18.0, 60.0])


def _tolerance(reps: int) -> float:
    return 3 * math.sqrt(0.9 * 0.1 / reps)


def _covered(intervals: dict[str, tuple[float, float]], truth: dict[str, float]) -> list[bool]:
    return [intervals[k][0] <= v <= intervals[k][1] for k, v in truth.items()]


def simulate_mbgnbd(n, r, alpha, a, b, T, rng):
    """MBG/NBD: a customer may also drop out right after the first purchase, so the number of
    repeat purchases survived is Geometric(p) - 1."""
    lam = rng.gamma(r, 1.0 / alpha, n)
    p = rng.beta(a, b, n)
    arrivals = rng.poisson(lam * T)
    x = np.minimum(arrivals, rng.geometric(p) - 1)
    recency = np.where(x > 0, T * rng.beta(np.maximum(x, 1), arrivals - x + 1), 0.0)
    return x, recency, np.full(n, float(T))


def simulate_pareto_nbd(n, r, alpha, s, beta, T, rng):
    """Pareto/NBD: Poisson(lambda) purchases over an Exponential(mu) lifetime cut at T; the last
    of x uniform arrivals on the observed life is life * Beta(x, 1)."""
    lam = rng.gamma(r, 1.0 / alpha, n)
    mu = rng.gamma(s, 1.0 / beta, n)
    life = np.minimum(rng.exponential(1.0 / mu), T)
    x = rng.poisson(lam * life)
    recency = np.where(x > 0, life * rng.beta(np.maximum(x, 1), 1.0), 0.0)
    return x, recency, np.full(n, float(T))


# --- standard errors ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cdnow_file(lifetimes_summary_file):
    d = lifetimes_summary_file
    return (d.x.to_numpy(float), d.t_x.to_numpy(float), d["T"].to_numpy(float),
            d.zbar.to_numpy(float))


@pytest.mark.parametrize("ours, theirs", [(BGNBD, "BetaGeoFitter"),
                                          (MBGNBD, "ModifiedBetaGeoFitter")])
def test_purchase_model_standard_errors_match_lifetimes(cdnow_file, ours, theirs):
    x, tx, T, _ = cdnow_file
    se = parameter_uncertainty(ours.fit(x, tx, T), x, tx, T).standard_errors
    reference = getattr(lifetimes, theirs)().fit(x, tx, T).standard_errors_
    for name, value in se.items():
        assert value == pytest.approx(reference[name], rel=1e-4), name


def test_gamma_gamma_standard_errors_match_lifetimes(cdnow_file):
    x, _, _, m = cdnow_file
    u = parameter_uncertainty(GammaGamma.fit(x, m), x, m)
    keep = x > 0
    reference = lifetimes.GammaGammaFitter().fit(x[keep], m[keep]).standard_errors_
    assert u.standard_errors["p"] == pytest.approx(reference["p"], rel=1e-4)
    assert u.standard_errors["q"] == pytest.approx(reference["q"], rel=1e-4)
    assert u.standard_errors["gamma"] == pytest.approx(reference["v"], rel=1e-4)


def test_pareto_standard_errors_from_the_numerical_hessian_are_stable(cdnow_file):
    """lifetimes gives no Pareto/NBD standard errors; ours must agree with a plain
    second-order difference of the summed log-likelihood with a 10x larger step."""
    x, tx, T, _ = cdnow_file
    model = ParetoNBD.fit(x, tx, T)
    u = parameter_uncertainty(model, x, tx, T)
    theta, h = u.theta, 1e-2
    names = list(model.params)

    def ll(t):
        moved = ParetoNBD(*np.exp(t))
        return float(moved.log_likelihood_rows(x, tx, T).sum())

    eye = np.eye(4) * h
    hess = np.array([[(ll(theta + eye[i] + eye[j]) - ll(theta + eye[i] - eye[j])
                       - ll(theta - eye[i] + eye[j]) + ll(theta - eye[i] - eye[j])) / (4 * h * h)
                      for j in range(4)] for i in range(4)])
    se = np.exp(theta) * np.sqrt(np.diag(np.linalg.inv(-hess)))
    for name, value in zip(names, se, strict=True):
        assert u.standard_errors[name] == pytest.approx(value, rel=2e-2), name
    assert u.identified and all(v > 0 for v in u.standard_errors.values())


def test_intervals_are_positive_and_contain_the_estimate(cdnow_file):
    x, tx, T, _ = cdnow_file
    u = parameter_uncertainty(BGNBD.fit(x, tx, T), x, tx, T)
    narrow, wide = u.intervals(0.5), u.intervals(0.99)
    for name, value in u.estimates.items():
        assert 0 < wide[name][0] < narrow[name][0] < value < narrow[name][1] < wide[name][1]
    data = u.as_dict(0.9)
    assert data["interval_level"] == 0.9 and data["identified"] is True
    assert set(data["intervals"]) == {"r", "alpha", "a", "b"}


def test_an_unidentified_fit_says_so_instead_of_inventing_standard_errors():
    """Everyone buys steadily to the end: nobody visibly drops out, so a -> 0, b -> inf."""
    rng = np.random.default_rng(0)
    x = rng.poisson(rng.gamma(50, 1 / 50, 300) * 52)
    tx = np.where(x > 0, 52 * rng.beta(np.maximum(x, 1), 1), 0.0)
    T = np.full(300, 52.0)
    model = BGNBD.fit(x, tx, T)
    u = parameter_uncertainty(model, x, tx, T)
    assert not u.identified
    assert all(math.isinf(v) for v in u.standard_errors.values())
    assert u.as_dict()["standard_errors"]["a"] is None  # JSON has no infinity
    alive = probability_alive_interval(model, u, x[:3], tx[:3], T[:3])
    assert np.all(np.isnan(alive.lower)) and np.all(np.isnan(alive.upper))


def test_interval_level_outside_zero_one_is_refused(cdnow_file):
    x, tx, T, _ = cdnow_file
    u = parameter_uncertainty(BGNBD.fit(x, tx, T), x, tx, T)
    with pytest.raises(ValueError, match="level"):
        u.intervals(90)


# --- coverage on data drawn from known parameters ------------------------------------------


def _coverage_check(hits: list[list[bool]], names) -> None:
    share = np.mean(hits, axis=0)
    tol = _tolerance(len(hits))
    for name, value in zip(names, share, strict=True):
        assert abs(value - 0.9) <= tol, f"{name}: {value:.3f} of {len(hits)} intervals"


def test_bgnbd_parameter_and_customer_intervals_cover_the_truth_90_percent():
    """300 fits of 1,000 customers (~3 s). Per customer the truth is the prediction at the
    true parameters: that is what the interval of the estimated expectation must contain."""
    rng = np.random.default_rng(20261206)
    truth_model = BGNBD(**BG_TRUTH)
    gg = GammaGamma(**GG_TRUTH)
    true_alive = truth_model.probability_alive(HIST_X, HIST_TX, HIST_T)
    true_expected = truth_model.conditional_expected_purchases(52, HIST_X, HIST_TX, HIST_T)
    true_clv = customer_lifetime_value(truth_model, HIST_X, HIST_TX, HIST_T,
                                       gg.conditional_expected_spend(HIST_X, HIST_M),
                                       **CLV_OPTIONS)
    hits, alive_hits, expected_hits, clv_hits = [], [], [], []
    for _ in range(300):
        x, tx, T = simulate_bgnbd(1000, *BG_TRUTH.values(), 52.0, rng=rng)
        model = BGNBD.fit(x, tx, T)
        u = parameter_uncertainty(model, x, tx, T)
        hits.append(_covered(u.intervals(0.9), BG_TRUTH))
        alive = probability_alive_interval(model, u, HIST_X[1:], HIST_TX[1:], HIST_T[1:])
        alive_hits.append((alive.lower <= true_alive[1:]) & (true_alive[1:] <= alive.upper))
        exp = expected_purchases_interval(model, u, 52, HIST_X, HIST_TX, HIST_T)
        expected_hits.append((exp.lower <= true_expected) & (true_expected <= exp.upper))
        clv = clv_interval(model, u, HIST_X, HIST_TX, HIST_T, spend_model=gg,
                           monetary_value=HIST_M, **CLV_OPTIONS)
        clv_hits.append((clv.lower <= true_clv) & (true_clv <= clv.upper))
    _coverage_check(hits, BG_TRUTH)
    # x = 0 is alive for sure under BG/NBD (no drop-out before a repeat purchase): left out.
    _coverage_check(alive_hits, [f"P(alive) of history {i}" for i in range(1, 5)])
    _coverage_check(expected_hits, [f"expected purchases of history {i}" for i in range(5)])
    _coverage_check(clv_hits, [f"CLV of history {i}" for i in range(5)])


def test_mbgnbd_intervals_cover_the_truth_90_percent():
    """3,000 customers a fit: at 1,000, MBG/NBD's likelihood is still visibly skewed in r and
    b (their estimates' spread is ~10 % above the standard errors) and the intervals cover
    84-88 %; at 3,000 they cover 89-91 %, as the asymptotics promise."""
    rng = np.random.default_rng(7)
    hits = []
    for _ in range(300):
        x, tx, T = simulate_mbgnbd(3000, *BG_TRUTH.values(), 52.0, rng)
        u = parameter_uncertainty(MBGNBD.fit(x, tx, T), x, tx, T)
        hits.append(_covered(u.intervals(0.9), BG_TRUTH))
    _coverage_check(hits, BG_TRUTH)


def test_gamma_gamma_intervals_cover_the_truth_90_percent():
    rng = np.random.default_rng(11)
    hits = []
    for _ in range(300):
        x = rng.poisson(3.0, 1000)
        m = simulate_gamma_gamma(x, *GG_TRUTH.values(), rng=rng)
        u = parameter_uncertainty(GammaGamma.fit(x, m), x, m)
        hits.append(_covered(u.intervals(0.9), GG_TRUTH))
    _coverage_check(hits, GG_TRUTH)


def test_pareto_nbd_intervals_cover_the_truth_90_percent():
    """80 fits (Pareto/NBD fits take ~0.2 s each here), so the tolerance is ±10 points."""
    rng = np.random.default_rng(3)
    hits = []
    for _ in range(80):
        x, tx, T = simulate_pareto_nbd(1000, *PNBD_TRUTH.values(), 52.0, rng)
        model = ParetoNBD.fit(x, tx, T, initial=tuple(PNBD_TRUTH.values()))
        hits.append(_covered(parameter_uncertainty(model, x, tx, T).intervals(0.9), PNBD_TRUTH))
    _coverage_check(hits, PNBD_TRUTH)


# --- per-customer intervals ----------------------------------------------------------------


def test_delta_method_agrees_with_a_parametric_bootstrap(cdnow_file):
    """The documented choice: on CDNOW (2,357 customers) the delta-method bounds of CLV are
    within 3 % of the 5th and 95th percentiles of 2,000 draws of the parameters."""
    x, tx, T, m = cdnow_file
    bg, gg = BGNBD.fit(x, tx, T), GammaGamma.fit(x, m)
    ub, ug = parameter_uncertainty(bg, x, tx, T), parameter_uncertainty(gg, x, m)
    idx = np.array([0, 1, 5, 20, 100])
    ours = clv_interval(bg, ub, x[idx], tx[idx], T[idx], spend_model=gg, spend_uncertainty=ug,
                        monetary_value=m[idx], **CLV_OPTIONS)
    rng = np.random.default_rng(5)
    draws_bg = np.exp(rng.multivariate_normal(ub.theta, ub.covariance_log, 2000))
    draws_gg = np.exp(rng.multivariate_normal(ug.theta, ug.covariance_log, 2000))
    values = np.array([
        customer_lifetime_value(BGNBD(*pb), x[idx], tx[idx], T[idx],
                                GammaGamma(*pg).conditional_expected_spend(x[idx], m[idx]),
                                **CLV_OPTIONS)
        for pb, pg in zip(draws_bg, draws_gg, strict=True)])
    lo, hi = np.percentile(values, [5, 95], axis=0)
    np.testing.assert_allclose(ours.lower, lo, rtol=0.03)
    np.testing.assert_allclose(ours.upper, hi, rtol=0.03)
    assert np.all(ours.lower < ours.estimate) and np.all(ours.estimate < ours.upper)


def test_clv_intervals_widen_when_the_data_shrink():
    """The same five histories scored by fits on 20,000 and on 500 customers from one process:
    every relative width is larger with less data (about sqrt(40) ~ 6x)."""
    rng = np.random.default_rng(17)
    widths = []
    for n in (20_000, 500):
        x, tx, T = simulate_bgnbd(n, *BG_TRUTH.values(), 52.0, rng=rng)
        m = simulate_gamma_gamma(x, *GG_TRUTH.values(), rng=rng)
        bg, gg = BGNBD.fit(x, tx, T), GammaGamma.fit(x, m)
        clv = clv_interval(bg, parameter_uncertainty(bg, x, tx, T), HIST_X, HIST_TX, HIST_T,
                           spend_model=gg, spend_uncertainty=parameter_uncertainty(gg, x, m),
                           monetary_value=HIST_M, **CLV_OPTIONS)
        widths.append((clv.upper - clv.lower) / clv.estimate)
    big, small = widths
    assert np.all(small > 2 * big), (big, small)


def test_edges_of_the_scale_give_a_point_interval():
    """BG/NBD: a customer with no repeat purchase is alive for sure (P = 1, interval [1, 1]);
    a zero margin gives a CLV of 0 with a point interval."""
    model = BGNBD(**BG_TRUTH)
    rng = np.random.default_rng(1)
    x, tx, T = simulate_bgnbd(2000, *BG_TRUTH.values(), 52.0, rng=rng)
    u = parameter_uncertainty(BGNBD.fit(x, tx, T), x, tx, T)
    alive = probability_alive_interval(model, u, [0, 2], [0, 10], [52, 52])
    assert alive.lower[0] == alive.upper[0] == 1.0
    assert alive.lower[1] < alive.estimate[1] < alive.upper[1]
    clv = clv_interval(model, u, [2], [10], [52], expected_spend=[30.0], margin=0.0,
                       **CLV_OPTIONS)
    assert clv.lower[0] == clv.estimate[0] == clv.upper[0] == 0.0


def test_expected_spend_interval_narrows_with_more_purchases():
    rng = np.random.default_rng(2)
    x = rng.poisson(3.0, 3000)
    m = simulate_gamma_gamma(x, *GG_TRUTH.values(), rng=rng)
    gg = GammaGamma.fit(x, m)
    spend = expected_spend_interval(gg, parameter_uncertainty(gg, x, m), [1, 20], [30.0, 30.0])
    rel = (spend.upper - spend.lower) / spend.estimate
    assert rel[1] < rel[0] and np.all(spend.lower < spend.estimate)


def test_customer_intervals_agree_with_the_separate_functions_and_the_plain_predictions():
    """The one-pass function used by the command and the product (distinct histories, one
    evaluation per moved model) gives the same numbers as the separate functions, and its
    estimates are the library's plain predictions."""
    rng = np.random.default_rng(4)
    T = np.round(rng.uniform(20, 52, 3000) * 7) / 7
    x, tx, T = simulate_bgnbd(3000, *BG_TRUTH.values(), T, grain=1 / 7, rng=rng)
    m = simulate_gamma_gamma(x, *GG_TRUTH.values(), rng=rng)
    bg, gg = BGNBD.fit(x, tx, T), GammaGamma.fit(x, m)
    ub, ug = parameter_uncertainty(bg, x, tx, T), parameter_uncertainty(gg, x, m)
    spend = {"spend_model": gg, "spend_uncertainty": ug, "monetary_value": m}
    together = customer_intervals(bg, ub, x, tx, T, horizon=40.0, margin=0.3, level=0.8,
                                  **spend, **CLV_OPTIONS)
    apart = {
        "p_alive": probability_alive_interval(bg, ub, x, tx, T, level=0.8),
        "expected_purchases": expected_purchases_interval(bg, ub, 40.0, x, tx, T, level=0.8),
        "clv": clv_interval(bg, ub, x, tx, T, level=0.8, margin=0.3, **spend, **CLV_OPTIONS),
    }
    for name, interval in apart.items():
        for a, b in zip(together[name], interval, strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-9, err_msg=name)
    np.testing.assert_allclose(together["p_alive"].estimate, bg.probability_alive(x, tx, T))
    np.testing.assert_allclose(together["expected_purchases"].estimate,
                               bg.conditional_expected_purchases(40.0, x, tx, T))
    np.testing.assert_allclose(
        together["clv"].estimate,
        customer_lifetime_value(bg, x, tx, T, gg.conditional_expected_spend(x, m), margin=0.3,
                                **CLV_OPTIONS))
