"""The rows of a condition builder (a rule's flat conditions as form controls) and the rule
they make: one shape for the segment builder and the exception rules' builder, so the two
read and write conditions the same way. Pure: data in, rows or a rule out (no forms, no
views); the rule language itself is ``segments.rules``."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any

from django.utils.translation import gettext_lazy as _

from vinculo.core.limits import SHORT_TEXT_MAX_LENGTH
from vinculo.segments.rules.registry import DAYS_VALUE, LIST_VALUE, NO_VALUE, OPERATORS, FieldDef

MAX_ROWS = 50


@dataclass
class Row:
    """One condition as the builder shows it."""

    index: int
    field: str = ""
    op: str = ""
    value: Any = ""
    value2: Any = ""
    days: Any = ""
    definition: FieldDef | None = None
    errors: list[str] = dataclass_field(default_factory=list)

    @property
    def operators(self) -> list[tuple[str, Any]]:
        if self.definition is None:
            return []
        return [(op, OPERATORS[op]) for op in self.definition.operators]

    @property
    def takes_value(self) -> bool:
        return self.op not in NO_VALUE

    @property
    def takes_two(self) -> bool:
        return self.op == "between"

    @property
    def takes_days(self) -> bool:
        return self.op in DAYS_VALUE

    @property
    def multiple(self) -> bool:
        return self.op in LIST_VALUE or (self.definition is not None
                                         and self.definition.type in ("tags", "segment"))

    @property
    def input_type(self) -> str:
        kind = self.definition.type if self.definition else "text"
        if self.takes_days or kind == "number":
            return "number"
        return "date" if kind == "date" else "text"

    @property
    def choices(self) -> list[tuple[str, Any]]:
        if self.definition is None:
            return []
        if self.definition.type == "boolean":
            return [("true", _("Yes")), ("false", _("No"))]
        return [(str(v), label) for v, label in self.definition.choice_list()]

    @property
    def selected(self) -> list[str]:
        return [str(v) for v in (self.value if isinstance(self.value, list) else [self.value])]

    @property
    def chosen_labels(self) -> list[Any]:
        """The labels of the chosen values, in the list's order (shown under a multiple
        choice, whose scroll hides some)."""
        chosen = set(self.selected)
        return [label for value, label in self.choices if value in chosen]


def rows_from_post(data: Any, registry: dict[str, FieldDef], *, count_key: str = "rows",
                   add_key: str = "add", remove_key: str = "remove",
                   max_rows: int = MAX_ROWS) -> list[Row]:
    """The rows the builder posted (``c-<i>-field``, ``-op``, ``-value``, ``-value2``,
    ``-days``; how many under ``count_key``), with a row added or removed when those buttons
    (``add_key``, ``remove_key``) were pressed."""
    try:
        count = min(max_rows, max(0, int(data.get(count_key) or 0)))
    except (TypeError, ValueError):
        count = 0
    rows = []
    removed = data.get(remove_key)
    for i in range(count):
        if removed == str(i):
            continue
        prefix = f"c-{i}-"
        name = str(data.get(prefix + "field", ""))[:200]
        definition = registry.get(name)
        op = str(data.get(prefix + "op", ""))[:40]
        if definition is not None and op not in definition.operators:
            op = definition.operators[0]
        values = [str(v)[:SHORT_TEXT_MAX_LENGTH] for v in data.getlist(prefix + "value")]
        row = Row(index=len(rows), field=name, op=op, definition=definition,
                  value=values if len(values) > 1 else (values[0] if values else ""),
                  value2=str(data.get(prefix + "value2", ""))[:100],
                  days=str(data.get(prefix + "days", ""))[:10])
        rows.append(row)
    if data.get(add_key) and len(rows) < max_rows:
        rows.append(Row(index=len(rows)))
    return rows


def number_or_text(text: str) -> Any:
    """An integer when the text is one; else the text, for the checks to name."""
    try:
        return int(text)
    except ValueError:
        return text


def rule_from_rows(match: str, rows: list[Row]) -> dict[str, Any]:
    """The rule language for flat rows; what cannot be read is passed on as typed, so the
    check names the row and the part."""
    conditions = []
    for row in rows:
        condition: dict[str, Any] = {"field": row.field, "op": row.op}
        kind = row.definition.type if row.definition else "text"
        if row.takes_days:
            condition["value"] = number_or_text(str(row.value).strip())
        elif row.takes_two:
            condition["value"] = [row.value, row.value2]
        elif row.takes_value:
            value: Any = row.value
            if row.multiple:
                items = value if isinstance(value, list) else str(value).split(",")
                value = [v.strip() for v in items if v.strip()]
            elif kind == "boolean":
                value = {"true": True, "false": False}.get(str(value), value)
            condition["value"] = value
        if row.definition is not None and "days" in row.definition.params and row.days:
            condition["days"] = number_or_text(str(row.days).strip())
        conditions.append(condition)
    return {"match": match or "all", "conditions": conditions}


def rows_from_rule(rule: dict[str, Any], registry: dict[str, FieldDef]) -> list[Row] | None:
    """The builder's rows for a stored rule, or None when it has nested groups (shown as
    JSON)."""
    rows = []
    for i, condition in enumerate((rule or {}).get("conditions", []) or []):
        if not isinstance(condition, dict) or "conditions" in condition:
            return None
        value = condition.get("value", "")
        value2 = ""
        if condition.get("op") == "between" and isinstance(value, list) and len(value) == 2:
            value, value2 = value
        if isinstance(value, bool):
            value = "true" if value else "false"
        rows.append(Row(index=i, field=condition.get("field", ""), op=condition.get("op", ""),
                        value=value, value2=value2, days=condition.get("days", ""),
                        definition=registry.get(condition.get("field", ""))))
    return rows
