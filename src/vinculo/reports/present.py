"""How a result reads: group values in the user's language (a month as "mar 2026", a quarter
as "T1 2026"), numbers with the language's separators, a share as a percentage. The page, the
chart and the exports use the same labels."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils import formats
from django.utils.translation import gettext as _

from vinculo.core.formats import format_number
from vinculo.reports.definition import OPERATORS, Checked
from vinculo.reports.query import Column, Result


def bucket_label(value: dt.date, bucket: str) -> str:
    if bucket == "week":
        return _("week of %(date)s") % {"date": formats.date_format(value, "SHORT_DATE_FORMAT")}
    if bucket == "month":
        return formats.date_format(value, "M Y")
    if bucket == "quarter":
        return _("Q%(quarter)s %(year)s") % {"quarter": (value.month - 1) // 3 + 1,
                                              "year": value.year}
    if bucket == "year":
        return str(value.year)
    return formats.date_format(value, "SHORT_DATE_FORMAT")


def label(result: Result, column: Column, value: Any) -> str:
    """A group value as text (the axis of a chart, the first cells of a row)."""
    if value is None or value == "":
        return str(_("(empty)"))
    if column.key in result.buckets and isinstance(value, dt.date):
        return bucket_label(value, result.buckets[column.key])
    if isinstance(value, bool):
        return str(_("Yes") if value else _("No"))
    if isinstance(value, dt.datetime):
        return formats.date_format(value, "SHORT_DATETIME_FORMAT")
    if isinstance(value, dt.date):
        return formats.date_format(value, "SHORT_DATE_FORMAT")
    return str(value)


def cell(result: Result, column: Column, value: Any) -> str:
    """Any value as the page prints it."""
    if value is None:
        return ""
    if column.kind == "group":
        return label(result, column, value)
    if column.type == "percent":
        return f"{format_number(value, 1)} %"
    if column.type == "money":
        return format_number(value, 2)
    if column.type == "number":
        return format_number(value, "-2")
    if column.type == "integer" and isinstance(value, (int, float, Decimal)):
        return format_number(value, 0)
    return label(result, column, value)


def table(result: Result) -> list[list[str]]:
    return [[cell(result, c, v) for c, v in zip(result.columns, row, strict=True)]
            for row in result.rows]


def numeric(column: Column) -> bool:
    return column.kind != "group" and column.type in ("integer", "number", "money", "percent")


def _value_words(field: Any, value: Any) -> str:
    if isinstance(value, bool):
        return str(_("Yes") if value else _("No"))
    if isinstance(value, dt.date):
        return formats.date_format(value, "SHORT_DATE_FORMAT")
    if isinstance(value, (int, float, Decimal)):
        return format_number(value, "-2")
    if field.choices:
        return str(field.choice_label(value))
    return f"«{value}»"


def filter_words(checked: Checked) -> list[str]:
    """The report's filters as a person reads them ("Status is one of Confirmed, Delivered"),
    in the active language: what a printed report must say it counted."""
    phrases = []
    for item in checked.filters:
        name = item.field.full_label
        if item.op in ("empty", "not_empty"):
            phrases.append(f"{name} {OPERATORS[item.op]}")
        elif item.op == "between":
            low, high = (_value_words(item.field, v) for v in item.value)
            phrases.append(_("%(field)s between %(low)s and %(high)s")
                           % {"field": name, "low": low, "high": high})
        elif item.op == "in_last_days":
            phrases.append(_("%(field)s in the last %(days)s days")
                           % {"field": name, "days": format_number(item.value)})
        elif isinstance(item.value, list):
            values = ", ".join(_value_words(item.field, v) for v in item.value)
            phrases.append(f"{name} {OPERATORS[item.op]} {values}")
        else:
            phrases.append(f"{name} {OPERATORS[item.op]} {_value_words(item.field, item.value)}")
    return phrases
