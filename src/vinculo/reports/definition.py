"""A report definition, checked: the JSON a user builds, refused naming what is wrong.

```json
{"dataset": "orders",
 "columns": ["number", "account.name", "total_amount"],
 "filters": [{"field": "status", "op": "in", "value": ["confirmed", "delivered"]}],
 "group_by": [{"field": "ordered_on", "bucket": "month"}, {"field": "account.industry"}],
 "aggregates": [{"fn": "sum", "field": "total_amount"}, {"fn": "count"}],
 "sort": [{"key": "sum:total_amount", "desc": true}],
 "chart": "bar", "limit": 500}
```

``columns`` lists rows as they are (a table of records) when there is neither grouping nor
aggregate. Each check names the part at fault by its path (``definition.group_by[1].field``)
and the field by its label: an unknown field, a field the user may not read, a grouping or an
aggregate the field cannot do. Nothing runs until the whole definition checks.
"""

from __future__ import annotations

import datetime as dt
import decimal
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from vinculo.core.models import User
from vinculo.core.roles import role_has
from vinculo.reports.registry import Field, Source, may_read, sources

BUCKETS = {"day": gettext_lazy("day"), "week": gettext_lazy("week"),
           "month": gettext_lazy("month"), "quarter": gettext_lazy("quarter"),
           "year": gettext_lazy("year")}
AGGREGATES = {"count": gettext_lazy("Count"), "distinct": gettext_lazy("Distinct count"),
              "sum": gettext_lazy("Sum"), "avg": gettext_lazy("Average"),
              "min": gettext_lazy("Minimum"), "max": gettext_lazy("Maximum"),
              "share": gettext_lazy("Share of total")}
CHARTS = {"table": gettext_lazy("Table"), "bar": gettext_lazy("Bars"),
          "line": gettext_lazy("Line"), "area": gettext_lazy("Area"),
          "pie": gettext_lazy("Pie"), "pivot": gettext_lazy("Pivot table")}
OPERATORS = {"eq": gettext_lazy("is"), "ne": gettext_lazy("is not"),
             "lt": gettext_lazy("less than"), "lte": gettext_lazy("at most"),
             "gt": gettext_lazy("more than"), "gte": gettext_lazy("at least"),
             "between": gettext_lazy("between"), "in": gettext_lazy("is one of"),
             "not_in": gettext_lazy("is none of"), "contains": gettext_lazy("contains"),
             "empty": gettext_lazy("is empty"), "not_empty": gettext_lazy("has a value"),
             "in_last_days": gettext_lazy("in the last days")}
_ORDERED = ("eq", "ne", "lt", "lte", "gt", "gte", "between", "in", "not_in", "empty",
            "not_empty")
TYPE_OPERATORS: dict[str, tuple[str, ...]] = {
    "text": ("eq", "ne", "contains", "in", "not_in", "empty", "not_empty"),
    "choice": ("eq", "ne", "in", "not_in", "empty", "not_empty"),
    "reference": ("empty", "not_empty"),
    "boolean": ("eq",),
    "integer": _ORDERED, "number": _ORDERED, "money": _ORDERED,
    "date": (*_ORDERED, "in_last_days"), "datetime": (*_ORDERED, "in_last_days"),
}
MAX_COLUMNS, MAX_FILTERS, MAX_GROUPS, MAX_AGGREGATES, MAX_LIMIT = 20, 20, 2, 6, 1000
SEGMENT = "segment"  # a filter field every dataset that reaches an account takes
KEYS = {"dataset", "columns", "filters", "group_by", "aggregates", "sort", "chart", "limit"}


@dataclass(frozen=True)
class Group:
    field: Field
    bucket: str = ""

    @property
    def key(self) -> str:
        return f"{self.field.key}:{self.bucket}" if self.bucket else self.field.key

    @property
    def label(self) -> str:
        if self.bucket:
            return f"{self.field.full_label} ({BUCKETS[self.bucket]})"
        return self.field.full_label


@dataclass(frozen=True)
class Aggregate:
    fn: str
    field: Field | None = None

    @property
    def key(self) -> str:
        return f"{self.fn}:{self.field.key}" if self.field else self.fn

    @property
    def label(self) -> str:
        if self.field is None:
            return str(_("Records")) if self.fn == "count" else _("Share of records")
        return f"{AGGREGATES[self.fn]} · {self.field.full_label}"

    @property
    def type(self) -> str:
        if self.fn in ("count", "distinct"):
            return "integer"
        if self.fn == "share":
            return "percent"
        if self.fn == "avg" and self.field and self.field.type == "integer":
            return "number"
        return self.field.type if self.field else "integer"


@dataclass(frozen=True)
class Filter:
    field: Field
    op: str
    value: Any = None


@dataclass(frozen=True)
class Checked:
    """A definition that passed every check, with its fields resolved."""

    source: Source
    columns: tuple[Field, ...] = ()
    filters: tuple[Filter, ...] = ()
    groups: tuple[Group, ...] = ()
    aggregates: tuple[Aggregate, ...] = ()
    sort: tuple[tuple[str, bool], ...] = ()
    chart: str = "table"
    limit: int = 500
    raw: dict[str, Any] = field(default_factory=dict)

    @property
    def grouped(self) -> bool:
        return bool(self.groups or self.aggregates)

    def fields(self) -> list[Field]:
        """Every field the report needs, once each (for the fill rates)."""
        seen: dict[str, Field] = {}
        for f in (*self.columns, *(g.field for g in self.groups),
                  *(a.field for a in self.aggregates if a.field),
                  *(x.field for x in self.filters if x.field.type != "segment")):
            seen.setdefault(f.key, f)
        return list(seen.values())

    def output_keys(self) -> list[str]:
        if not self.grouped:
            return [f.key for f in self.columns]
        return [*(g.key for g in self.groups), *(a.key for a in self.aggregates)]


class _Errors:
    def __init__(self) -> None:
        self.errors: dict[str, list[str]] = {}

    def add(self, path: str, message: str) -> None:
        self.errors.setdefault(f"definition.{path}" if path else "definition", []).append(message)


def _field(errors: _Errors, path: str, source: Source, user: User, name: Any) -> Field | None:
    if not isinstance(name, str) or not name:
        errors.add(path, _("Choose a field."))
        return None
    found = source.fields.get(name)
    if found is None:
        errors.add(path, _("Unknown field «%(field)s» in %(dataset)s.")
                   % {"field": name, "dataset": source.label})
        return None
    if not may_read(user, found):
        errors.add(path, _("Your role may not read «%(field)s».") % {"field": found.full_label})
        return None
    return found


def _list(errors: _Errors, data: dict[str, Any], key: str, limit: int) -> list[Any]:
    value = data.get(key) or []
    if not isinstance(value, list):
        errors.add(key, _("Give a list."))
        return []
    if len(value) > limit:
        errors.add(key, _("At most %(n)s.") % {"n": limit})
        return []
    return value


def _value(errors: _Errors, path: str, field: Field, op: str, value: Any) -> Any:
    """The filter's value converted to the field's type, or an error naming it."""
    if op in ("empty", "not_empty"):
        return None
    if op in ("in", "not_in"):
        if not isinstance(value, list) or not value or len(value) > 200:
            errors.add(path, _("Give a list of values."))
            return None
        return [_scalar(errors, path, field, v) for v in value]
    if op == "between":
        if not isinstance(value, list) or len(value) != 2:
            errors.add(path, _("Give two values: from and to."))
            return None
        return [_scalar(errors, path, field, v) for v in value]
    if op == "in_last_days":
        if not isinstance(value, int) or isinstance(value, bool) or not 0 < value <= 36600:
            errors.add(path, _("Give a number of days."))
            return None
        return value
    return _scalar(errors, path, field, value)


def _scalar(errors: _Errors, path: str, field: Field, value: Any) -> Any:
    try:
        if field.type == "boolean":
            if not isinstance(value, bool):
                raise ValueError
            return value
        if field.type in ("integer",):
            if isinstance(value, bool):
                raise ValueError
            return int(value)
        if field.type in ("number", "money"):
            if isinstance(value, bool):
                raise ValueError
            return decimal.Decimal(str(value))
        if field.type in ("date", "datetime"):
            return dt.date.fromisoformat(str(value))
        if field.type == "choice":
            if value not in {k for k, _label in field.choices}:
                raise ValueError
            return value
        if not isinstance(value, str) or len(value) > 200:
            raise ValueError
        return value
    except (ValueError, TypeError, decimal.InvalidOperation):
        errors.add(path, _("«%(value)s» is not a valid value for «%(field)s».")
                   % {"value": str(value)[:50], "field": field.full_label})
        return None


def segment_path(source: Source, subject: str) -> str | None:
    """The ORM path from the dataset's rows to the account (or contact) a segment holds:
    ``pk`` on accounts, ``account`` on orders, ``order__account`` on order lines."""
    model_name = source.model._meta.label
    if (subject, model_name) in (("accounts", "customers.Account"),
                                 ("contacts", "customers.Contact")):
        return "pk"
    if subject != "accounts":
        return None
    paths = [f.path.removesuffix("__name") for f in source.fields.values()
             if f.key == "account.name" or f.key.endswith(".account.name")]
    return min(paths, key=len) if paths else None


def _segment(errors: _Errors, path: str, source: Source, user: User,
             raw: dict[str, Any]) -> Filter | None:
    """A filter on segment membership: the rows of the customers now in (or not in) the
    segments named by their ids — the one way to name a group of customers."""
    from vinculo.customers.models import Contact
    from vinculo.segments.models import Segment

    if not role_has(user.role, "segments.view"):
        errors.add(f"{path}.field", _("Your role may not read segments."))
        return None
    op, value = raw.get("op"), raw.get("value")
    if op not in ("in", "not_in"):
        errors.add(f"{path}.op", _("A segment filter is «is one of» or «is none of»."))
        return None
    if not isinstance(value, list) or not value or len(value) > 20:
        errors.add(f"{path}.value", _("Give a list of segments."))
        return None
    try:
        segments = list(Segment.objects.filter(uuid__in=[str(v) for v in value]))
    except (ValueError, ValidationError):
        segments = []
    if len(segments) != len(set(map(str, value))):
        errors.add(f"{path}.value", _("Some of these segments were not found."))
        return None
    subjects = {s.subject for s in segments}
    subject = subjects.pop() if len(subjects) == 1 else ""
    target = segment_path(source, subject) if subject else None
    if target is None:
        errors.add(f"{path}.value", _("These segments do not apply to %(dataset)s.")
                   % {"dataset": source.label})
        return None
    field_ = Field(key=SEGMENT, path=target, label=gettext_lazy("Segment"), type="segment",
                   aggregates=frozenset(), groupable=False, permissions=("segments.view",),
                   choices=tuple((s.pk, s.name) for s in segments),
                   related_model=Contact if subject == "contacts" else None)
    return Filter(field_, op, [s.pk for s in segments])


def check(data: Any, user: User) -> Checked:
    """The definition, checked for ``user``; ``ValidationError`` keyed by the part at fault."""
    errors = _Errors()
    if not isinstance(data, dict):
        raise ValidationError({"definition": [_("Give the report as an object.")]})
    for key in sorted(set(data) - KEYS):
        errors.add(key, _("Unknown key «%(key)s».") % {"key": key})
    source = sources().get(data.get("dataset") or "")
    if source is None:
        errors.add("dataset", _("Unknown dataset «%(dataset)s».")
                   % {"dataset": str(data.get("dataset") or "")[:50]})
        raise ValidationError(errors.errors)
    if not role_has(user.role, source.permission):
        errors.add("dataset", _("Your role may not read %(dataset)s.")
                   % {"dataset": source.label})
        raise ValidationError(errors.errors)

    columns = [f for i, name in enumerate(_list(errors, data, "columns", MAX_COLUMNS))
               if (f := _field(errors, f"columns[{i}]", source, user, name))]

    filters = []
    for i, raw in enumerate(_list(errors, data, "filters", MAX_FILTERS)):
        path = f"filters[{i}]"
        if not isinstance(raw, dict):
            errors.add(path, _("Give the filter as an object."))
            continue
        if raw.get("field") == SEGMENT:
            segment_filter = _segment(errors, path, source, user, raw)
            if segment_filter is not None:
                filters.append(segment_filter)
            continue
        found = _field(errors, f"{path}.field", source, user, raw.get("field"))
        if found is None:
            continue
        op = raw.get("op")
        if op not in TYPE_OPERATORS[found.type]:
            errors.add(f"{path}.op", _("«%(field)s» cannot be filtered with «%(op)s».")
                       % {"field": found.full_label, "op": str(op)[:30]})
            continue
        filters.append(Filter(found, op, _value(errors, f"{path}.value", found, op,
                                                raw.get("value"))))

    groups = []
    for i, raw in enumerate(_list(errors, data, "group_by", MAX_GROUPS)):
        path = f"group_by[{i}]"
        raw = {"field": raw} if isinstance(raw, str) else raw
        if not isinstance(raw, dict):
            errors.add(path, _("Give the grouping as an object."))
            continue
        found = _field(errors, f"{path}.field", source, user, raw.get("field"))
        if found is None:
            continue
        bucket = raw.get("bucket") or ""
        if not found.groupable:
            errors.add(f"{path}.field", _("Rows cannot be grouped by «%(field)s».")
                       % {"field": found.full_label})
        elif bucket and (bucket not in BUCKETS or found.type not in ("date", "datetime")):
            errors.add(f"{path}.bucket", _("«%(field)s» cannot be grouped by «%(bucket)s».")
                       % {"field": found.full_label, "bucket": str(bucket)[:20]})
        else:
            if found.type in ("date", "datetime") and not bucket:
                bucket = "day"
            groups.append(Group(found, bucket))

    aggregates = []
    for i, raw in enumerate(_list(errors, data, "aggregates", MAX_AGGREGATES)):
        path = f"aggregates[{i}]"
        if not isinstance(raw, dict):
            errors.add(path, _("Give the aggregate as an object."))
            continue
        fn = raw.get("fn")
        if fn not in AGGREGATES:
            errors.add(f"{path}.fn", _("Unknown aggregate «%(fn)s».") % {"fn": str(fn)[:20]})
            continue
        if not raw.get("field"):
            if fn not in ("count", "share"):
                errors.add(f"{path}.field", _("Choose the field to aggregate."))
                continue
            aggregates.append(Aggregate(fn))
            continue
        found = _field(errors, f"{path}.field", source, user, raw.get("field"))
        if found is None:
            continue
        if fn not in found.aggregates:
            errors.add(f"{path}.fn", _("«%(field)s» cannot be aggregated with «%(fn)s».")
                       % {"field": found.full_label, "fn": AGGREGATES[fn]})
            continue
        aggregates.append(Aggregate(fn, found))

    if not any(data.get(k) for k in ("columns", "group_by", "aggregates")):
        errors.add("columns", _("Choose columns, or a grouping and an aggregate."))
    if groups and not aggregates:
        aggregates.append(Aggregate("count"))
    if len({g.key for g in groups}) < len(groups):
        errors.add("group_by", _("Group by two different fields."))
    if len({a.key for a in aggregates}) < len(aggregates):
        errors.add("aggregates", _("The same aggregate is listed twice."))

    chart = data.get("chart") or "table"
    if chart not in CHARTS:
        errors.add("chart", _("Unknown chart «%(chart)s».") % {"chart": str(chart)[:20]})
    elif chart in ("bar", "line", "area", "pie") and not groups:
        errors.add("chart", _("A chart needs a grouping."))
    elif chart == "pie" and len(groups) != 1:
        errors.add("chart", _("A pie shows one grouping."))
    elif chart == "pivot" and len(groups) != 2:
        errors.add("chart", _("A pivot table needs two groupings."))

    limit = data.get("limit", 500)
    if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= MAX_LIMIT:
        errors.add("limit", _("Give a number of rows from 1 to %(n)s.") % {"n": MAX_LIMIT})
        limit = 500

    checked = Checked(source=source, columns=tuple(columns), filters=tuple(filters),
                      groups=tuple(groups), aggregates=tuple(aggregates), chart=chart,
                      limit=limit, raw=data)
    outputs = set(checked.output_keys())
    sort = []
    for i, raw in enumerate(_list(errors, data, "sort", 3)):
        raw = {"key": raw} if isinstance(raw, str) else raw
        key = raw.get("key") if isinstance(raw, dict) else None
        if key not in outputs:
            errors.add(f"sort[{i}]", _("Sort by one of the report's columns."))
            continue
        sort.append((key, bool(raw.get("desc"))))
    if errors.errors:
        raise ValidationError(errors.errors)
    return Checked(source=source, columns=tuple(columns), filters=tuple(filters),
                   groups=tuple(groups), aggregates=tuple(aggregates), sort=tuple(sort),
                   chart=chart, limit=limit, raw=data)
