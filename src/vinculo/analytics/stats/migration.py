"""Segment migration between two snapshot dates.

Rows are the segments at date 1 plus "(new)" (customers only present at date 2); columns are
the segments at date 2 plus "(gone)" (customers only present at date 1). Every customer is
counted exactly once, so row sums equal the date-1 segment counts and column sums the date-2
counts - the matrix conserves customers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

NEW = "(new)"
GONE = "(gone)"


@dataclass(frozen=True)
class MigrationMatrix:
    """``counts[i, j]``: customers in ``rows[i]`` at date 1 and ``columns[j]`` at date 2."""

    rows: list[str]
    columns: list[str]
    counts: np.ndarray

    def share(self) -> np.ndarray:
        """Row-normalised matrix: where each date-1 segment went (NaN for empty rows)."""
        totals = self.counts.sum(axis=1, keepdims=True)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(totals > 0, self.counts / np.maximum(totals, 1), np.nan)


def migration_matrix(
    customers_1: npt.ArrayLike,
    segments_1: npt.ArrayLike,
    customers_2: npt.ArrayLike,
    segments_2: npt.ArrayLike,
    *,
    order: Sequence[str] | None = None,
) -> MigrationMatrix:
    """Count customers moving from each segment at date 1 to each segment at date 2.

    ``order`` fixes the segment order (e.g. ``rfm.SEGMENT_ORDER``); segments not in it are
    appended in sorted order. Customer ids must be unique within each date.
    """
    c1, s1 = np.asarray(customers_1), np.asarray(segments_1).astype(str)
    c2, s2 = np.asarray(customers_2), np.asarray(segments_2).astype(str)
    if c1.shape != s1.shape or c2.shape != s2.shape:
        raise ValueError("customers and segments must have the same length at each date")
    if np.unique(c1).size != c1.size or np.unique(c2).size != c2.size:
        raise ValueError("customer ids must be unique within a snapshot")
    present = set(np.unique(s1).tolist()) | set(np.unique(s2).tolist())
    labels = list(dict.fromkeys(order or ()))
    labels += sorted(present - set(labels))
    if NEW in labels or GONE in labels:
        raise ValueError(f"{NEW!r} and {GONE!r} are reserved labels")
    rows, columns = [*labels, NEW], [*labels, GONE]
    index = {name: i for i, name in enumerate(labels)}
    i1, i2 = _label_codes(s1, index), _label_codes(s2, index)

    _, pos1, pos2 = np.intersect1d(c1, c2, assume_unique=True, return_indices=True)
    only1 = np.ones(c1.size, dtype=bool)
    only1[pos1] = False
    only2 = np.ones(c2.size, dtype=bool)
    only2[pos2] = False
    k = len(labels)
    counts = np.zeros((k + 1, k + 1), dtype=np.int64)
    both = np.bincount(i1[pos1] * k + i2[pos2], minlength=k * k)
    counts[:k, :k] = both.reshape(k, k)
    counts[:k, k] = np.bincount(i1[only1], minlength=k)
    counts[k, :k] = np.bincount(i2[only2], minlength=k)
    return MigrationMatrix(rows=rows, columns=columns, counts=counts)


def _label_codes(labels: np.ndarray, index: dict[str, int]) -> np.ndarray:
    """Position of each label in ``index`` (one dict lookup per distinct label)."""
    uniq, inverse = np.unique(labels, return_inverse=True)
    table = np.array([index[u] for u in uniq.tolist()], dtype=np.int64)
    return table[inverse.ravel()] if uniq.size else np.zeros(0, dtype=np.int64)
