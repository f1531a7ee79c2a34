"""Countries, currencies, time zones and languages people choose from, named in their language.

Babel carries the CLDR names (``GB`` → "United Kingdom" / "Reino Unido", ``EUR`` → "euro"), so
no list is kept by hand here; codes stay ISO 3166 / ISO 4217 / IANA in the database.
"""

from __future__ import annotations

import zoneinfo
from functools import lru_cache

from babel import Locale, UnknownLocaleError
from django.conf import settings
from django.utils.translation import get_language


def _locale() -> Locale:
    try:
        return Locale.parse((get_language() or settings.LANGUAGE_CODE).replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        return Locale.parse("en")


@lru_cache(maxsize=1)
def country_codes() -> frozenset[str]:
    """Every two-letter ISO 3166 country code CLDR names (regions such as ``419`` left out)."""
    return frozenset(code for code in Locale.parse("en").territories
                     if len(code) == 2 and code.isalpha() and code not in ("ZZ", "QO", "EU",
                                                                            "EZ", "UN", "XA",
                                                                            "XB"))


def country_name(code: str) -> str:
    """The country's name in the active language, or the code when it has none."""
    code = (code or "").upper()
    return str(_locale().territories.get(code, code)) if code else ""


def country_choices() -> list[tuple[str, str]]:
    """(code, name) pairs sorted by name in the active language, for a select."""
    names = _locale().territories
    return sorted(((code, str(names.get(code, code))) for code in country_codes()),
                  key=lambda pair: pair[1].casefold())


@lru_cache(maxsize=1)
def currency_codes() -> frozenset[str]:
    return frozenset(code for code in Locale.parse("en").currencies
                     if len(code) == 3 and code.isalpha())


def currency_choices() -> list[tuple[str, str]]:
    names = _locale().currencies
    return sorted((code, f"{code} — {names.get(code, code)}") for code in currency_codes())


@lru_cache(maxsize=1)
def time_zones() -> tuple[str, ...]:
    """IANA zone names (``Europe/Madrid``), without the legacy aliases people do not pick."""
    return tuple(sorted(zone for zone in zoneinfo.available_timezones()
                        if ("/" in zone and not zone.startswith(("Etc/", "SystemV/", "US/")))
                        or zone == "UTC"))


def language_choices() -> list[tuple[str, str]]:
    return [(code, str(name)) for code, name in settings.LANGUAGES]
