"""A checked definition compiled to one ORM query, run under a time limit.

Grouped reports are ``values(<groups>).annotate(<aggregates>)``: the database groups and
aggregates, Python only names the rows (a choice by its label, a reference by its name read
in one query, a date bucket in the user's language). A share of total is the group's value
over the total of the same filtered rows, a scalar subquery in the same statement. Rows of a
table of records are read up to the limit, never more.
"""

from __future__ import annotations

import datetime as dt
import time
import zoneinfo
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import OperationalError, connection, transaction
from django.db.models import (
    Avg,
    Count,
    DateField,
    DecimalField,
    F,
    FloatField,
    Func,
    Max,
    Min,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import (
    Cast,
    TruncDay,
    TruncMonth,
    TruncQuarter,
    TruncWeek,
    TruncYear,
)
from django.utils import timezone
from django.utils.translation import gettext as _

from vinculo.core.models import User
from vinculo.reports.definition import Aggregate, Checked, Filter, Group
from vinculo.reports.registry import Field, rows

TRUNC = {"day": TruncDay, "week": TruncWeek, "month": TruncMonth, "quarter": TruncQuarter,
         "year": TruncYear}
#: The first day of a date's bucket in SQLite's own date functions (the week starts on Monday,
#: as Django's TruncWeek): Django's Trunc* on SQLite is a Python function called once per row,
#: which doubled the time of a 10-million-line report there (bench/reports.py). No "%" in
#: them: the SQL Django compiles is a format string for its parameters.
SQLITE_BUCKET = {
    "day": "date(%(expressions)s)",
    # the Monday on or after six days before: the Monday the week started
    "week": "date(%(expressions)s, '-6 days', 'weekday 1')",
    "month": "date(%(expressions)s, 'start of month')",
    # back (month - 1) mod 3 months from the first of the month
    "quarter": "date(%(expressions)s, 'start of month', '-' || ("
               "(CAST(substr(date(%(expressions)s), 6, 2) AS INTEGER) + 2) "
               "- 3 * ((CAST(substr(date(%(expressions)s), 6, 2) AS INTEGER) + 2) / 3)"
               ") || ' months')",
    "year": "date(%(expressions)s, 'start of year')",
}


class DateBucket(Func):
    """A date field truncated to its bucket, in SQL. On SQLite the template of
    ``SQLITE_BUCKET``; elsewhere never built (Django's Trunc* are native there)."""

    output_field = DateField()

    def __init__(self, path: str, bucket: str) -> None:
        super().__init__(F(path), template=SQLITE_BUCKET[bucket])


class ReportTimeout(Exception):
    """The query ran past the time limit and was stopped by the database."""


@dataclass
class Column:
    key: str
    label: str
    kind: str  # "group", "measure" or "field"
    type: str


@dataclass
class Result:
    """What a report shows: columns, rows of values, and whether rows were cut at the limit.

    Values are plain: a choice by its label, a reference by its name, a bucket by its first
    day (``labels`` holds how the page prints each group value)."""

    columns: list[Column]
    rows: list[list[Any]]
    truncated: bool = False
    sample: bool = False
    buckets: dict[str, str] = field(default_factory=dict)  # group key -> bucket
    # measure key -> the currencies it adds up as one amount (a sum of EUR and USD)
    mixed: dict[str, list[str]] = field(default_factory=dict)

    def warnings(self) -> list[str]:
        """What the reader must know before trusting a figure, in the active language."""
        labels = {c.key: c.label for c in self.columns}
        return [_("«%(measure)s» adds up amounts in several currencies (%(currencies)s) as if "
                  "they were one: group by currency to read each one apart.")
                % {"measure": labels[key], "currencies": ", ".join(codes)}
                for key, codes in self.mixed.items()]

    def header(self, column: Column) -> str:
        """A column's heading in an export, marked when it mixes currencies."""
        if column.key in self.mixed:
            return _("%(label)s (mixes %(currencies)s)") % {
                "label": column.label, "currencies": ", ".join(self.mixed[column.key])}
        return str(column.label)


def default_timeout_ms() -> int:
    return int(getattr(settings, "VINCULO_REPORT_TIMEOUT_MS", 10_000))


@contextmanager
def statement_timeout(milliseconds: int) -> Iterator[None]:
    """Stop any statement of the block that runs longer than ``milliseconds``.

    PostgreSQL: ``SET LOCAL statement_timeout`` inside a transaction (the server cancels the
    statement itself). SQLite: a progress handler that interrupts the statement once the
    deadline passed. Either way ``ReportTimeout`` is raised and nothing keeps running."""
    milliseconds = max(1, int(milliseconds))
    try:
        if connection.vendor == "postgresql":
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute("SHOW statement_timeout")
                    previous = cursor.fetchone()[0]
                    cursor.execute(f"SET LOCAL statement_timeout = {milliseconds}")
                yield
                # Inside an outer transaction this block is a savepoint, and releasing it
                # keeps SET LOCAL until the outer one ends: put the limit back, or what the
                # caller runs next would be cut short too. (A statement stopped here rolls
                # the savepoint back, and the setting with it.)
                with connection.cursor() as cursor:  # the server's own words, quoted
                    quoted = str(previous).replace("'", "''")
                    cursor.execute(f"SET LOCAL statement_timeout = '{quoted}'")
            return
        connection.ensure_connection()
        raw = connection.connection
        deadline = time.monotonic() + milliseconds / 1000
        raw.set_progress_handler(lambda: int(time.monotonic() > deadline), 1000)
        try:
            yield
        finally:
            raw.set_progress_handler(None, 0)
    except OperationalError as error:
        text = str(error).lower()
        if "statement timeout" in text or "interrupted" in text or "canceling" in text:
            raise ReportTimeout(milliseconds) from error
        raise


def _tz(user: User) -> dt.tzinfo:
    name = getattr(user.organization, "time_zone", "") or settings.TIME_ZONE
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return timezone.get_current_timezone()


def user_zone(user: User) -> dt.tzinfo:
    """The time zone a user's reports are counted and dated in: their organisation's."""
    return _tz(user)


def _condition(item: Filter, user: User) -> Q:
    path, value, kind = item.field.path, item.value, item.field.type
    if kind == "segment":
        from vinculo.segments.models import SegmentMember

        column = "contact_id" if item.field.related_model is not None else "account_id"
        members = SegmentMember.objects.filter(segment_id__in=value, left_at__isnull=True)
        inside = Q(**{f"{path}__in": members.values(column)})
        return ~inside if item.op == "not_in" else inside
    if kind == "datetime" and item.op in ("lt", "lte", "gt", "gte", "between", "eq", "ne"):
        path = f"{path}__date"
    if item.op == "empty":
        empty = Q(**{f"{path}__isnull": True})
        return empty | Q(**{path: ""}) if kind in ("text", "choice") else empty
    if item.op == "not_empty":
        return ~_condition(Filter(item.field, "empty"), user)
    if item.op == "in_last_days":
        today = timezone.localdate(timezone=_tz(user))
        since = today - dt.timedelta(days=value)
        return Q(**{f"{path}__gte" if kind == "date" else f"{path}__date__gte": since})
    lookups = {"eq": "exact", "lt": "lt", "lte": "lte", "gt": "gt", "gte": "gte",
               "in": "in", "contains": "icontains", "between": "range"}
    if item.op == "ne":
        return ~Q(**{path: value})
    if item.op == "not_in":
        return ~Q(**{f"{path}__in": value})
    return Q(**{f"{path}__{lookups[item.op]}": value})


def filtered(checked: Checked, user: User) -> QuerySet:
    """The dataset's rows the user may read, with the report's filters."""
    queryset = rows(checked.source, user)
    for item in checked.filters:
        queryset = queryset.filter(_condition(item, user))
    return queryset


def _group_expression(group: Group, user: User) -> Any:
    if group.bucket:
        kind = group.field.type
        if kind == "datetime":
            return TRUNC[group.bucket](group.field.path, tzinfo=_tz(user))
        if connection.vendor == "sqlite":
            return DateBucket(group.field.path, group.bucket)
        return TRUNC[group.bucket](group.field.path)
    return F(group.field.path)


def _aggregate_expression(aggregate: Aggregate) -> Any:
    f = aggregate.field
    if aggregate.fn == "count":
        return Count(f.path) if f else Count("pk")
    if aggregate.fn == "distinct":
        return Count(f.path, distinct=True) if f else Count("pk")
    if aggregate.fn == "share":
        return Sum(f.path) if f else Count("pk")
    assert f is not None
    if aggregate.fn == "avg":
        if f.type == "integer":
            return Avg(Cast(f.path, FloatField()))
        return Avg(f.path)
    return {"sum": Sum, "min": Min, "max": Max}[aggregate.fn](f.path)


def _total(aggregate: Aggregate, base: QuerySet) -> Subquery:
    """The total of a share's measure over all the filtered rows (one scalar subquery)."""
    measure = _aggregate_expression(aggregate)
    output = DecimalField(max_digits=30, decimal_places=6) if aggregate.field else FloatField()
    total = (base.order_by().annotate(_one=Value(1)).values("_one")
             .annotate(total=measure).values("total"))
    return Subquery(total, output_field=output)


ADDING = ("sum", "avg", "share")  # aggregates that add amounts up


def currency_paths(checked: Checked) -> list[str]:
    """The currency codes the report's money sums depend on (their ORM paths, once each)."""
    return list(dict.fromkeys(
        a.field.currency for a in checked.aggregates
        if a.fn in ADDING and a.field is not None and a.field.type == "money"
        and a.field.currency))


def compile_query(checked: Checked, user: User) -> QuerySet:
    """The one query of a grouped report: ``values(groups).annotate(aggregates)``, with the
    lowest and highest currency per group of each money sum (to flag a sum of EUR and USD).
    Not ``COUNT(DISTINCT …)``: it made PostgreSQL sort every row instead of aggregating in
    parallel workers (2.0 s instead of 1.4 s over ten million order lines)."""
    base = filtered(checked, user)
    group_aliases = {f"g{i}": _group_expression(g, user) for i, g in enumerate(checked.groups)}
    measures: dict[str, Any] = {}
    for i, aggregate in enumerate(checked.aggregates):
        measures[f"a{i}"] = _aggregate_expression(aggregate)
        if aggregate.fn == "share":
            measures[f"t{i}"] = _total(aggregate, base)
    for j, path in enumerate(currency_paths(checked)):  # the first and the last
        measures[f"lo{j}"] = Min(path)
        measures[f"hi{j}"] = Max(path)
    queryset = base.order_by()
    if group_aliases:
        queryset = queryset.annotate(**group_aliases).values(*group_aliases)
    else:
        queryset = queryset.annotate(_all=Value(1)).values("_all")
    queryset = queryset.annotate(**measures)
    aliases = _aliases(checked)
    order = []
    for key, desc in checked.sort:
        expression = F(aliases[key])
        order.append(expression.desc(nulls_last=True) if desc
                     else expression.asc(nulls_last=True))
    order += [F(alias).asc(nulls_last=True) for alias in group_aliases]
    return queryset.order_by(*order)


def _aliases(checked: Checked) -> dict[str, str]:
    if not checked.grouped:
        return {f.key: f.path for f in checked.columns}
    aliases = {g.key: f"g{i}" for i, g in enumerate(checked.groups)}
    aliases.update({a.key: f"a{i}" for i, a in enumerate(checked.aggregates)})
    return aliases


def columns_of(checked: Checked) -> list[Column]:
    if not checked.grouped:
        return [Column(f.key, f.full_label, "field", f.type) for f in checked.columns]
    return [*(Column(g.key, g.label, "group", "date" if g.bucket else g.field.type)
              for g in checked.groups),
            *(Column(a.key, a.label, "measure", a.type) for a in checked.aggregates)]


def _share(value: Any, total: Any) -> float | None:
    if value is None or not total:
        return None
    return round(float(Decimal(str(value)) / Decimal(str(total)) * 100), 4)


def _names(fields: list[Field], raw_rows: list[dict[str, Any]], aliases: list[str]) -> None:
    """Replace references by their names (one query per referenced model) and choices by
    their labels, in place."""
    for field_, alias in zip(fields, aliases, strict=True):
        if field_.type == "reference" and field_.related_model is not None:
            ids = {row[alias] for row in raw_rows if row[alias] is not None}
            manager: Any = field_.related_model._default_manager
            if hasattr(field_.related_model, "all_objects"):
                manager = field_.related_model.all_objects  # ids come from scoped rows
            names = {pk: str(obj) for pk, obj in manager.in_bulk(list(ids)).items()}
            for row in raw_rows:
                row[alias] = names.get(row[alias]) if row[alias] is not None else None
        elif field_.type == "choice":
            for row in raw_rows:
                if row[alias] not in (None, ""):
                    row[alias] = str(field_.choice_label(row[alias]))


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime):  # a bucket, truncated in the organisation's zone
        return value.date()
    return value


def run(checked: Checked, user: User, *, timeout_ms: int | None = None) -> Result:
    """Run the report as ``user`` (their organisation and record rule) within the limit."""
    timeout_ms = default_timeout_ms() if timeout_ms is None else timeout_ms
    columns = columns_of(checked)
    mixed: dict[str, list[str]] = {}
    with statement_timeout(timeout_ms):
        if checked.grouped:
            queryset = compile_query(checked, user)
            fetched = list(queryset[:checked.limit + 1])
            mixed = _mixed(checked, fetched)
        else:
            order = [(F(f.path).desc(nulls_last=True) if desc else F(f.path).asc(nulls_last=True))
                     for key, desc in checked.sort
                     for f in checked.columns if f.key == key] + ["pk"]
            values = {f"c{i}": F(f.path) for i, f in enumerate(checked.columns)}
            fetched = list(filtered(checked, user).annotate(**values).values(*values)
                           .order_by(*order)[:checked.limit + 1])
    truncated = len(fetched) > checked.limit
    fetched = fetched[:checked.limit]
    if checked.grouped:
        group_aliases = [f"g{i}" for i in range(len(checked.groups))]
        _names([g.field for g in checked.groups if not g.bucket],
               fetched, [a for a, g in zip(group_aliases, checked.groups, strict=True)
                         if not g.bucket])
        result_rows = []
        for raw in fetched:
            row = [_plain(raw[a]) for a in group_aliases]
            for i, aggregate in enumerate(checked.aggregates):
                value = raw[f"a{i}"]
                row.append(_share(value, raw[f"t{i}"]) if aggregate.fn == "share" else value)
            result_rows.append(row)
    else:
        aliases = [f"c{i}" for i in range(len(checked.columns))]
        _names(list(checked.columns), fetched, aliases)
        result_rows = [[raw[a] for a in aliases] for raw in fetched]
    return Result(columns=columns, rows=result_rows, truncated=truncated,
                  buckets={g.key: g.bucket for g in checked.groups if g.bucket}, mixed=mixed)


def _mixed(checked: Checked, fetched: list[dict[str, Any]]) -> dict[str, list[str]]:
    """The money sums that add several currencies within a group: measure key → the codes.
    Read from the same statement (per group: the lowest and the highest currency differ), so
    a group mixing three names the first and the last of them."""
    mixed: dict[str, list[str]] = {}
    for j, path in enumerate(currency_paths(checked)):
        rows = [row for row in fetched if row.get(f"lo{j}") != row.get(f"hi{j}")]
        if not rows:
            continue
        codes = sorted({row[f"lo{j}"] for row in rows} | {row[f"hi{j}"] for row in rows})
        for aggregate in checked.aggregates:
            if (aggregate.fn in ADDING and aggregate.field is not None
                    and aggregate.field.currency == path):
                mixed[aggregate.key] = codes
    return mixed


def timeout_message(milliseconds: int) -> str:
    return _("The preview took longer than %(seconds)s s and was stopped. Narrow it with a "
             "filter or a shorter period.") % {"seconds": f"{milliseconds / 1000:g}"}
