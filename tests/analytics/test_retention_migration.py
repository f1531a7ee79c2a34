"""Retention/churn, cohort matrices and segment migration."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from vinculo.analytics.stats.migration import GONE, NEW, migration_matrix
from vinculo.analytics.stats.retention import cohort_retention, period_index, period_retention

IDS = [1, 1, 2, 2, 3, 1, 4]
DATES = [
    "2024-01-05",
    "2024-02-03",
    "2024-01-20",
    "2024-03-01",
    "2024-02-11",
    "2024-03-30",
    "2024-03-02",
]


def test_period_retention_and_churn():
    r = period_retention(IDS, DATES, "month")
    assert r.period.astype(str).tolist() == ["2024-01-01", "2024-02-01", "2024-03-01"]
    assert r.active.tolist() == [2, 2, 3]
    assert r.retained.tolist() == [0, 1, 1]  # Feb: 1 of {1,2}; Mar: 1 of {1,3}
    assert np.isnan(r.retention_rate[0])
    np.testing.assert_allclose(r.retention_rate[1:], [0.5, 0.5])
    np.testing.assert_allclose(r.churn_rate[1:], 1 - r.retention_rate[1:])


def test_cohort_matrix_has_nan_for_periods_not_elapsed():
    c = cohort_retention(IDS, DATES, "month", observation_end="2024-04-15")
    assert c.cohort.astype(str).tolist() == ["2024-01-01", "2024-02-01", "2024-03-01"]
    assert c.size.tolist() == [2, 1, 1]
    np.testing.assert_allclose(c.rate[0], [1.0, 0.5, 1.0, 0.0])
    np.testing.assert_allclose(c.rate[1, :3], [1.0, 0.0, 0.0])
    assert np.isnan(c.rate[1, 3]) and np.isnan(c.rate[2, 2:]).all()
    assert c.rate[2, 1] == 0.0  # April has elapsed: customer 4 did not return


def test_week_and_quarter_periods():
    weeks = period_index(np.array(["2024-01-01", "2024-01-07", "2024-01-08"], "M8[D]"), "week")
    assert weeks[0] == weeks[1] != weeks[2]  # Monday-based weeks
    quarters = period_index(np.array(["2024-03-31", "2024-04-01"], "M8[D]"), "quarter")
    assert quarters[1] == quarters[0] + 1


def test_migration_example():
    m = migration_matrix([1, 2, 3, 4], ["A", "B", "A", "C"], [2, 3, 5], ["A", "A", "B"])
    assert m.rows == ["A", "B", "C", NEW] and m.columns == ["A", "B", "C", GONE]
    assert m.counts.tolist() == [[1, 0, 0, 1], [1, 0, 0, 0], [0, 0, 0, 1], [0, 1, 0, 0]]
    np.testing.assert_allclose(m.share()[0], [0.5, 0, 0, 0.5])


segments = st.sampled_from(["Champions", "Loyal", "At risk", "Lost"])


@given(
    st.dictionaries(st.integers(0, 60), segments, max_size=40),
    st.dictionaries(st.integers(0, 60), segments, max_size=40),
)
def test_migration_conserves_customers(before, after):
    m = migration_matrix(list(before), list(before.values()), list(after), list(after.values()))
    k = len(m.rows) - 1
    for i, name in enumerate(m.rows[:k]):
        assert m.counts[i].sum() == sum(1 for s in before.values() if s == name)
    for j, name in enumerate(m.columns[:k]):
        assert m.counts[:, j].sum() == sum(1 for s in after.values() if s == name)
    assert m.counts[k].sum() == len(set(after) - set(before))
    assert m.counts[:, k].sum() == len(set(before) - set(after))
    assert m.counts[k, k] == 0
    assert m.counts.sum() == len(set(before) | set(after))
