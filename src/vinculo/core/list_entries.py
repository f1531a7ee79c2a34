"""What every list an organisation keeps in Settings asks of an entry (industries, ticket
types, reasons for losing, pipelines): a name that is given, fits and is not on the list yet,
and a position. One place, so the lists refuse the same input with the same words."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Model, QuerySet
from django.utils.translation import gettext as _

#: A position fits a PositiveSmallIntegerField.
ORDER_MAX = 32767


def entry_name(value: Any, limit: int, *, collapse: bool = False) -> str:
    """The name as typed, trimmed (``collapse``: inner runs of spaces made one); refused
    naming the field when empty or longer than ``limit``."""
    name = " ".join(str(value or "").split()) if collapse else str(value or "").strip()
    if not name:
        raise ValidationError({"name": _("This field cannot be blank.")})
    if len(name) > limit:
        raise ValidationError({"name": _("At most %(n)d characters.") % {"n": limit}})
    return name


def refuse_taken_name(entries: QuerySet, name: str, entry: Model | None, taken: str) -> None:
    """Refuse ``name`` (with the ``taken`` message) when another of ``entries`` has it, in any
    letter case."""
    others = entries.filter(name__iexact=name)
    if entry is not None:
        others = others.exclude(pk=entry.pk)
    if others.exists():
        raise ValidationError({"name": taken})


def entry_order(value: Any) -> int:
    """A position: a whole number, kept between 0 and what the column holds."""
    try:
        return max(0, min(ORDER_MAX, int(value or 0)))
    except (TypeError, ValueError):
        raise ValidationError({"order": _("Enter a whole number.")}) from None
