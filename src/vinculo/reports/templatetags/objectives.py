"""A figure of an indicator in its unit and the reader's language (``core.formats``)."""

from __future__ import annotations

from typing import Any

from django import template

from vinculo.core.formats import format_money, format_number

register = template.Library()


@register.simple_tag
def figure(value: Any, unit: str, currency: str = "") -> str:
    """Money in the organisation's currency, a percentage with one decimal, a count, a
    score with one decimal; a dash when there is nothing to measure."""
    if value is None:
        return "—"
    if unit == "money":
        return format_money(value, currency)
    if unit == "percent":
        return f"{format_number(value, 1)} %"
    if unit == "count":
        return format_number(value, 0)
    return format_number(value, 1)
