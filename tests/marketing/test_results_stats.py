"""The intervals behind the lift and the A/B test, against published values."""

from __future__ import annotations

import math

import pytest

from vinculo.marketing.results import stats


def test_wilson_matches_newcombes_worked_example():
    # Newcombe (1998), Statistics in Medicine 17:857, table II: 81/263 → 0.2553 – 0.3662
    interval = stats.wilson(81, 263)
    assert (round(interval.low, 4), round(interval.high, 4)) == (0.2553, 0.3662)


def test_newcombe_difference_matches_the_published_interval():
    # Newcombe (1998b), Statistics in Medicine 17:873, example (a): 56/70 − 48/80,
    # method 10 (score interval from the two Wilson intervals): 0.0524 to 0.3339
    interval = stats.newcombe(56, 70, 48, 80)
    assert round(interval.estimate, 4) == 0.2
    assert (round(interval.low, 4), round(interval.high, 4)) == (0.0524, 0.3339)


def test_newcombe_stays_within_bounds_with_no_conversions():
    interval = stats.newcombe(0, 10, 0, 10)
    assert interval.estimate == 0 and -1 <= interval.low < 0 < interval.high <= 1
    assert not interval.excludes_zero


def test_welch_from_moments_equals_scipy_on_the_raw_values():
    from scipy import stats as scipy_stats

    one = [0, 0, 10, 25, 0, 40, 0, 0, 12, 3]
    zero = [0, 0, 0, 5, 0, 0, 8, 0]
    m1 = stats.Moments(len(one), sum(one), sum(v * v for v in one))
    m0 = stats.Moments(len(zero), sum(zero), sum(v * v for v in zero))
    expected = scipy_stats.ttest_ind(one, zero, equal_var=False)
    assert stats.welch_p(m1, m0) == pytest.approx(expected.pvalue)
    interval = stats.welch(m1, m0)
    assert interval.estimate == pytest.approx(9 - 13 / 8)
    ci = expected.confidence_interval(0.95)
    assert (interval.low, interval.high) == (pytest.approx(ci.low), pytest.approx(ci.high))


def test_too_few_members_give_no_interval_rather_than_a_wrong_one():
    assert math.isnan(stats.welch(stats.Moments(1, 5, 25), stats.Moments(10, 0, 0)).low)
    assert math.isnan(stats.newcombe(1, 0, 1, 5).estimate)
    with pytest.raises(ValueError, match="between 0 and trials"):
        stats.wilson(6, 5)


def test_two_proportion_test():
    assert stats.proportions_p(50, 100, 50, 100) == pytest.approx(1.0)
    assert stats.proportions_p(60, 100, 40, 100) == pytest.approx(0.00468, abs=1e-4)
