"""Canonical forms of what people type: e-mails, phones (E.164), tax ids, names.

Duplicate detection, search and validation all compare these forms, so they live in one place.
"""

from __future__ import annotations

import unicodedata

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from vinculo.core.countries import TAX_ID_MODULES, normalize_tax_id

__all__ = ["TAX_ID_MODULES", "normalize_tax_id"]  # kept here for the callers of normalize


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
