"""Countries (and their tax ids), currencies, time zones and languages, by name.

Babel carries the CLDR names (``GB`` → "United Kingdom" / "Reino Unido", ``EUR`` → "euro"), so
no list is kept by hand here; codes stay ISO 3166 / ISO 4217 / IANA in the database.
"""

from __future__ import annotations

import zoneinfo
from functools import lru_cache
from typing import Any

from babel import Locale, UnknownLocaleError
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from stdnum import get_cc_module
from stdnum.exceptions import ValidationError as StdnumError

# Country → stdnum module that validates its company/person tax id.
TAX_ID_MODULES = {
    "ES": "nif",
    "MX": "rfc",
    "AR": "cuit",
    "CL": "rut",
    "CO": "nit",
    "PE": "ruc",
    "UY": "rut",
    "EC": "ruc",
    "PT": "nif",
    "FR": "siren",
    "DE": "stnr",
    "IT": "codicefiscale",
    "US": "ein",
    "GB": "vat",
}


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


def _tax_id_modules(country: str) -> list[Any]:
    """The stdnum modules a tax id of ``country`` may satisfy: its national id (NIF, RFC,
    SIREN…) and its VAT number (``GB 980 7806 84``, ``FR 40 303 265 045``)."""
    modules = []
    names = [TAX_ID_MODULES.get(country.upper()), "vat"]
    for name in dict.fromkeys(n for n in names if n):
        module = get_cc_module(country.lower(), name) if len(country) == 2 else None
        if module is not None and module not in modules:
            modules.append(module)
    return modules


def normalize_tax_id(value: str, *, country: str = "", field: str = "tax_id") -> str:
    """Compact a tax id and check it against the rules of ``country`` (the record's country):
    its national id or its VAT number. A country without a validator keeps the compact form."""
    value = (value or "").strip()
    if not value:
        return ""
    modules = _tax_id_modules(country)
    if not modules:
        return "".join(ch for ch in value.upper() if ch.isalnum())
    for module in modules:
        try:
            return str(module.validate(value))
        except StdnumError:
            continue
    raise ValidationError({field: _(
        "Not a valid tax id or VAT number for %(country)s (%(code)s)."
    ) % {"country": country_name(country), "code": country.upper()}})
