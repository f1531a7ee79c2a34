"""The data-capture page's reads: for every field a saved report of the organisation uses,
how complete it is (the share of the reader's records with a value), how that share moved for
the records created month by month, where the field is captured (the dataset's declared
``Capture`` points: a form, an import, a touch point, a computation) and which reports use it.

A field reached through a join (an order report's ``account.industry``) is counted where it is
declared (the accounts' ``industry``): that is where it is captured. The records are those
the reader may read (``registry.rows``: tenancy and record rule), and each dataset costs one
query: ``COUNT(*) FILTER (WHERE <has a value>)`` per field, grouped by month of creation; the
totals are the sums of those monthly counts.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db.models import Count
from django.db.models.functions import TruncMonth
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from vinculo.core.formats import format_number
from vinculo.core.models import User
from vinculo.core.plugins import Capture
from vinculo.core.roles import role_has
from vinculo.reports.models import Report
from vinculo.reports.query import user_zone
from vinculo.reports.registry import Field, Source, may_read, rows, sources
from vinculo.reports.selectors import empty_condition, visible_reports

TREND_MONTHS = 6


@dataclass
class Place:
    label: str
    kind: str
    url: str = ""


@dataclass
class FieldCapture:
    """One field as the data-capture page shows it."""

    field: Field
    filled: int = 0
    total: int = 0
    trend: list[tuple[dt.date, int, int]] = field(default_factory=list)  # month, filled, total
    places: list[Place] = field(default_factory=list)
    reports: list[Report] = field(default_factory=list)  # those the reader may open
    others: int = 0  # reports of colleagues the reader may not open

    @property
    def rate(self) -> float | None:
        return round(self.filled / self.total * 100, 1) if self.total else None

    def bars(self) -> list[dict[str, Any]]:
        """The trend as the bars of a small SVG (attributes only: the CSP forbids inline
        style), each with its words: "Jul 2026: 40 % of 12"."""
        from vinculo.reports.present import bucket_label

        bars = []
        for i, (month, filled, total) in enumerate(self.trend):
            rate = filled / total * 100 if total else None
            height = round(rate * 0.28, 1) if rate is not None else 0
            words = (_("%(month)s: %(rate)s %% of %(total)s") % {
                "month": bucket_label(month, "month"), "rate": format_number(rate, 0),
                "total": format_number(total)} if rate is not None
                else _("%(month)s: no records") % {"month": bucket_label(month, "month")})
            bars.append({"x": i * 12, "y": round(30 - height, 1), "height": height,
                         "empty": rate is None, "words": words})
        return bars

    def trend_words(self) -> str:
        return "; ".join(bar["words"] for bar in self.bars())


@dataclass
class DatasetCapture:
    source: Source
    fields: list[FieldCapture]
    total: int = 0


def _names(definition: Any) -> tuple[str, set[str]]:
    """The dataset and every field name a saved definition uses (unchecked: a report whose
    definition no longer checks still says what it needs)."""
    if not isinstance(definition, dict):
        return "", set()
    names: set[str] = set(n for n in definition.get("columns") or [] if isinstance(n, str))
    for key in ("filters", "group_by", "aggregates"):
        for item in definition.get(key) or []:
            name = item.get("field") if isinstance(item, dict) else item
            if isinstance(name, str) and name:
                names.add(name)
    return str(definition.get("dataset") or ""), names


def used_fields(user: User) -> dict[tuple[str, str], tuple[Field, list[Report]]]:
    """(declaring dataset, field) → the field and the organisation's reports using it, for the
    fields ``user``'s role may read."""
    registry = sources()
    used: dict[tuple[str, str], tuple[Field, list[Report]]] = {}
    for report in Report.objects.order_by("name", "id"):
        dataset, names = _names(report.definition)
        source = registry.get(dataset)
        if source is None:
            continue
        for name in sorted(names):
            found = source.fields.get(name)
            if found is None or not may_read(user, found):
                continue
            own = registry[found.dataset].fields[found.origin]
            entry = used.setdefault((own.dataset, own.key), (own, []))
            if report not in entry[1]:
                entry[1].append(report)
    return used


def _creation_path(source: Source) -> str:
    try:
        source.model._meta.get_field("created_at")
        return "created_at"
    except FieldDoesNotExist:
        return source.date_field


def _month_start(today: dt.date, back: int) -> dt.date:
    year, month = today.year, today.month - back
    while month < 1:
        month += 12
        year -= 1
    return dt.date(year, month, 1)


def _counts(source: Source, fields: list[Field], user: User) -> tuple[int, list[int],
                                                                     dict[dt.date, list[int]]]:
    """One query: per month of creation, the records and, per field, those with a value."""
    path = _creation_path(source)
    measures: dict[str, Any] = {"_total": Count("pk")}
    for i, field_ in enumerate(fields):
        measures[f"f{i}"] = Count("pk", filter=~empty_condition(field_))
    queryset = rows(source, user).order_by()
    if not path:
        counts = queryset.aggregate(**measures)
        return counts["_total"], [counts[f"f{i}"] for i in range(len(fields))], {}
    kind = source.model._meta.get_field(path).get_internal_type()
    month = (TruncMonth(path, tzinfo=user_zone(user)) if kind == "DateTimeField"
             else TruncMonth(path))
    total, filled = 0, [0] * len(fields)
    by_month: dict[dt.date, list[int]] = {}
    for row in queryset.annotate(_month=month).values("_month").annotate(**measures):
        total += row["_total"]
        values = [row[f"f{i}"] for i in range(len(fields))]
        filled = [a + b for a, b in zip(filled, values, strict=True)]
        if row["_month"] is not None:
            start = row["_month"]
            start = start.date() if isinstance(start, dt.datetime) else start
            by_month[start] = [row["_total"], *values]
    return total, filled, by_month


def _places(source: Source, name: str) -> list[Place]:
    places = []
    capture: Capture
    for capture in source.declaration.capture:
        if capture.fields and name not in capture.fields:
            continue
        url = ""
        if capture.url:
            try:
                url = reverse(capture.url)
            except NoReverseMatch:
                url = ""
        places.append(Place(str(capture.label), capture.kind, url))
    return places


def places_of(field_: Field) -> list[Place]:
    """Where ``field_`` is captured: the places its declaring dataset names for it (a field
    reached through a join is captured where it is declared)."""
    declaring = sources().get(field_.dataset)
    return _places(declaring, field_.origin or field_.key) if declaring else []


def data_capture(user: User, *, today: dt.date | None = None) -> list[DatasetCapture]:
    """Every field the organisation's saved reports use that ``user`` may read, by dataset,
    with its fill rate today and over the last months, where it is captured, and by whom."""
    used = used_fields(user)
    if not used:
        return []
    visible = set(visible_reports(user).values_list("pk", flat=True))
    today = today or timezone.localdate(timezone=user_zone(user))
    months = [_month_start(today, back) for back in range(TREND_MONTHS - 1, -1, -1)]
    result = []
    for key, source in sources().items():
        entries = sorted(((f, reports) for (dataset, _name), (f, reports) in used.items()
                          if dataset == key), key=lambda e: e[0].full_label)
        if not entries or not role_has(user.role, source.permission):
            continue
        fields = [f for f, _reports in entries]
        total, filled, by_month = _counts(source, fields, user)
        captures = []
        for i, (field_, reports) in enumerate(entries):
            trend = [(m, by_month.get(m, [0] * (len(fields) + 1))[i + 1],
                      by_month.get(m, [0])[0]) for m in months]
            captures.append(FieldCapture(
                field=field_, filled=filled[i], total=total, trend=trend,
                places=_places(source, field_.key),
                reports=[r for r in reports if r.pk in visible],
                others=sum(1 for r in reports if r.pk not in visible)))
        result.append(DatasetCapture(source=source, fields=captures, total=total))
    return result
