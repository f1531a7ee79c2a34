"""Record histories as people read them: one formatter for every history page and the API.

The audit log (``core.audit``) stores raw values — ISO timestamps, ids, choice keys, minutes as
floats — because machines need them. People need the field's label in their language and the
value formatted for them: dates in their locale, numbers and money with their separators,
durations in days/hours/minutes, choices by label, references by their name. Fields without a
label of their own (internal bookkeeping such as SLA pause lists or search text) are left out.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.db import models
from django.utils import formats, timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.text import capfirst
from django.utils.translation import gettext

from vinculo.core.formats import format_duration, format_minutes, format_number
from vinculo.core.models import AuditEntry

HIDDEN = {"uuid", "version", "created_at", "updated_at"}
VALUE_MAX_CHARACTERS = 300


@dataclass(frozen=True)
class DisplayChange:
    field: str  # the field's name, for machines (the API)
    label: str
    before: str
    after: str


def model_label(object_type: str) -> str:
    """``customers.accountcontact`` as people say it ("Account contact"); the raw type only
    if the model no longer exists."""
    try:
        model = apps.get_model(object_type)
    except (LookupError, ValueError):
        return object_type
    return capfirst(str(model._meta.verbose_name))


def _shown(field: models.Field | None) -> bool:
    """A field is shown when someone named it for people (a verbose name of its own)."""
    if field is None:
        return False
    if isinstance(field, models.ManyToManyField):
        return True
    return field.name not in HIDDEN and getattr(field, "_verbose_name", None) is not None


class References:
    """Names of referenced rows, read once per history (not once per change)."""

    def __init__(self) -> None:
        self.cache: dict[tuple[type, Any], str] = {}

    def name(self, model: type[models.Model], pk: Any) -> str:
        key = (model, pk)
        if key not in self.cache:
            row = model._base_manager.filter(pk=pk).first()
            self.cache[key] = str(row) if row is not None else gettext("(deleted)")
        return self.cache[key]


def _clip(text: str) -> str:
    return text if len(text) <= VALUE_MAX_CHARACTERS else text[: VALUE_MAX_CHARACTERS - 1] + "…"


def _model_display(field: models.Field | None, value: Any) -> str | None:
    """A model says how people read a value whose labels are not the field's choices (a
    cost driver an app declares, a list of ticket kinds): ``history_display(name, value)``."""
    hook = getattr(getattr(field, "model", None), "history_display", None)
    return hook(field.name, value) if hook is not None and field is not None else None


def display_value(field: models.Field | None, value: Any,
                  references: References | None = None) -> str:
    """One stored value as people read it in the active language."""
    if value is None or value == "" or value == [] or value == {}:
        return ""
    shown = _model_display(field, value)
    if shown is not None:
        return shown
    if isinstance(value, str) and value.startswith("(secret "):
        return gettext("set")  # a secret (a password) shows only that it is set, never a digest
    if isinstance(field, models.ManyToManyField) and isinstance(value, dict):
        parts = [f"+ {', '.join(value['added'])}" if value.get("added") else "",
                 f"− {', '.join(value['removed'])}" if value.get("removed") else "",
                 gettext("cleared") if "cleared" in value else ""]
        return " ".join(p for p in parts if p)
    if field is not None and field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(field, models.ForeignKey):
        return (references or References()).name(field.related_model, value)
    if isinstance(value, bool):
        return gettext("Yes") if value else gettext("No")
    if isinstance(field, models.DateTimeField) and isinstance(value, str):
        moment = parse_datetime(value)
        if moment is not None:
            if timezone.is_aware(moment):
                moment = timezone.localtime(moment)
            return formats.date_format(moment, "SHORT_DATETIME_FORMAT")
    if isinstance(field, models.DateField) and isinstance(value, str):
        day = parse_date(value)
        if isinstance(day, dt.date):
            return formats.date_format(day, "SHORT_DATE_FORMAT")
    name = field.name if field is not None else ""
    if name.endswith("_minutes") and isinstance(value, int | float):
        return format_minutes(value)
    if name.endswith("_seconds") and isinstance(value, int | float):
        return format_duration(value)
    if isinstance(field, models.DecimalField):
        return format_number(value, 2 if field.decimal_places == 2 else f"-{field.decimal_places}")
    if isinstance(value, int | float) and not isinstance(value, bool):
        return format_number(value, "-2")
    if isinstance(value, dict):
        return _clip(", ".join(f"{k}: {display_value(None, v)}" for k, v in value.items()))
    if isinstance(value, list):
        return _clip(", ".join(display_value(None, v) for v in value))
    return _clip(str(value))


def describe_changes(entry: AuditEntry, model: type[models.Model] | None = None,
                     references: References | None = None) -> list[DisplayChange]:
    """An entry's changes with the fields' labels in the user's language and values formatted
    for people; fields without a label for people are left out."""
    if model is None:
        try:
            model = apps.get_model(entry.object_type)
        except (LookupError, ValueError):
            return []
    references = references or References()
    fields: dict[str, models.Field] = {f.attname: f for f in model._meta.concrete_fields}
    fields.update({f.name: f for f in model._meta.many_to_many})
    rows = []
    for name, change in (entry.changes or {}).items():
        field = fields.get(name)
        if not _shown(field):
            continue
        assert field is not None
        label = capfirst(str(field.verbose_name))
        if isinstance(change, dict):
            rows.append(DisplayChange(name, label, "", display_value(field, change, references)))
        elif isinstance(change, list) and len(change) == 2:
            before, after = change
            rows.append(DisplayChange(name, label, display_value(field, before, references),
                                      display_value(field, after, references)))
    return rows


def history_rows(entries: Any, model: type[models.Model] | None = None) -> list[dict[str, Any]]:
    """Audit entries ready for ``includes/history.html`` and the audit log page: each with its
    readable changes and the record's kind in the user's language."""
    references = References()
    return [{"entry": entry, "kind": model_label(entry.object_type),
             "changes": describe_changes(entry, model, references)} for entry in entries]


def record_history(instance: Any, *, limit: int = 100) -> Any:
    """The record's audit entries, newest first (the organisation's scope applies)."""
    return AuditEntry.objects.filter(
        object_type=instance._meta.label_lower, object_id=instance.pk
    ).select_related("actor")[:limit]


def record_history_display(instance: Any, *, limit: int = 30) -> list[dict[str, Any]]:
    """The record's history as people read it (``includes/history.html``): field labels and
    choice names, not columns. Every record page's history comes from here."""
    return history_rows(record_history(instance, limit=limit), type(instance))
