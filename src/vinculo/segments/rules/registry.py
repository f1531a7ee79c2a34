"""The field registry of the rule language: one list that the builder page, the API schema and
the validation read, so a field the page offers is exactly a field the compiler understands.

A field (:class:`FieldDef`) has a name (``account.lifecycle_stage``, ``analytics.clv``), a
label and group in the user's language, a type (which decides the operators it takes and how a
value is checked) and a ``build(op, value, ctx)`` that returns a ``Q`` over its ``base``
model (accounts or contacts). The compiler carries a condition on an account field to a
contact segment (and back) with one ``EXISTS`` over the account memberships.

Apps add fields through the extension point ``segments.fields``: a contract's
``extensions={"segments.fields": ("vinculo.loyalty.segment_fields.fields",)}`` names a
callable ``fields(organization_id) -> Iterable[FieldDef]``. Segments itself contributes its
built-in fields that way (``segments/rules/builtin.py``), so loyalty and service packages,
when they exist, add theirs without an edit here. An app below segments in the layer order
cannot import :class:`FieldDef`; it may return plain dictionaries with the same keys.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from vinculo.core import plugins

EXTENSION_POINT = "segments.fields"

# Operators: the JSON name, what the page shows.
OPERATORS: dict[str, Any] = {
    "eq": _("is"),
    "ne": _("is not"),
    "lt": _("is less than"),
    "lte": _("is at most"),
    "gt": _("is more than"),
    "gte": _("is at least"),
    "between": _("is between"),
    "in": _("is one of"),
    "not_in": _("is none of"),
    "contains": _("contains"),
    "empty": _("is empty"),
    "not_empty": _("is not empty"),
    "in_last_days": _("in the last … days"),
    "before_last_days": _("more than … days ago"),
}

# Field types → the operators they take.
TYPE_OPS: dict[str, tuple[str, ...]] = {
    "text": ("eq", "ne", "contains", "in", "not_in", "empty", "not_empty"),
    "number": ("eq", "ne", "lt", "lte", "gt", "gte", "between", "empty", "not_empty"),
    "date": ("eq", "lt", "lte", "gt", "gte", "between", "in_last_days", "before_last_days",
             "empty", "not_empty"),
    "boolean": ("eq",),
    "choice": ("eq", "ne", "in", "not_in", "empty", "not_empty"),
    "tags": ("in", "not_in", "empty", "not_empty"),
    "user": ("eq", "ne", "in", "not_in", "empty", "not_empty"),
    "team": ("eq", "ne", "in", "not_in", "empty", "not_empty"),
    "segment": ("in", "not_in"),
}

# Operators that take no value, a list, a pair, or a number of days.
NO_VALUE = {"empty", "not_empty"}
LIST_VALUE = {"in", "not_in"}
DAYS_VALUE = {"in_last_days", "before_last_days"}


@dataclass
class Context:
    """What a field's ``build`` may need besides the condition: the organisation, today's
    date (relative dates count from it), the condition's extra ``params`` and a cache shared
    by the conditions of one rule (the latest snapshot date is read once)."""

    organization_id: int
    today: Any
    params: dict[str, int] = field(default_factory=dict)
    cache: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class FieldDef:
    """One field a rule may name.

    ``build(op, value, ctx)`` returns a ``Q`` over the ``base`` model (``"account"`` or
    ``"contact"``; ``"any"`` for segment membership, which the compiler builds itself);
    ``value`` arrives checked and converted (numbers as ``Decimal``, dates as
    ``date``, days as ``int``, lists as lists). ``params`` names extra keys a condition takes
    (``days``: the period of "orders in the last N days"), each a positive whole number.
    """

    name: str
    label: Any
    group: Any
    type: str
    base: str
    build: Callable[[str, Any, Context], Q]
    choices: Callable[[], list[tuple[str, Any]]] | None = None
    params: tuple[str, ...] = ()
    ops: tuple[str, ...] = ()
    help: Any = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def operators(self) -> tuple[str, ...]:
        return self.ops or TYPE_OPS[self.type]

    def choice_list(self) -> list[tuple[str, Any]]:
        return list(self.choices()) if self.choices is not None else []


def _as_field(item: Any) -> FieldDef:
    return item if isinstance(item, FieldDef) else FieldDef(**item)


def fields(organization_id: int) -> dict[str, FieldDef]:
    """Every field a rule of ``organization_id`` may name, by name, in the providers' order
    (custom fields are the organisation's own, so the list is per organisation)."""
    table: dict[str, FieldDef] = {}
    for path in plugins.contributions(EXTENSION_POINT):
        for item in plugins.resolve(path)(organization_id):
            definition = _as_field(item)
            table[definition.name] = definition
    return table


def describe(organization_id: int) -> list[dict[str, Any]]:
    """The registry as data, for the builder page and ``GET /api/segments/fields/``."""
    return [
        {"name": f.name, "label": str(f.label), "group": str(f.group), "type": f.type,
         "applies_to": f.base, "operators": list(f.operators), "params": list(f.params),
         "choices": [{"value": v, "label": str(label)} for v, label in f.choice_list()]}
        for f in fields(organization_id).values()
    ]


def operator_labels() -> Iterable[tuple[str, Any]]:
    return OPERATORS.items()
