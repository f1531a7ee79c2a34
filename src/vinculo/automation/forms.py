"""The rule form: the trigger as plain fields, the conditions in the segments' rule language
and the actions as a list, both JSON with an example. It collects; ``services`` decides, and
each error is shown under the part it names."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from vinculo.automation import checks
from vinculo.automation.describe import EVENT_LABELS
from vinculo.automation.models import SEGMENT_TRIGGERS, Rule, TriggerKind
from vinculo.core.forms_settings import SettingsForm
from vinculo.segments.models import Segment, Subject
from vinculo.service.models import TicketType

CONDITIONS_EXAMPLE = {"match": "all", "conditions": [
    {"field": "analytics.value_tier", "op": "in", "value": ["Platinum", "Gold"]}]}
ACTIONS_EXAMPLE = [{"type": "create_task", "title": "Llamar al cliente", "due_in_days": 1,
                    "assignee": "account_owner"}]


class _Json(forms.CharField):
    widget = forms.Textarea(attrs={"rows": 6, "class": "form-control font-monospace",
                                   "spellcheck": "false"})

    def __init__(self, *, empty: Any, **kwargs: Any) -> None:
        self.empty = empty
        super().__init__(required=False, strip=True, **kwargs)

    def to_python(self, value: Any) -> Any:
        text = super().to_python(value)
        if not text:
            return self.empty
        try:
            return json.loads(text)
        except ValueError as exc:
            raise ValidationError(_("This is not valid JSON: %(error)s") % {"error": exc}) \
                from None

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, dict | list):
            return json.dumps(value, ensure_ascii=False, indent=2)
        return value


class RuleForm(SettingsForm):
    model = Rule
    field_names = ("name", "description", "active")

    trigger_kind = forms.ChoiceField(label=_("Trigger"), choices=TriggerKind.choices)
    event = forms.ChoiceField(label=_("Event (for a domain-event trigger)"), required=False)
    ticket_types = forms.MultipleChoiceField(
        label=_("Only tickets of these kinds (ticket events)"), required=False,
        choices=TicketType.choices,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}))
    days = forms.IntegerField(label=_("Days"), required=False, help_text=_(
        "Order due: days before the promised date. Invoice overdue: days past the due date."))
    segment = forms.ChoiceField(label=_("Segment (for a segment trigger)"), required=False)
    conditions = _Json(empty={}, label=_("Conditions on the customer"))
    actions = _Json(empty=[], label=_("Actions"))

    def setup(self) -> None:
        # Help with an example, worded in the language of this request (not at import).
        self.fields["conditions"].help_text = gettext(
            "The segments' rule language over the record's account (the fields of the segment "
            "builder); empty: always. Example: %(example)s") % {
            "example": json.dumps(CONDITIONS_EXAMPLE, ensure_ascii=False)}
        self.fields["actions"].help_text = gettext(
            "A list: create_task {title, due_in_days, assignee, priority}, notify {to, message}, "
            "send_email {template, to}, set_field {field, value}, assign_owner {to}, assign_queue "
            "{queue}; a user is account_owner, assignee or a user's id. Example: %(example)s") % {
            "example": json.dumps(ACTIONS_EXAMPLE, ensure_ascii=False)}
        self.fields["event"].choices = [("", "—"), *(
            (name, EVENT_LABELS.get(name, name)) for name in checks.EVENTS)]
        self.fields["segment"].choices = [("", "—"), *(
            (str(uuid), name) for uuid, name in Segment.objects.filter(
                subject=Subject.ACCOUNTS).order_by("name").values_list("uuid", "name"))]

    def initial_values(self) -> dict[str, Any]:
        values = super().initial_values()
        trigger = self.instance.trigger or {}
        return {**values, "trigger_kind": trigger.get("kind"), "event": trigger.get("event"),
                "ticket_types": (trigger.get("record") or {}).get("type", []),
                "days": trigger.get("days"), "segment": trigger.get("segment"),
                "conditions": self.instance.conditions, "actions": self.instance.actions}

    def data_for_service(self) -> dict[str, Any]:
        data = super().data_for_service()
        cleaned = self.cleaned_data
        trigger: dict[str, Any] = {"kind": cleaned["trigger_kind"]}
        if cleaned["trigger_kind"] == TriggerKind.EVENT:
            trigger["event"] = cleaned["event"]
            if cleaned["ticket_types"]:
                trigger["record"] = {"type": cleaned["ticket_types"]}
        elif cleaned["trigger_kind"] in (TriggerKind.ORDER_DUE, TriggerKind.INVOICE_OVERDUE):
            trigger["days"] = cleaned["days"]
        elif cleaned["trigger_kind"] in SEGMENT_TRIGGERS:
            trigger["segment"] = cleaned["segment"]
        return {**data, "trigger": trigger, "conditions": cleaned["conditions"],
                "actions": cleaned["actions"]}

    def show_service_errors(self, exc: ValidationError) -> None:
        """``trigger.days`` under Days, ``actions[1].to`` under Actions with its path…"""
        if not hasattr(exc, "error_dict"):
            return super().show_service_errors(exc)
        for key, errors in exc.message_dict.items():
            message = " ".join(errors)
            if key.startswith("trigger."):
                part = key.split(".")[1]
                field = {"kind": "trigger_kind", "record": "ticket_types"}.get(part, part)
                self.add_error(field if field in self.fields else "trigger_kind", message)
            elif key.startswith(("conditions", "actions")):
                field = "conditions" if key.startswith("conditions") else "actions"
                self.add_error(field, f"{key}: {message}" if key != field else message)
            else:
                self.add_error(key if key in self.fields else None, message)
        return None
