"""BG/BB and sBG reproduce their published fits, and their predictions agree with independent
computations (brute-force sums, lifetimes' BG/BB)."""

from __future__ import annotations

import importlib.resources
import time

import numpy as np
import pytest
from scipy.special import betaln

from vinculo.analytics.stats.bgbb import BGBB
from vinculo.analytics.stats.sbg import ShiftedBetaGeometric

# Fader, Hardie & Shang (2010), "Customer-base analysis in a discrete-time noncontractual
# setting", Table 1: the 11,104 first-time supporters of 1995, by their pattern of repeat
# donations over the next six annual opportunities (1996-2001), as (x, t_x, number of donors).
DONATIONS = [
    (6, 6, 1203), (5, 6, 728), (4, 6, 512), (3, 6, 357), (2, 6, 234), (1, 6, 129),
    (5, 5, 335), (4, 5, 284), (3, 5, 225), (2, 5, 173), (1, 5, 119),
    (4, 4, 240), (3, 4, 181), (2, 4, 155), (1, 4, 78),
    (3, 3, 322), (2, 3, 255), (1, 3, 129),
    (2, 2, 613), (1, 2, 277),
    (1, 1, 1091),
    (0, 0, 3464),
]
N_OPPORTUNITIES = 6

REGULAR = [1000, 631, 468, 382, 326, 289, 262, 241]
HIGH_END = [1000, 869, 743, 653, 593, 551, 517, 491]


@pytest.fixture(scope="module")
def donations():
    table = np.array(DONATIONS, dtype=float)
    return table[:, 0], table[:, 1], np.full(len(table), N_OPPORTUNITIES), table[:, 2]


@pytest.fixture(scope="module")
def bgbb(donations):
    return BGBB.fit(*donations)


def test_donations_fixture_is_the_published_table(donations):
    x, tx, _n, w = donations
    assert w.sum() == 11_104 and len(w) == 22
    # The same table ships with lifetimes (datasets/donations.csv), typed in independently.
    path = importlib.resources.files("lifetimes") / "datasets" / "donations.csv"
    shipped = np.loadtxt(path.read_text().splitlines()[1:], delimiter=",")
    ours = {(a, b): c for a, b, c in zip(x, tx, w, strict=True)}
    assert {(a, b): c for a, b, _, c in shipped} == ours


def test_bgbb_reproduces_published_donations_fit(bgbb):
    assert (bgbb.alpha, bgbb.beta, bgbb.gamma, bgbb.delta) == pytest.approx(
        (1.204, 0.750, 0.657, 2.783), abs=5e-4)
    assert bgbb.log_likelihood == pytest.approx(-33_225.6, abs=0.05)


def test_bgbb_is_the_maximum(bgbb, donations):
    """No nearby parameter set has a higher likelihood (the optimiser did converge)."""
    rng = np.random.default_rng(1)
    x, tx, n, w = donations
    for _ in range(20):
        p = np.exp(np.log(list(bgbb.params.values())) + rng.normal(0, 1e-3, 4))
        other = BGBB(*p)
        assert w @ other.log_likelihood_rows(x, tx, n) <= bgbb.log_likelihood + 1e-6


def _brute_likelihood(m, x, tx, n):
    """Sum over every possible drop-out time and every purchase path, by integration over p
    and theta with Beta functions (the definition, not the paper's closed form)."""
    a, b, g, d = m.alpha, m.beta, m.gamma, m.delta
    # alive through n, or dead right after opportunity k (k = t_x .. n-1)
    total = np.exp(betaln(a + x, b + n - x) - betaln(a, b)
                   + betaln(g, d + n) - betaln(g, d))
    for k in range(int(tx), int(n)):
        total += np.exp(betaln(a + x, b + k - x) - betaln(a, b)
                        + betaln(g + 1, d + k) - betaln(g, d))
    return total


def test_bgbb_likelihood_and_predictions_match_independent_computations(bgbb, donations):
    x, tx, n, _ = donations
    ll = bgbb.log_likelihood_rows(x, tx, n)
    brute = np.log([_brute_likelihood(bgbb, *row) for row in zip(x, tx, n, strict=True)])
    np.testing.assert_allclose(ll, brute, rtol=1e-12)
    # Expected transactions of an alive-at-n customer = sum of survival times mean p,
    # checked by simulation-free summation over the next opportunities.
    m = bgbb
    expected_new = sum(m.alpha / (m.alpha + m.beta) * np.exp(betaln(m.gamma, m.delta + k)
                                                             - betaln(m.gamma, m.delta))
                       for k in range(1, 6))
    assert float(m.expected_purchases(5)) == pytest.approx(expected_new, rel=1e-12)


def test_bgbb_agrees_with_lifetimes(bgbb, donations):
    pd = pytest.importorskip("pandas")
    lifetimes = pytest.importorskip("lifetimes")
    x, tx, n, _ = donations
    ref = lifetimes.BetaGeoBetaBinomFitter()
    ref.params_ = pd.Series(bgbb.params)
    np.testing.assert_allclose(bgbb.probability_alive(x, tx, n),
                               ref.conditional_probability_alive(1, x, tx, n), rtol=1e-10)
    np.testing.assert_allclose(bgbb.conditional_expected_purchases(5, x, tx, n),
                               ref.conditional_expected_number_of_purchases_up_to_time(
                                   5, x, tx, n), rtol=1e-10)
    # Regression value of the unconditional curve: 3.39 repeat donations per donor in 11 years.
    assert float(bgbb.expected_purchases(11)) == pytest.approx(3.39, abs=0.01)


def test_bgbb_fit_is_fast_and_bad_input_is_refused(donations):
    started = time.process_time()
    BGBB.fit(*donations)
    assert time.process_time() - started < 2
    with pytest.raises(ValueError, match="frequency <= recency"):
        BGBB.fit([3], [2], [6])
    with pytest.raises(ValueError, match="recency is 0 exactly when frequency is 0"):
        BGBB.fit([0], [2], [6])
    with pytest.raises(ValueError, match="whole numbers"):
        BGBB.fit([1.5], [2], [6])
    with pytest.raises(ValueError, match="no customers"):
        BGBB.fit([], [], [])


@pytest.mark.parametrize(("survivors", "gamma", "delta", "ll"), [
    (REGULAR, 0.704, 1.182, -1680.27),
    (HIGH_END, 0.668, 3.806, -1611.16),
])
def test_sbg_reproduces_published_fits(survivors, gamma, delta, ll):
    m = ShiftedBetaGeometric.fit_survivors(survivors)
    assert (m.gamma, m.delta) == pytest.approx((gamma, delta), abs=5e-4)
    assert m.log_likelihood == pytest.approx(ll, abs=5e-3)
    # The fitted curve is close to the data (F&H 2007, Figure 3).
    np.testing.assert_allclose(m.survival(np.arange(8)) * 1000, survivors, rtol=0.03)


def test_sbg_per_customer_fit_equals_the_cohort_fit():
    """One row per customer (churn period or censored at 7) gives the same fit."""
    s = np.array(REGULAR)
    periods = np.concatenate([np.repeat(np.arange(1, 8), -np.diff(s)), np.full(s[-1], 7)])
    churned = np.concatenate([np.ones(1000 - s[-1], bool), np.zeros(s[-1], bool)])
    m = ShiftedBetaGeometric.fit(periods, churned)
    assert (m.gamma, m.delta) == pytest.approx((0.704, 1.182), abs=5e-4)
    assert m.log_likelihood == pytest.approx(-1680.27, abs=5e-3)


def test_sbg_retention_and_derl():
    m = ShiftedBetaGeometric.fit_survivors(REGULAR)
    t = np.arange(1, 8)
    np.testing.assert_allclose(m.retention_rate(t), m.survival(t) / m.survival(t - 1),
                               rtol=1e-12)
    assert np.all(np.diff(m.retention_rate(t)) > 0)  # rises with tenure (heterogeneity)
    np.testing.assert_allclose(m.churn_probability(t), m.survival(t - 1) - m.survival(t),
                               rtol=1e-10)
    d = 0.10
    for renewals in (0, 1, 4, 10):
        n = renewals + 1
        k = np.arange(n, n + 4000)
        brute = np.sum(m.survival(k) / m.survival(n - 1) * (1 + d) ** -(k - n))
        assert float(m.derl(d, renewals)) == pytest.approx(brute, rel=1e-9)
    # DEL = 2F1(1, delta; gamma + delta; 1/(1+d)) (F&H 2010), here about 3.69 payments.
    assert m.expected_lifetime_value(d) == pytest.approx(3.695, abs=1e-3)
    assert m.derl(d, 4) > m.derl(d, 0)  # long-standing customers are worth more
    with pytest.raises(ValueError, match="discount_rate"):
        m.derl(0.0)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"survivors": [1000]}, "at least one later count"),
    ({"survivors": [1000, 1100]}, "never increase"),
    ({"survivors": [1000, 1000, 1000]}, "nobody churned"),
    ({"survivors": [0, 0]}, "positive cohort size"),
])
def test_sbg_refuses_unidentified_or_bad_cohorts(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ShiftedBetaGeometric.fit_survivors(**kwargs)


def test_sbg_refuses_everybody_gone_after_one_period_and_bad_rows():
    with pytest.raises(ValueError, match="not identified"):
        ShiftedBetaGeometric.fit([1, 1, 1], [True, True, True])
    with pytest.raises(ValueError, match="periods must be whole numbers"):
        ShiftedBetaGeometric.fit([0, 2], [True, False])
