"""The segment builder's form: name, members, kind, and the rule as rows of conditions (or,
for nested groups, as JSON). Thin: it turns what people chose into the rule language; the
services check the rule and say which part is wrong."""

from __future__ import annotations

import json
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from vinculo.core.limits import SHORT_TEXT_MAX_LENGTH, TEXT_MAX_LENGTH
from vinculo.core.pickers import style
from vinculo.segments.models import Segment, SegmentKind, Subject
from vinculo.segments.rules.registry import (
    DAYS_VALUE,
    LIST_VALUE,
    NO_VALUE,
    OPERATORS,
    FieldDef,
)

MAX_ROWS = 50
RULE_JSON_MAX_LENGTH = 20_000


class SegmentForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    description = forms.CharField(label=_("Description"), required=False,
                                  max_length=TEXT_MAX_LENGTH,
                                  widget=forms.Textarea(attrs={"rows": 2}))
    subject = forms.ChoiceField(label=_("Members are"), choices=Subject.choices)
    kind = forms.ChoiceField(label=_("Kind"), choices=SegmentKind.choices)
    match = forms.ChoiceField(label=_("Match"), required=False, choices=(
        ("all", _("all of the conditions (and)")), ("any", _("any of the conditions (or)"))))
    rule_json = forms.CharField(label=_("Rule (JSON)"), required=False,
                                max_length=RULE_JSON_MAX_LENGTH,
                                widget=forms.Textarea(attrs={"rows": 8}))
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, editing: Segment | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if editing is not None:  # the members' kind stays what it was
            for name in ("subject", "kind"):
                self.fields[name].disabled = True
                self.fields[name].required = False
        style(self)


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


def rows_from_post(data: Any, registry: dict[str, FieldDef]) -> list[Row]:
    """The rows the builder posted (``c-<i>-field``, ``-op``, ``-value``, ``-value2``,
    ``-days``), with a row added or removed when those buttons were pressed."""
    try:
        count = min(MAX_ROWS, max(0, int(data.get("rows", 0))))
    except (TypeError, ValueError):
        count = 0
    rows = []
    removed = data.get("remove")
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
    if data.get("add") and len(rows) < MAX_ROWS:
        rows.append(Row(index=len(rows)))
    return rows


def _number_or_text(text: str) -> Any:
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
            condition["value"] = _number_or_text(str(row.value).strip())
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
            condition["days"] = _number_or_text(str(row.days).strip())
        conditions.append(condition)
    return {"match": match or "all", "conditions": conditions}


def rows_from_rule(rule: dict[str, Any], registry: dict[str, FieldDef]) -> list[Row] | None:
    """The builder's rows for a stored rule, or None when it has nested groups (shown as
    JSON)."""
    rows = []
    for i, condition in enumerate(rule.get("conditions", []) or []):
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


def rule_from_json(text: str) -> Any:
    """The rule typed as JSON, or a ``forms.ValidationError`` saying where it does not parse."""
    if not text.strip():
        return {}
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise forms.ValidationError(
            _("The rule is not valid JSON (line %(line)d, column %(column)d).")
            % {"line": exc.lineno, "column": exc.colno}) from None


def attach_errors(rows: list[Row], errors: dict[str, list[str]]) -> list[str]:
    """Put each rule error under its row (``rule.conditions[2].value`` → row 2); return the
    errors of the rule as a whole."""
    general = []
    for path, messages in errors.items():
        head = path.removeprefix("rule.conditions[")
        index = head.split("]", 1)[0]
        if head != path and index.isdigit() and int(index) < len(rows):
            rows[int(index)].errors.extend(messages)
        else:
            general.extend(messages)
    return general


class ImportForm(forms.Form):
    file = forms.FileField(label=_("CSV file (one e-mail or name per line)"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        style(self)
