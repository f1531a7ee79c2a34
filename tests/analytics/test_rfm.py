"""RFM quintile scores and the segment grid."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from vinculo.analytics.stats.rfm import (
    DEFAULT_SEGMENTS,
    SEGMENT_ORDER,
    quantile_scores,
    rfm_scores,
)


@given(st.lists(st.integers(0, 5), min_size=1, max_size=300), st.booleans())
def test_scores_are_quintiles_even_with_ties(values, reverse):
    scores = quantile_scores(values, reverse=reverse)
    counts = np.bincount(scores, minlength=6)[1:]
    n = len(values)
    assert counts.sum() == n
    assert counts.max() - counts.min() <= 1
    # Ranking is monotone: a higher value never gets a lower score (or higher, if reversed).
    v = np.asarray(values)
    order = np.argsort(-v if reverse else v, kind="stable")
    assert np.all(np.diff(scores[order]) >= 0)


def test_ties_break_by_customer_order_and_recency_is_reversed():
    np.testing.assert_array_equal(quantile_scores([1] * 10), [1, 1, 2, 2, 3, 3, 4, 4, 5, 5])
    np.testing.assert_array_equal(quantile_scores([1, 2, 3, 4, 5], reverse=True), [5, 4, 3, 2, 1])


def test_segments_from_default_grid():
    # Five customers: best R/F/M down to worst.
    s = rfm_scores([1, 2, 3, 4, 5], [50, 40, 30, 20, 10], [500, 400, 300, 200, 100])
    assert s.segment.tolist() == ["Champions", "Loyal", "Need attention", "Hibernating", "Lost"]
    assert s.code.tolist() == [555, 444, 333, 222, 111]
    assert s.fm.tolist() == [5, 4, 3, 2, 1]
    new = rfm_scores([0, 9, 9, 9, 9], [0, 5, 5, 5, 5], [0, 5, 5, 5, 5])
    assert new.segment[0] == "New"  # most recent, lowest F and M


def test_default_map_covers_the_grid_and_names_all_segments():
    assert set(DEFAULT_SEGMENTS) == {(r, fm) for r in range(1, 6) for fm in range(1, 6)}
    assert set(DEFAULT_SEGMENTS.values()) == set(SEGMENT_ORDER)
    assert DEFAULT_SEGMENTS[(1, 5)] == "Can't lose" and DEFAULT_SEGMENTS[(4, 1)] == "Promising"


def test_custom_map_and_validation():
    two = {(r, fm): ("Good" if r + fm >= 6 else "Other") for r in range(1, 6) for fm in range(1, 6)}
    s = rfm_scores(np.arange(10), np.arange(10)[::-1], np.arange(10)[::-1], segments=two)
    assert set(s.segment) == {"Good", "Other"}
    with pytest.raises(ValueError):
        rfm_scores([1], [1], [1], segments={(5, 5): "Only"})
