"""Canonical forms of what people type: e-mails, phones (E.164), tax ids, names.

Duplicate detection, search and validation all compare these forms, so they live in one place.
"""

from __future__ import annotations

import unicodedata
from typing import Any

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _
from stdnum import get_cc_module
from stdnum.exceptions import ValidationError as StdnumError

from vinculo.core.countries import country_name

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


def fold(text: str) -> str:
    """Lower-case, accents removed, spaces collapsed: 'José  Núñez' -> 'jose nunez'."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(stripped.lower().split())


def normalize_email(value: str, *, field: str = "email") -> str:
    value = (value or "").strip().lower()
    if not value:
        return ""
    try:
        validate_email(value)
    except ValidationError:
        raise ValidationError({field: _("Enter a valid e-mail address.")}) from None
    return value


def normalize_phone(value: str, *, region: str = "ES", field: str = "phone") -> str:
    """Parse a phone as typed (national or international) into E.164, or raise naming ``field``."""
    value = (value or "").strip()
    if not value:
        return ""
    try:
        number = phonenumbers.parse(value, region.upper() or None)
    except phonenumbers.NumberParseException:
        raise ValidationError({field: _("Enter a valid phone number.")}) from None
    if not phonenumbers.is_valid_number(number):
        raise ValidationError({field: _("Enter a valid phone number.")})
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


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


def full_name(first: str, last: str) -> str:
    return " ".join(part for part in ((first or "").strip(), (last or "").strip()) if part)


def search_text(*parts: str) -> str:
    return fold(" ".join(p for p in parts if p))[:400]


def search_term(query: str) -> str:
    """The form a search-box query is compared in: folded, and a phone reduced to its digits."""
    folded = fold(query)
    digits = "".join(ch for ch in folded if ch.isdigit() or ch == "+")
    if digits and len(digits) >= 6 and len(digits) >= len(folded.replace(" ", "")) - 2:
        return digits.lstrip("+")
    return folded
