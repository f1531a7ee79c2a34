"""Numbers, money and durations as people of the active language read them.

One formatter for every page, PDF, timeline entry and record history, so Spanish reads
``3.844,36 €`` everywhere and English ``€3,844.36``; built on Django's localisation (the active
language's separators, grouping forced), so no second source of formats drifts from it.
Templates use the filters of ``core/templatetags/vinculo_format.py``.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

import phonenumbers
from django.template.defaultfilters import floatformat
from django.utils.translation import get_language, gettext, ngettext

# Symbols for the currencies customers of a Spanish-speaking CRM use most; any other code is
# printed as the code itself.
SYMBOLS = {"EUR": "€", "USD": "US$", "GBP": "£", "MXN": "MX$", "ARS": "AR$", "CLP": "CLP$",
           "COP": "COL$", "BRL": "R$", "JPY": "¥", "CHF": "CHF"}
_PREFIX_LANGUAGES = {"en"}  # languages writing the symbol before the amount
NBSP = "\u00a0"


def format_number(value: Any, decimals: int | str = 0) -> str:
    """``value`` with ``decimals`` places (``"-3"``: up to three, only as many as needed) and
    the active language's separators, thousands grouped; '' for None or a non-number."""
    if value is None or value == "":
        return ""
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return ""
    if not number.is_finite():
        return ""
    places = int(decimals)
    if places < 0:  # as many as needed, up to -places: 2.500 → "2,5"
        exponent = int(number.normalize().as_tuple().exponent)
        places = max(0, min(-places, -exponent))
    return str(floatformat(number, f"{places}g"))


def format_money(value: Any, currency: str = "", *, decimals: int = 2) -> str:
    """An amount with two decimals (``decimals=4``: up to four, a unit price such as a cost
    per message of 0,0125 €, never fewer than two) and its currency as the active language
    writes it."""
    number = format_number(value, 2)
    if decimals > 2 and number:
        exact = Decimal(str(value)).quantize(Decimal(1).scaleb(-decimals)).normalize()
        places = max(2, -int(exact.as_tuple().exponent))
        number = format_number(exact, places)
    if not number or not currency:
        return number
    symbol = SYMBOLS.get(currency, currency)
    if (get_language() or "en").split("-")[0] in _PREFIX_LANGUAGES and symbol != currency:
        return f"-{symbol}{number[1:]}" if number.startswith("-") else f"{symbol}{number}"
    return f"{number}{NBSP}{symbol}"


def format_phone(value: Any) -> str:
    """An E.164 number as people read it, grouped the way its country writes it
    (``+34986024697`` → ``+34 986 02 46 97``); anything that does not parse stays as it is."""
    text = "" if value is None else str(value).strip()
    if not text.startswith("+"):
        return text
    try:
        parsed = phonenumbers.parse(text, None)
    except phonenumbers.NumberParseException:
        return text
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def format_duration(seconds: Any) -> str:
    """A span of time in days, hours and minutes (the two largest units), never in seconds:
    626266 s reads "7 days 5 hours"."""
    if seconds is None or seconds == "":
        return ""
    total = round(float(seconds) / 60)  # minutes
    if total < 1:
        return gettext("less than a minute")
    days, rest = divmod(total, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = []
    if days:
        parts.append(ngettext("%(n)s day", "%(n)s days", days) % {"n": format_number(days)})
    if hours:
        parts.append(ngettext("%(n)s hour", "%(n)s hours", hours) % {"n": hours})
    if minutes and not days:
        parts.append(ngettext("%(n)s minute", "%(n)s minutes", minutes) % {"n": minutes})
    return " ".join(parts[:2])


def format_minutes(minutes: Any) -> str:
    """A duration kept in minutes (SLA figures), as :func:`format_duration` writes it."""
    if minutes is None or minutes == "":
        return ""
    return format_duration(float(minutes) * 60)
