"""A figure of an indicator in its unit and the reader's language (``core.formats``)."""

from __future__ import annotations

from typing import Any

from django import template

from vinculo.core.formats import format_money, format_number
from vinculo.reports.objectives import indicator_label, indicators

register = template.Library()


@register.simple_tag
def figure(value: Any, unit: str, currency: str = "") -> str:
    """Money in the organisation's currency, a percentage (or a return) with one decimal, a
    count, a score with one decimal; a dash when there is nothing to measure."""
    if value is None:
        return "—"
    if unit == "money":
        return format_money(value, currency)
    if unit in ("percent", "return"):
        return f"{format_number(value, 1)} %"
    if unit == "count":
        return format_number(value, 0)
    return format_number(value, 1)


@register.simple_tag
def indicator_name(key: str) -> str:
    return indicator_label(key)


@register.simple_tag
def indicator_target(objective: Any) -> str:
    """The objective's target in its indicator's unit."""
    found = indicators().get(objective.indicator)
    return figure(objective.target, found.unit if found else "number",
                  objective.organization.base_currency)
