"""Sample figures for a report drafted before its data exist ("report first").

The sample has exactly the columns the report will have: the groups' values are the field's
own choices, a few named examples, or the last periods of the bucket; the measures are
made-up numbers of the right kind. It is built from the definition alone (no row is read),
and the page says plainly that it is a sample.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from vinculo.reports import query
from vinculo.reports.definition import Checked, Group


def _periods(bucket: str, count: int) -> list[dt.date]:
    today = timezone.localdate()
    values: list[dt.date] = []
    day = today
    for _i in range(count):
        if bucket == "day":
            start = day
            day = day - dt.timedelta(days=1)
        elif bucket == "week":
            start = day - dt.timedelta(days=day.weekday())
            day = start - dt.timedelta(days=1)
        elif bucket == "month":
            start = day.replace(day=1)
            day = start - dt.timedelta(days=1)
        elif bucket == "quarter":
            start = dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
            day = start - dt.timedelta(days=1)
        else:
            start = dt.date(day.year, 1, 1)
            day = start - dt.timedelta(days=1)
        values.append(start)
    return sorted(values)


def _group_values(group: Group, count: int) -> list[Any]:
    if group.bucket:
        return list(_periods(group.bucket, count))
    field = group.field
    if field.type == "boolean":
        return [True, False]
    if field.choices:
        return [str(label) for _key, label in field.choices[:count]]
    if field.type in ("integer", "number", "money"):
        return [1, 2, 3][:count]
    return [_("Example %(n)s") % {"n": n} for n in "ABCD"[:count]]


def _measure(kind: str, rng: random.Random) -> Any:
    if kind == "integer":
        return rng.randint(3, 60)
    if kind == "money":
        return Decimal(rng.randint(50_000, 900_000)) / 100
    if kind == "percent":
        return None
    if kind in ("date", "datetime"):
        return timezone.localdate() - dt.timedelta(days=rng.randint(0, 90))
    if kind == "number":
        return round(rng.uniform(1, 100), 2)
    return _("Example")


def sample_result(checked: Checked) -> query.Result:
    """A small result with the report's columns and invented values, marked ``sample``."""
    rng = random.Random(7)
    columns = query.columns_of(checked)
    rows: list[list[Any]] = []
    if not checked.grouped:
        for _n in range(3):
            rows.append([_measure(c.type, rng) if c.type != "text" else _("Example")
                         for c in columns])
    else:
        firsts = _group_values(checked.groups[0], 6) if checked.groups else [None]
        seconds = _group_values(checked.groups[1], 3) if len(checked.groups) > 1 else [None]
        keys = [(a, b) for a in firsts for b in seconds]
        for a, b in keys:
            row = [v for v in (a, b)][:len(checked.groups)]
            row += [_measure(agg.type, rng) for agg in checked.aggregates]
            rows.append(row)
        for i, aggregate in enumerate(checked.aggregates):  # shares that add up to 100 %
            if aggregate.fn == "share":
                column = len(checked.groups) + i
                weights = [rng.randint(1, 9) for _row in rows]
                for row, weight in zip(rows, weights, strict=True):
                    row[column] = round(weight / sum(weights) * 100, 4)
    return query.Result(columns=columns, rows=rows[:checked.limit], sample=True,
                        buckets={g.key: g.bucket for g in checked.groups if g.bucket})
