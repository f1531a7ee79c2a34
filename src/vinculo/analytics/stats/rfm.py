"""RFM scoring and the classic RFM segment grid.

Scores are quintiles of the customers' rank, not of the values: customers are ranked by value
with ties broken by their position in the input (a stable sort), and rank i of n gets score
1 + floor(5 i / n). So every score holds n/5 +- 1 customers even when many customers share a
value (e.g. one purchase), and the result is deterministic. Recency is reversed: the most
recent buyers (smallest time since last purchase) get 5.

Segments come from a grid of the R score against the combined FM score, round((F + M) / 2)
rounded half up (see ``DEFAULT_SEGMENTS``; any {(r, fm): name} mapping can replace it):

    R\\FM  1                2                  3                  4          5
    5     New              Potential loyalists Potential loyalists Champions  Champions
    4     Promising        Potential loyalists Potential loyalists Loyal      Loyal
    3     About to sleep   About to sleep     Need attention     Loyal      Loyal
    2     Hibernating      Hibernating        At risk            At risk    Can't lose
    1     Lost             Hibernating        At risk            At risk    Can't lose
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

SEGMENT_GRID: tuple[tuple[str, ...], ...] = (
    # FM = 1            2                      3                      4            5
    ("Lost", "Hibernating", "At risk", "At risk", "Can't lose"),  # R = 1
    ("Hibernating", "Hibernating", "At risk", "At risk", "Can't lose"),  # R = 2
    ("About to sleep", "About to sleep", "Need attention", "Loyal", "Loyal"),  # R = 3
    ("Promising", "Potential loyalists", "Potential loyalists", "Loyal", "Loyal"),  # R = 4
    ("New", "Potential loyalists", "Potential loyalists", "Champions", "Champions"),  # R = 5
)

DEFAULT_SEGMENTS: dict[tuple[int, int], str] = {
    (r + 1, fm + 1): name for r, row in enumerate(SEGMENT_GRID) for fm, name in enumerate(row)
}

SEGMENT_ORDER: tuple[str, ...] = (
    "Champions",
    "Loyal",
    "Potential loyalists",
    "New",
    "Promising",
    "Need attention",
    "About to sleep",
    "At risk",
    "Can't lose",
    "Hibernating",
    "Lost",
)


def quantile_scores(values: npt.ArrayLike, *, bins: int = 5, reverse: bool = False) -> np.ndarray:
    """Scores 1..bins by rank (ties broken by input order), ``bins`` groups of n/bins +- 1.

    With ``reverse`` the smallest values get the highest score.
    """
    v = np.asarray(values, dtype=float)
    n = v.size
    position = np.arange(n)
    order = np.lexsort((position, -v if reverse else v))
    scores = np.empty(n, dtype=np.int64)
    scores[order] = 1 + (position * bins) // max(n, 1)
    return scores


@dataclass(frozen=True)
class RFMScores:
    """R, F, M scores (1..5), the combined FM score and the segment of each customer."""

    recency: np.ndarray
    frequency: np.ndarray
    monetary: np.ndarray
    fm: np.ndarray
    segment: np.ndarray

    @property
    def code(self) -> np.ndarray:
        """The usual three-digit RFM cell, e.g. 535."""
        return self.recency * 100 + self.frequency * 10 + self.monetary


def rfm_scores(
    time_since_last: npt.ArrayLike,
    frequency: npt.ArrayLike,
    monetary: npt.ArrayLike,
    *,
    segments: Mapping[tuple[int, int], str] | None = None,
) -> RFMScores:
    """Score customers by quintile and name their segment from the (R, FM) grid.

    ``time_since_last`` is time since the last purchase (lower is better), e.g.
    ``CustomerSummary.time_since_last``; ``frequency`` and ``monetary`` are higher-is-better.
    """
    seg_map = DEFAULT_SEGMENTS if segments is None else segments
    r = quantile_scores(time_since_last, reverse=True)
    f = quantile_scores(frequency)
    m = quantile_scores(monetary)
    fm = (f + m + 1) // 2
    missing = {(i, j) for i in range(1, 6) for j in range(1, 6)} - set(seg_map)
    if missing:
        raise ValueError(f"segment map lacks cells {sorted(missing)}")
    grid = np.empty((6, 6), dtype=object)
    for (i, j), name in seg_map.items():
        grid[i, j] = name
    return RFMScores(recency=r, frequency=f, monetary=m, fm=fm, segment=grid[r, fm].astype(str))
