"""Cost to serve, customer P&L, whale curve; intermittent-demand forecasts."""

from __future__ import annotations

import numpy as np
import pytest

from vinculo.analytics.stats.costing import (
    cost_to_serve,
    customer_pnl,
    profitability_segments,
    whale_curve,
)
from vinculo.analytics.stats.forecast import (
    backtest_mase,
    croston,
    forecast_demand,
    mase_scale,
    seasonal_naive,
    tsb,
)


def _pnl():
    counts = {"order": [3, 10, 1], "return": [0, 4, 0], "handling_minute": [30, 200, 5]}
    rates = {"order": 12.0, "return": 25.0, "handling_minute": 0.8}
    cts = cost_to_serve(counts, rates)
    return customer_pnl(["a", "b", "c"], [1000.0, 1500.0, 200.0], [600.0, 900.0, 120.0], cts)


def test_cost_to_serve_is_counts_times_rates():
    m = np.arange(18, dtype=float).reshape(2, 9)
    rates = np.linspace(1, 9, 9)
    np.testing.assert_allclose(cost_to_serve(m, rates).sum(axis=1), m @ rates)
    with pytest.raises(ValueError):
        cost_to_serve(m, {"teleport": 1.0})


def test_pnl_reads_like_an_income_statement():
    pnl = _pnl()
    np.testing.assert_allclose(pnl.cost_to_serve, [60.0, 380.0, 16.0])
    np.testing.assert_allclose(pnl.profit, [340.0, 220.0, 64.0])
    lines = pnl.statement().lines
    labels = [label for label, _, _ in lines]
    assert labels[:3] == ["Revenue", "Cost of goods", "Gross margin"]
    assert labels[-2:] == ["Cost to serve", "Profit"]
    assert dict((k, v) for k, v, _ in lines)["Profit"] == pytest.approx(624.0)
    assert lines[0][2] == 1.0
    assert "Profit" in str(pnl.statement(1))
    groups = pnl.by_group(["x", "y", "x"])
    assert dict((k, v) for k, v, _ in groups["x"].lines)["Profit"] == pytest.approx(404.0)


def test_whale_curve():
    w = whale_curve([50.0, -30.0, 100.0, -20.0])
    np.testing.assert_allclose(w.customer_share, [0, 0.25, 0.5, 0.75, 1.0])
    np.testing.assert_allclose(w.cumulative_profit_pct, [0, 100, 150, 130, 100])
    assert w.peak == 150 and w.peak_share == 0.5
    assert w.order.tolist() == [2, 0, 3, 1]


def test_profitability_segments():
    labels = profitability_segments([-5, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    assert labels[0] == "Loss-making"
    assert set(labels[1:]) == {"Low", "Medium", "High"}
    assert labels[-1] == "High" and labels[1] == "Low"
    custom = profitability_segments([-1, 1, 2], quantiles=(0.5,), labels=("B", "A"), loss_label="L")
    assert custom.tolist() == ["L", "B", "A"]


Y = np.array([0, 0, 3, 0, 0, 0, 2, 0, 4, 0, 0, 0, 0, 5, 0, 0, 1, 0, 0, 3], dtype=float)


def test_croston_by_hand():
    # demands 3 (interval 3), 2 (4), 4 (2), 5 (5), 1 (3), 3 (3); alpha = 0.5
    z, p = 3.0, 3.0
    for size, gap in [(2, 4), (4, 2), (5, 5), (1, 3), (3, 3)]:
        z += 0.5 * (size - z)
        p += 0.5 * (gap - p)
    np.testing.assert_allclose(croston(Y, 3, alpha=0.5), [z / p] * 3)
    np.testing.assert_allclose(croston(Y, 2, alpha=0.5, sba=True), [0.75 * z / p] * 2)
    np.testing.assert_allclose(croston(np.zeros(5), 2), [0, 0])


def test_tsb_decays_after_demand_stops():
    alive = np.r_[np.tile([2.0, 0.0], 20)]
    dead = np.r_[alive, np.zeros(30)]
    assert tsb(dead, 1)[0] < 0.2 * tsb(alive, 1)[0]
    assert croston(dead, 1)[0] == pytest.approx(croston(alive, 1)[0])  # Croston cannot tell


def test_seasonal_naive_and_mase():
    y = np.tile([1.0, 5.0, 2.0, 0.0], 6)
    np.testing.assert_allclose(seasonal_naive(y, 6, 4), [1, 5, 2, 0, 1, 5])
    assert mase_scale([1.0, 3.0, 2.0]) == pytest.approx(1.5)
    assert np.isnan(mase_scale([2.0, 2.0, 2.0]))
    noisy = y + np.random.default_rng(1).uniform(0, 0.3, y.size)
    result = forecast_demand(noisy, 4, season_length=4)
    assert result.method == "seasonal_naive"
    assert result.mase["seasonal_naive"] < result.mase["croston"]
    assert set(result.candidates) == set(result.mase) == {"croston", "sba", "tsb", "seasonal_naive"}


def test_forecast_many_series_and_intermittent_choice():
    rng = np.random.default_rng(3)
    demand = rng.poisson(2.0, (200, 60)) * (rng.random((200, 60)) < 0.15)
    results = forecast_demand(demand.astype(float), 6, season_length=12)
    assert len(results) == 200
    chosen = {r.method for r in results}
    assert chosen & {"croston", "sba", "tsb"}
    scores = backtest_mase(demand.astype(float), 6, season_length=12)
    # On white-noise intermittent demand the smoothed methods beat repeating last season.
    assert np.nanmean(scores["sba"]) < np.nanmean(scores["seasonal_naive"])
    for r in results[:5]:
        assert r.forecast.shape == (6,) and np.all(r.forecast >= 0)
