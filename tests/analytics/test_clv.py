"""CLV: model-based NPV, simple retention formula, historical value."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vinculo.analytics.stats.bgnbd import BGNBD
from vinculo.analytics.stats.clv import (
    customer_lifetime_value,
    expected_purchases_by_period,
    historical_clv,
    simple_clv,
)
from vinculo.analytics.stats.gamma_gamma import GammaGamma
from vinculo.analytics.stats.pareto import ParetoNBD

BG = BGNBD(0.243, 4.414, 0.793, 2.426)
GG = GammaGamma(6.25, 3.74, 15.44)
X = np.array([0, 1, 2, 7, 40])
TX = np.array([0.0, 1.71, 30.43, 35.0, 38.0])
TT = np.full(5, 38.86)


def test_periods_add_up_to_conditional_expectation():
    per = expected_purchases_by_period(BG, X, TX, TT, periods=12, period_length=4.0)
    assert per.shape == (5, 12) and np.all(per >= 0)
    np.testing.assert_allclose(per.sum(axis=1), BG.conditional_expected_purchases(48, X, TX, TT))


def test_npv_is_the_discounted_sum():
    spend = GG.conditional_expected_spend(X, np.array([0, 11.77, 22.35, 30.0, 25.0]))
    clv = customer_lifetime_value(
        BG, X, TX, TT, spend, margin=0.3, periods=3, period_length=4.0, discount_rate=0.01
    )
    cum = [BG.conditional_expected_purchases(4.0 * k, X, TX, TT) for k in range(4)]
    manual = sum((cum[k] - cum[k - 1]) * spend * 0.3 / 1.01**k for k in range(1, 4))
    np.testing.assert_allclose(clv, manual)


@settings(max_examples=60, deadline=None)
@given(
    periods=st.integers(1, 40),
    extra=st.integers(1, 20),
    rate=st.floats(0.0, 0.5),
    bump=st.floats(0.001, 0.5),
    pareto=st.booleans(),
)
def test_clv_rises_with_horizon_and_falls_with_discount(periods, extra, rate, bump, pareto):
    model = ParetoNBD(0.553, 10.578, 0.606, 11.669) if pareto else BG
    spend = np.full(5, 20.0)

    def clv(p, d):
        return customer_lifetime_value(model, X, TX, TT, spend, periods=p, discount_rate=d)

    base = clv(periods, rate)
    assert np.all(np.isfinite(base)) and np.all(base >= 0)
    assert np.all(clv(periods + extra, rate) >= base - 1e-12)
    assert np.all(clv(periods, rate + bump) <= base + 1e-12)


def test_simple_clv():
    assert simple_clv(100.0, 0.8, 0.1) == pytest.approx(100 * 1.1 / 0.3)
    assert simple_clv(100.0, 0.8, 0.1, periods=1) == pytest.approx(100.0)
    assert simple_clv(100.0, 0.8, 0.1, periods=2) == pytest.approx(100 + 100 * 0.8 / 1.1)
    assert simple_clv(100.0, 0.8, 0.1, periods=2000) == pytest.approx(simple_clv(100.0, 0.8, 0.1))
    np.testing.assert_allclose(simple_clv([1.0, 2.0], 0.5, 0.0), [2.0, 4.0])


def test_historical_clv():
    customers, value = historical_clv(["b", "a", "b"], [10.0, 5.0, 2.5])
    assert customers.tolist() == ["a", "b"] and value.tolist() == [5.0, 12.5]
    _, compounded = historical_clv(
        [1, 1],
        [100.0, 100.0],
        dates=["2023-01-01", "2024-01-01"],
        as_of="2024-01-01",
        annual_rate=0.1,
    )
    assert compounded[0] == pytest.approx(100 * 1.1 ** (365 / 365.25) + 100)
