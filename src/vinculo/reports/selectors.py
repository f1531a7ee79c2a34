"""Reads of reports: which saved reports a user sees, a report's result, the fill rate of the
fields a report needs, and the sample preview of a report drafted before its data exist."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from vinculo.core.models import User
from vinculo.reports import query
from vinculo.reports.definition import Checked, check
from vinculo.reports.models import Report, ReportShare
from vinculo.reports.registry import Field, rows
from vinculo.reports.sample import sample_result


def visible_reports(user: User) -> QuerySet:
    """The reports ``user`` owns, and those shared with their role or their team."""
    shared = ReportShare.objects.filter(report=OuterRef("pk")).filter(
        Q(role=user.role) | (Q(team_id=user.team_id) if user.team_id else Q(pk__in=[])))
    return (Report.objects.filter(Q(owner=user) | Exists(shared))
            .select_related("owner").order_by("name", "id"))


def report_result(checked: Checked, user: User, *, timeout_ms: int | None = None,
                  sample_when_empty: bool = False) -> query.Result:
    """The report's figures as ``user`` reads them; with ``sample_when_empty``, a sample of
    the shape it will have when the dataset has no rows yet ("report first"). Every statement
    runs within the time limit (``query.statement_timeout``), the emptiness check too."""
    limit = query.default_timeout_ms() if timeout_ms is None else timeout_ms
    if sample_when_empty:
        with query.statement_timeout(limit):
            empty = not rows(checked.source, user).exists()
        if empty:
            return sample_result(checked)
    return query.run(checked, user, timeout_ms=limit)


def fill_rates(checked: Checked, user: User, *,
               timeout_ms: int | None = None) -> list[dict[str, Any]]:
    """For every field the report needs: the share of the user's rows with a value today
    (one aggregate query over the dataset, before the report's filters), and the places it
    is captured (``capture.places_of``), so a draft says where to start collecting it.

    The count reads every row of the dataset whatever the report's filters and limit, so it
    runs under the same time limit as the report (``ReportTimeout`` past it)."""
    from vinculo.reports.capture import places_of  # capture reads this module's selectors

    fields = checked.fields()
    if not fields:
        return []
    queryset = rows(checked.source, user)
    measures: dict[str, Any] = {"_total": Count("pk")}
    for i, field_ in enumerate(fields):
        measures[f"f{i}"] = Count("pk", filter=~empty_condition(field_))
    with query.statement_timeout(query.default_timeout_ms() if timeout_ms is None
                                 else timeout_ms):
        counts = queryset.aggregate(**measures)
    total = counts["_total"]
    return [{"field": f.key, "label": f.full_label, "filled": counts[f"f{i}"], "total": total,
             "rate": round(counts[f"f{i}"] / total * 100, 1) if total else None,
             "places": [vars(place) for place in places_of(f)]}
            for i, f in enumerate(fields)]


def empty_condition(field_: Field) -> Q:
    """The rows where ``field_`` has no value (null, or an empty text)."""
    empty = Q(**{f"{field_.path}__isnull": True})
    if field_.type in ("text", "choice"):
        empty |= Q(**{field_.path: ""})
    return empty


__all__ = ["check", "empty_condition", "fill_rates", "report_result", "visible_reports"]
