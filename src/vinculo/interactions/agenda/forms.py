"""The task form; ``services.task_create``/``task_update`` decide what is valid."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from vinculo.core.limits import REFERENCE_MAX_LENGTH, TEXT_MAX_LENGTH
from vinculo.core.models import User
from vinculo.core.pickers import RecordPicker, resolve_related, style
from vinculo.customers.models import Account, Contact
from vinculo.interactions.models import Task, TaskPriority

LOCAL_MINUTE = "%Y-%m-%dT%H:%M"

#: Offered under the "repeats" box; any other RFC 5545 rule may be typed.
RECURRENCE_PRESETS = (
    ("FREQ=DAILY", _("Every day")),
    ("FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR", _("Every working day")),
    ("FREQ=WEEKLY", _("Every week")),
    ("FREQ=WEEKLY;INTERVAL=2", _("Every two weeks")),
    ("FREQ=MONTHLY", _("Every month")),
    ("FREQ=MONTHLY;BYDAY=1MO", _("First Monday of every month")),
    ("FREQ=YEARLY", _("Every year")),
)


def _moment(**attrs: Any) -> forms.DateTimeInput:
    return forms.DateTimeInput(attrs={"type": "datetime-local", **attrs}, format=LOCAL_MINUTE)


def next_full_hour() -> dt.datetime:
    now = timezone.localtime()
    return now.replace(minute=0, second=0, microsecond=0) + dt.timedelta(hours=1)


class TaskForm(RecordPicker, forms.Form):
    """A plain form (not a model form): the service gets the task as it was read, so that it
    can tell what changed."""

    title = forms.CharField(label=_("Title"), max_length=200)
    due_at = forms.DateTimeField(label=_("Due"), widget=_moment())
    remind_at = forms.DateTimeField(label=_("Reminder"), required=False, widget=_moment())
    assignee = forms.ModelChoiceField(label=_("Assigned to"), queryset=User.objects.none(),
                                      to_field_name="uuid", required=False)
    priority = forms.ChoiceField(label=_("Priority"), choices=TaskPriority.choices,
                                 initial=TaskPriority.NORMAL)
    recurrence = forms.CharField(label=_("Repeats"), max_length=200, required=False,
                                 widget=forms.TextInput(attrs={"list": "recurrence-presets",
                                                               "autocomplete": "off"}))
    notes = forms.CharField(label=_("Notes"), required=False, max_length=TEXT_MAX_LENGTH,
                            widget=forms.Textarea(attrs={"rows": 4}))
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    account = forms.UUIDField(required=False, widget=forms.HiddenInput)
    contact = forms.UUIDField(required=False, widget=forms.HiddenInput)
    related = forms.CharField(required=False, max_length=REFERENCE_MAX_LENGTH,
                              widget=forms.HiddenInput)

    def __init__(self, *args: Any, user: User, instance: Task | None = None,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.instance = instance or Task(organization_id=user.organization_id)
        self.fields["assignee"].queryset = User.objects.filter(
            organization_id=user.organization_id, is_active=True)
        self.fields["assignee"].help_text = _("Empty: you.")
        self.fields["remind_at"].help_text = _("Empty: no reminder. It is e-mailed to the "
                                               "assignee and shows in their calendar app.")
        self.fields["recurrence"].help_text = _(
            "Pick one or type an iCalendar rule, e.g. FREQ=WEEKLY;BYDAY=MO;COUNT=6. Completing "
            "the task opens the next one.")
        for name in ("due_at", "remind_at"):
            self.fields[name].input_formats = [LOCAL_MINUTE, "%Y-%m-%d %H:%M",
                                               "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"]
        task = self.instance
        if task.pk:
            self.initial.update({
                **{name: getattr(task, name) for name in (
                    "title", "due_at", "remind_at", "priority", "recurrence", "notes")},
                "assignee": task.assignee.uuid, "version": task.version,
                "account": task.account.uuid if task.account else None,
                "contact": task.contact.uuid if task.contact else None})
        else:
            self.initial.setdefault("due_at", next_full_hour())
            self.initial.setdefault("assignee", user.uuid)
        style(self)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        data["contact_record"] = self.pick(Contact, data.get("contact"), "contact")
        data["account_record"] = self.pick(Account, data.get("account"), "account")
        data["related_record"] = None
        if data.get("related") and not self.instance.pk:
            data["related_record"] = resolve_related(data["related"], self.user)
            if data["related_record"] is None:
                self.add_error(None, _("The related record was not found."))
        return data

    def data_for_service(self) -> dict[str, Any]:
        d = self.cleaned_data
        values = {key: d.get(key) for key in ("title", "due_at", "remind_at", "priority",
                                              "recurrence", "notes")}
        values["recurrence"] = values["recurrence"] or ""
        values["notes"] = values["notes"] or ""
        values["account"], values["contact"] = d["account_record"], d["contact_record"]
        if d.get("assignee") is not None:  # empty: the planner (new) or unchanged (edit)
            values["assignee"] = d["assignee"]
        return values
