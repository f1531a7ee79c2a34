"""The rule form: the trigger as plain fields, the conditions and actions as rows of choices
(``automation.builder``), re-rendered by htmx as people choose; no JSON is typed by hand
(conditions that nest groups, made through the API, are shown as JSON, the one exception).
It collects; ``services`` decides, and each error is shown beside the control it names."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from vinculo.automation import builder, checks
from vinculo.automation.describe import DATE_LABELS, EVENT_LABELS, crossing_labels
from vinculo.automation.models import SEGMENT_TRIGGERS, Rule, TriggerKind
from vinculo.core.forms_settings import SettingsForm
from vinculo.core.limits import REFERENCE_MAX_LENGTH
from vinculo.segments import rules as segment_rules
from vinculo.segments.models import Segment, Subject
from vinculo.service.models import TicketType

#: The trigger's controls each kind shows (the others are hidden and not sent to the checks).
TRIGGER_FIELDS: dict[str, tuple[str, ...]] = {
    TriggerKind.EVENT: ("event", "ticket_types"),
    TriggerKind.ORDER_DUE: ("days",),
    TriggerKind.INVOICE_OVERDUE: ("days",),
    TriggerKind.SEGMENT_ENTERED: ("segment",),
    TriggerKind.SEGMENT_LEFT: ("segment",),
    TriggerKind.ANALYTICS: (),
    TriggerKind.FIELD_CROSSES: ("cross_field", "direction", "threshold"),
    TriggerKind.DATE_RELATIVE: ("days", "when", "date_field"),
    TriggerKind.DELIVERY_EXCEPTION: ("late", "short"),
}
#: ``trigger.<key>`` errors → the control that shows them.
_TRIGGER_ERRORS = {"kind": "trigger_kind", "record": "ticket_types", "field": "cross_field",
                   "value": "threshold"}
_REFRESH = {"hx-post": "", "hx-include": "#rule-form", "hx-target": "#rule-builder",
            "hx-select": "#rule-builder", "hx-swap": "outerHTML"}


class RuleForm(SettingsForm):
    model = Rule
    field_names = ("name", "description", "active")

    trigger_kind = forms.ChoiceField(label=_("Trigger"), choices=TriggerKind.choices)
    event = forms.ChoiceField(label=_("Event"), required=False)
    ticket_types = forms.MultipleChoiceField(
        label=_("Only tickets of these kinds"), required=False, choices=TicketType.choices,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}))
    days = forms.CharField(label=_("Days"), required=False, max_length=REFERENCE_MAX_LENGTH,
                           widget=forms.NumberInput(
                               attrs={"min": 0, "step": 1, "inputmode": "numeric"}))
    segment = forms.ChoiceField(label=_("Segment"), required=False)
    cross_field = forms.ChoiceField(label=_("Field"), required=False)
    direction = forms.ChoiceField(label=_("Crosses"), required=False, choices=(
        ("above", _("upwards: rises to the value or more")),
        ("below", _("downwards: falls below the value"))))
    threshold = forms.CharField(label=_("Value"), required=False, max_length=30,
                                widget=forms.TextInput(attrs={"inputmode": "decimal"}))
    when = forms.ChoiceField(label=_("When"), required=False, choices=(
        ("before", _("days before")), ("after", _("days after"))))
    date_field = forms.ChoiceField(label=_("Date"), required=False,
                                   choices=list(DATE_LABELS.items()))
    late = forms.BooleanField(label=_("Delivered after the promised date"), required=False)
    short = forms.BooleanField(label=_("Delivered less than ordered"), required=False)
    match = forms.ChoiceField(label=_("The customer meets"), required=False, choices=(
        ("all", _("all of the conditions (and)")), ("any", _("any of the conditions (or)"))))
    conditions_json = forms.CharField(label=_("Conditions (nested groups, as JSON)"),
                                      required=False, max_length=20_000,
                                      widget=forms.Textarea(attrs={"rows": 6}))

    def __init__(self, data: Any = None, **kwargs: Any) -> None:
        super().__init__(data, **kwargs)
        organization_id = self.user.organization_id
        self.registry = segment_rules.fields(organization_id)
        self.condition_errors: list[str] = []
        self.action_errors: list[str] = []
        if self.is_bound:
            self.json_mode = self.data.get("conditions_mode") == "json"
            self.condition_rows = builder.conditions_from_post(self.data, self.registry)
            self.action_rows = builder.actions_from_post(self.data, organization_id)
        else:
            stored = self.instance.conditions or {}
            rows = builder.conditions_to_rows(stored, self.registry)
            self.json_mode = rows is None
            self.condition_rows = rows or []
            self.action_rows = builder.actions_to_rows(self.instance.actions or [],
                                                       organization_id)
            if not self.instance.pk:
                self.action_rows = builder.actions_from_post(
                    _Adding(), organization_id)

    def setup(self) -> None:
        self.fields["event"].choices = [(name, EVENT_LABELS.get(name, name))
                                        for name in checks.EVENTS]
        self.fields["cross_field"].choices = list(
            crossing_labels(self.user.organization_id).items())
        self.fields["segment"].choices = [("", _("Choose a segment")), *(
            (str(uuid), name) for uuid, name in Segment.objects.filter(
                subject=Subject.ACCOUNTS).order_by("name").values_list("uuid", "name"))]
        for name in ("trigger_kind", "event"):
            self.fields[name].widget.attrs.update(_REFRESH)
        self.fields["description"].widget.attrs["rows"] = 2

    def initial_values(self) -> dict[str, Any]:
        values = super().initial_values()
        trigger = self.instance.trigger or {}
        kind = trigger.get("kind")
        return {**values, "trigger_kind": kind, "event": trigger.get("event"),
                "ticket_types": (trigger.get("record") or {}).get("type", []),
                "days": trigger.get("days"), "segment": trigger.get("segment"),
                "cross_field": trigger.get("field") if kind == TriggerKind.FIELD_CROSSES
                else None,
                "date_field": trigger.get("field") if kind == TriggerKind.DATE_RELATIVE
                else None,
                "direction": trigger.get("direction"), "threshold": trigger.get("value"),
                "when": trigger.get("when"), "late": trigger.get("late", True),
                "short": trigger.get("short", True),
                "match": (self.instance.conditions or {}).get("match", "all"),
                "conditions_json": json.dumps(self.instance.conditions or {},
                                              ensure_ascii=False, indent=2)}

    # ---- what the page shows ----------------------------------------------------------------

    def chosen_kind(self) -> str:
        raw = self.data.get("trigger_kind") if self.is_bound else self.initial.get(
            "trigger_kind")
        return raw if raw in TriggerKind.values else TriggerKind.EVENT

    def trigger_controls(self) -> list[Any]:
        """The trigger's controls for the kind chosen, in order."""
        kind = self.chosen_kind()
        names = list(TRIGGER_FIELDS[kind])
        event = self.data.get("event") if self.is_bound else self.initial.get("event")
        if kind == TriggerKind.EVENT and not str(event or "").startswith("ticket."):
            names.remove("ticket_types")
        return [self[name] for name in names]

    def field_groups(self) -> dict[str, list[tuple[str, str]]]:
        groups: dict[str, list[tuple[str, str]]] = {}
        for definition in self.registry.values():
            if definition.base == "contact":
                continue  # the conditions are over the record's account
            groups.setdefault(str(definition.group), []).append(
                (definition.name, str(definition.label)))
        return groups

    # ---- what the services get -----------------------------------------------------------------

    def _trigger(self) -> dict[str, Any]:
        cleaned = self.cleaned_data
        kind = cleaned["trigger_kind"]
        trigger: dict[str, Any] = {"kind": kind}
        if kind == TriggerKind.EVENT:
            trigger["event"] = cleaned["event"]
            if cleaned["ticket_types"] and str(cleaned["event"]).startswith("ticket."):
                trigger["record"] = {"type": cleaned["ticket_types"]}
        elif kind in (TriggerKind.ORDER_DUE, TriggerKind.INVOICE_OVERDUE):
            trigger["days"] = _whole(cleaned["days"])
        elif kind in SEGMENT_TRIGGERS:
            trigger["segment"] = cleaned["segment"]
        elif kind == TriggerKind.FIELD_CROSSES:
            trigger.update(field=cleaned["cross_field"], direction=cleaned["direction"],
                           value=_decimal_text(cleaned["threshold"]))
        elif kind == TriggerKind.DATE_RELATIVE:
            trigger.update(field=cleaned["date_field"], when=cleaned["when"] or "before",
                           days=_whole(cleaned["days"]))
        elif kind == TriggerKind.DELIVERY_EXCEPTION:
            trigger.update(late=cleaned["late"], short=cleaned["short"])
        return trigger

    def _conditions(self) -> Any:
        if self.json_mode:
            text = self.cleaned_data.get("conditions_json") or ""
            try:
                return json.loads(text) if text.strip() else {}
            except ValueError:
                return text  # refused by the checks, on ``conditions``
        return builder.conditions_from_rows(self.cleaned_data.get("match") or "all",
                                            self.condition_rows)

    def data_for_service(self) -> dict[str, Any]:
        data = super().data_for_service()
        return {**data, "trigger": self._trigger(), "conditions": self._conditions(),
                "actions": builder.actions_from_rows(self.action_rows)}

    def show_service_errors(self, exc: ValidationError) -> None:
        """``trigger.days`` under Days, ``conditions.conditions[0].value`` on its row,
        ``actions[1].to`` beside action 2's "who"…"""
        if not hasattr(exc, "error_dict"):
            return super().show_service_errors(exc)
        rest: dict[str, list[str]] = {}
        for key, errors in exc.message_dict.items():
            message = " ".join(errors)
            if key.startswith("trigger"):
                part = key.split(".")[1] if "." in key else "kind"
                kind = self.cleaned_data.get("trigger_kind")
                field = _TRIGGER_ERRORS.get(part, part)
                if kind == TriggerKind.DATE_RELATIVE and part == "field":
                    field = "date_field"
                self.add_error(field if field in self.fields else "trigger_kind", message)
            elif key.startswith(("conditions", "actions")):
                rest[key] = errors
            else:
                self.add_error(key if key in self.fields else None, message)
        self.condition_errors = builder.attach_errors(
            {k: v for k, v in rest.items() if k.startswith("conditions")},
            [] if self.json_mode else self.condition_rows, self.action_rows)
        self.action_errors = builder.attach_errors(
            {k: v for k, v in rest.items() if k.startswith("actions")},
            self.condition_rows, self.action_rows)
        return None


class _Adding(dict):
    """A new rule starts with one action row (a task), as if "Add an action" was pressed."""

    def __init__(self) -> None:
        super().__init__(add_action="1")

    def getlist(self, key: str) -> list[Any]:
        return []


def _whole(value: Any) -> Any:
    text = str(value or "").strip()
    try:
        return int(text)
    except ValueError:
        return text or None


def _decimal_text(value: Any) -> str:
    """The threshold as typed, with a decimal comma read as a point (``1.500,5`` stays as
    typed and is refused by the checks)."""
    text = str(value or "").strip().replace(" ", "")
    if text.count(",") == 1 and "." not in text:
        text = text.replace(",", ".")
    return text
