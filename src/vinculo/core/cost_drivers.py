"""Windows for the counters of the cost to serve (``Contract.cost_drivers``).

A counter answers, per account, how many activities of its kind fell on the days
(start, end] — an aggregate query, never rows in Python. These two helpers give every app's
counters the same window, on a date column or a timestamp column.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any, Protocol, TypeVar

from django.db.models import QuerySet

# The helpers filter and hand back the caller's own queryset type (a model's manager's).
QuerySetT = TypeVar("QuerySetT", bound=QuerySet[Any])


class Counter(Protocol):
    def __call__(self, org_id: int, start: dt.date | None, end: dt.date
                 ) -> Iterable[tuple[int, float]]: ...


def date_window(qs: QuerySetT, field: str, start: dt.date | None, end: dt.date) -> QuerySetT:
    """Rows whose date ``field`` is in (start, end]."""
    qs = qs.filter(**{f"{field}__lte": end})
    return qs.filter(**{f"{field}__gt": start}) if start is not None else qs


def day_bounds(qs: QuerySetT, field: str, start: dt.date | None, end: dt.date) -> QuerySetT:
    """Rows whose timestamp ``field`` falls on a day in (start, end], as a range the index
    serves (not a per-row date conversion)."""
    def midnight(day: dt.date) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)

    qs = qs.filter(**{f"{field}__lt": midnight(end + dt.timedelta(days=1))})
    if start is not None:
        qs = qs.filter(**{f"{field}__gte": midnight(start + dt.timedelta(days=1))})
    return qs
