"""Deleting a record that others still point to: refused with a reason people can act on.

A foreign key with ``on_delete=PROTECT`` (or ``RESTRICT``) makes the database layer raise
``ProtectedError`` when the record it points to is deleted: an account with orders, a product on
invoice lines. The shared delete pieces (``core.views_base.RecordDeleteView`` and
``core.api_base.ServiceDestroyMixin``) turn it into :class:`InUseError`, which names what still
points to the record ("it still has 3 orders and 2 invoices"), in the user's language, and says
whether the record can be deactivated instead (it has an ``active`` flag). The page shows it as
a message (409), the API answers 409 with the ``InUse`` body. Nothing is removed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db import models, transaction
from django.db.models.deletion import ProtectedError, RestrictedError
from django.utils.text import get_text_list
from django.utils.translation import gettext as _


class InUseError(Exception):
    """``record`` cannot be deleted: other records still point to it. ``references`` lists
    ``(model label, verbose name for the count, count)``, most numerous first."""

    code = "in_use"

    def __init__(self, record: Any, references: list[tuple[str, str, int]]) -> None:
        self.record = record
        self.references = references
        self.can_deactivate = can_deactivate(record)
        super().__init__(self.message)

    @property
    def message(self) -> str:
        listed = get_text_list([f"{count} {name}" for _label, name, count in self.references],
                               _("and"))
        text = _("%(record)s cannot be deleted: it still has %(references)s.") % {
            "record": self.record, "references": listed}
        if self.can_deactivate:
            text += " " + _("You can deactivate it instead: it leaves the lists and pickers "
                            "and keeps its history.")
        return text


def can_deactivate(record: Any) -> bool:
    """True when the record has an ``active`` flag that is set (deactivation keeps history)."""
    try:
        field = type(record)._meta.get_field("active")
    except FieldDoesNotExist:
        return False
    return isinstance(field, models.BooleanField) and bool(getattr(record, "active", False))


def references(objects: Iterable[Any]) -> list[tuple[str, str, int]]:
    """Count the rows that point to a record, by model, with the model's name for that count."""
    counts = Counter(type(obj) for obj in objects)
    result = []
    for model, count in counts.most_common():
        meta = model._meta
        name = meta.verbose_name if count == 1 else meta.verbose_name_plural
        result.append((meta.label_lower, str(name), count))
    return result


def in_use_error(record: Any, exc: ProtectedError | RestrictedError) -> InUseError:
    """The :class:`InUseError` for a ``ProtectedError``/``RestrictedError`` about ``record``."""
    objects = (exc.protected_objects if isinstance(exc, ProtectedError)
               else exc.restricted_objects)
    return InUseError(record, references(objects))


#: What the shared delete pieces catch: the ORM's refusals, before any row was removed.
REFUSALS = (ProtectedError, RestrictedError)


def delete_record(record: Any) -> None:
    """Delete ``record`` in a savepoint; refuse with :class:`InUseError` while rows point to
    it (for services that delete outside the shared pieces' reach, or want it said early)."""
    try:
        with transaction.atomic():
            record.delete()
    except REFUSALS as exc:
        raise in_use_error(record, exc) from None
