"""Template filters over ``vinculo.core.formats``: every number on a page goes through them.

``{{ amount|money:record.currency }}``, ``{{ price|unit_money:record.currency }}`` (up to four
decimals), ``{{ count|number }}``, ``{{ rate|number:1 }}``,
``{{ quantity|number:"-3" }}``, ``{{ seconds|duration }}``, ``{{ minutes|minutes }}``, and
``{% long_text record.notes %}`` for a text that may be long (folded, wrapped at any width).
"""

from __future__ import annotations

from typing import Any

from django import template

from vinculo.core import formats

register = template.Library()

FOLD_CHARACTERS = 400
FOLD_LINES = 6


@register.filter
def money(value: Any, currency: str = "") -> str:
    return formats.format_money(value, currency or "")


@register.filter
def unit_money(value: Any, currency: str = "") -> str:
    """A unit price with up to four decimals: ``{{ cost|unit_money:record.currency }}``."""
    return formats.format_money(value, currency or "", decimals=4)


@register.filter
def phone(value: Any) -> str:
    """``{{ contact.phone|phone }}``: grouped for reading; keep E.164 in ``tel:`` links."""
    return formats.format_phone(value)


@register.filter
def number(value: Any, decimals: int | str = 0) -> str:
    return formats.format_number(value, decimals)


@register.filter
def duration(seconds: Any) -> str:
    return formats.format_duration(seconds)


@register.filter
def minutes(value: Any) -> str:
    return formats.format_minutes(value)


@register.inclusion_tag("includes/long_text.html")
def long_text(text: Any, fold: int = FOLD_CHARACTERS) -> dict[str, Any]:
    """A text shown whole when short; otherwise its start, with the rest behind a "Show all"
    (``<details>``), so a 10,000-character note never stretches the page."""
    text = "" if text is None else str(text)
    folded = len(text) > fold or text.count("\n") >= FOLD_LINES
    head = "\n".join(text[:fold].split("\n")[:FOLD_LINES]).rstrip()
    return {"text": text, "folded": folded, "head": head}
