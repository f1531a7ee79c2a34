"""Customer summary: daily grain, exact durations, calibration/holdout, CDNOW parity, scale."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from vinculo.analytics.stats.summary import customer_summary, day_number, unit_days

from .conftest import CALIBRATION_END


def test_cdnow_matches_lifetimes_summary(cdnow, cdnow_transactions):
    pd = pytest.importorskip("pandas")
    from lifetimes.utils import summary_data_from_transaction_data

    ids, dates, amounts = cdnow_transactions
    frame = pd.DataFrame({"id": ids, "date": dates, "amount": amounts})
    ref = summary_data_from_transaction_data(
        frame,
        "id",
        "date",
        monetary_value_col="amount",
        observation_period_end=CALIBRATION_END,
        freq="D",
        freq_multiplier=7,
    )
    assert len(cdnow) == len(ref) == 2357
    np.testing.assert_array_equal(cdnow.customer, ref.index.to_numpy())
    np.testing.assert_array_equal(cdnow.frequency, ref["frequency"].to_numpy())
    np.testing.assert_allclose(cdnow.recency, ref["recency"].to_numpy(), rtol=0, atol=1e-12)
    np.testing.assert_allclose(cdnow.T, ref["T"].to_numpy(), rtol=0, atol=1e-12)
    np.testing.assert_allclose(cdnow.monetary_value, ref["monetary_value"].to_numpy(), atol=1e-9)


def test_cdnow_matches_published_summary(cdnow, lifetimes_summary_file):
    ref = lifetimes_summary_file
    np.testing.assert_array_equal(cdnow.frequency, ref["x"].to_numpy())
    # The published file is rounded to 2 decimals.
    np.testing.assert_allclose(cdnow.recency, ref["t_x"].to_numpy(), atol=0.005 + 1e-9)
    np.testing.assert_allclose(cdnow.T, ref["T"].to_numpy(), atol=0.005 + 1e-9)
    np.testing.assert_allclose(cdnow.monetary_value, ref["zbar"].to_numpy(), atol=0.005 + 1e-9)
    # Customer 1: purchases on 1997-01-01, 01-18, 08-02 (and 12-12, in the holdout).
    assert (cdnow.frequency[0], cdnow.frequency_holdout[0]) == (2, 1)
    assert cdnow.recency[0] == pytest.approx(213 / 7)
    assert cdnow.T[0] == pytest.approx(272 / 7)
    assert cdnow.duration_holdout == pytest.approx(273 / 7)


def test_daily_grain_and_repeat_value():
    s = customer_summary(
        [7, 7, 7, 7, 9],
        ["2024-01-01", "2024-01-01", "2024-01-11", "2024-01-11", "2024-01-05"],
        [10.0, 5.0, 20.0, 2.0, 8.0],
        margins=[3.0, 1.0, 6.0, 1.0, 2.0],
        unit="day",
        observation_end="2024-01-31",
    )
    np.testing.assert_array_equal(s.customer, [7, 9])
    np.testing.assert_array_equal(s.frequency, [1, 0])  # two days -> one repeat purchase
    np.testing.assert_allclose(s.recency, [10.0, 0.0])
    np.testing.assert_allclose(s.T, [30.0, 26.0])
    np.testing.assert_allclose(s.monetary_value, [22.0, 0.0])  # first day excluded
    np.testing.assert_allclose(s.margin, [7.0, 0.0])
    np.testing.assert_allclose(s.time_since_last, [20.0, 26.0])
    assert s.frequency_holdout is None


def test_units_divide_day_counts_without_rounding():
    args = (["a", "a"], ["2024-01-01", "2024-01-11"], [1.0, 1.0])
    for unit in ("day", "week", "month", 3.5):
        s = customer_summary(*args, unit=unit, observation_end="2024-03-01")
        assert s.recency[0] == pytest.approx(10 / unit_days(unit))
        assert s.T[0] == pytest.approx(60 / unit_days(unit))
    assert unit_days("month") == pytest.approx(365.25 / 12)
    with pytest.raises(ValueError):
        unit_days("fortnight")


def test_calibration_and_holdout():
    ids = np.array(["x", "x", "x", "y", "z", "x"])
    dates = np.array(
        ["2024-01-01", "2024-02-01", "2024-03-05", "2024-03-10", "2024-01-15", "2025-01-01"],
        dtype="datetime64[D]",
    )
    amounts = np.array([1.0, 2.0, 4.0, 5.0, 6.0, 100.0])
    s = customer_summary(
        ids, dates, amounts, unit="day", calibration_end="2024-02-29", observation_end="2024-03-31"
    )
    # y is acquired after the calibration end: left out; the 2025 purchase is ignored.
    np.testing.assert_array_equal(s.customer, ["x", "z"])
    np.testing.assert_array_equal(s.frequency, [1, 0])
    np.testing.assert_array_equal(s.frequency_holdout, [1, 0])
    np.testing.assert_allclose(s.monetary_value_holdout, [4.0, 0.0])
    assert s.duration_holdout == 31
    np.testing.assert_allclose(s.T, [59, 45])


def test_datetime64_with_time_of_day_and_empty_input():
    stamps = np.array(["2024-01-01T23:00", "2024-01-01T01:00", "2024-01-02T00:30"], "M8[m]")
    s = customer_summary([1, 1, 1], stamps, [1.0, 1.0, 1.0], unit="day")
    assert s.frequency[0] == 1 and s.monetary_value[0] == 1.0
    empty = customer_summary([], np.array([], "M8[D]"), [], observation_end="2024-01-01")
    assert len(empty) == 0
    late = customer_summary(
        [1, 2],
        ["2024-03-01", "2024-03-05"],
        [1.0, 2.0],
        calibration_end="2024-02-01",
        observation_end="2024-04-01",
    )
    assert len(late) == 0 and late.frequency_holdout.size == 0
    with pytest.raises(ValueError):
        customer_summary([1], ["2024-01-01"], [1.0, 2.0])


def test_millions_of_transactions():
    """At scale (a million customer ids, 1,500 days: a key space past 2^30) the summary still
    counts every customer and repeat day. Its speed is measured in bench/analytics_fit.py, not
    here."""
    rng = np.random.default_rng(0)
    n = 2_000_000
    ids = rng.integers(0, 1_000_000, n)
    day = rng.integers(0, 1500, n)
    dates = np.datetime64("2020-01-01") + day
    amounts = rng.gamma(2.0, 20.0, n)
    s = customer_summary(ids, dates, amounts, calibration_end="2023-06-30")
    cal = dates <= np.datetime64("2023-06-30")
    buyers, days = np.unique(ids[cal]), np.unique(ids[cal] * 2000 + day[cal])
    assert len(s) == buyers.size
    assert int(s.frequency.sum()) == days.size - buyers.size  # distinct days - first ones
    assert s.frequency_holdout.sum() > 0


@pytest.mark.parametrize("value", [
    "2024-03-01", dt.date(2024, 3, 1), dt.datetime(2024, 3, 1, 23, 59),
    np.datetime64("2024-03-01", "D"), np.datetime64("2024-03-01T23:59:59.999", "ns"),
])
def test_day_number_reads_every_kind_of_date_as_its_day(value):
    assert day_number(value) == (dt.date(2024, 3, 1) - dt.date(1970, 1, 1)).days


def test_returns_are_netted_per_customer_and_day():
    """A day netting to 0 or less with a return is no purchase; a partial return lowers the
    day's amount; a free order (0, no return) still counts."""
    from vinculo.analytics.stats.summary import customer_summary

    ids = np.array([1, 1, 1, 1, 2, 2, 2, 3, 3])
    dates = np.array(["2024-01-01", "2024-02-01", "2024-02-01", "2024-03-01",
                      "2024-01-01", "2024-02-01", "2024-02-01",
                      "2024-01-01", "2024-02-01"], dtype="datetime64[D]")
    amounts = np.array([10.0, 30.0, -10.0, -5.0, 10.0, 20.0, -20.0, 10.0, 0.0])
    s = customer_summary(ids, dates, amounts, unit="day", observation_end="2024-03-31")
    assert s.frequency.tolist() == [1, 0, 1]
    assert s.monetary_value.tolist() == [20.0, 0.0, 0.0]
    assert s.last_purchase.astype(str).tolist() == ["2024-02-01", "2024-01-01", "2024-02-01"]
