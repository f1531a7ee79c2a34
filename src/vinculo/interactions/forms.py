"""Forms of the interaction pages; the services decide and save."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from vinculo.core.limits import BODY_MAX_LENGTH, REFERENCE_MAX_LENGTH, TEXT_MAX_LENGTH
from vinculo.core.models import User
from vinculo.core.pickers import RecordPicker, resolve_related, style
from vinculo.customers.models import Account, Contact
from vinculo.interactions.models import Channel, Direction, EmailTemplate, Outcome


class InteractionForm(RecordPicker, forms.Form):
    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices)
    direction = forms.ChoiceField(label=_("Direction"), choices=Direction.choices,
                                  initial=Direction.OUTBOUND)
    occurred_at = forms.DateTimeField(
        label=_("When"), required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("Empty: now."))
    duration_minutes = forms.IntegerField(label=_("Minutes"), required=False, min_value=0,
                                          max_value=24 * 60)
    subject = forms.CharField(label=_("Subject"), max_length=300, required=False)
    notes = forms.CharField(label=_("Notes"), required=False, max_length=TEXT_MAX_LENGTH,
                            widget=forms.Textarea(attrs={"rows": 3}))
    outcome = forms.ChoiceField(label=_("Outcome"), required=False,
                                choices=[("", "—"), *Outcome.choices])
    contact = forms.UUIDField(required=False, widget=forms.HiddenInput)
    account = forms.UUIDField(required=False, widget=forms.HiddenInput)
    related = forms.CharField(required=False, max_length=REFERENCE_MAX_LENGTH,
                              widget=forms.HiddenInput)
    contact_choice = forms.ChoiceField(label=_("Contact"), required=False)

    def __init__(self, *args: Any, user: User, contacts: list[Contact] | None = None,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        if contacts:
            self.fields["contact_choice"].choices = [
                ("", "—"), *[(str(c.uuid), str(c)) for c in contacts]]
        else:
            del self.fields["contact_choice"]
        style(self)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        data["contact_record"] = self.pick(
            Contact, data.get("contact_choice") or data.get("contact"), "contact")
        data["account_record"] = self.pick(Account, data.get("account"), "account")
        data["related_record"] = None
        if data.get("related"):
            data["related_record"] = resolve_related(data["related"], self.user)
            if data["related_record"] is None:
                self.add_error(None, _("The related record was not found."))
        return data

    def data_for_service(self) -> dict[str, Any]:
        d = self.cleaned_data
        minutes = d.get("duration_minutes")
        values = {"channel": d["channel"], "direction": d["direction"],
                  "subject": d.get("subject", ""), "notes": d.get("notes", ""),
                  "outcome": d.get("outcome", ""), "contact": d["contact_record"],
                  "account": d["account_record"],
                  "duration_seconds": minutes * 60 if minutes is not None else None}
        if d.get("occurred_at"):
            values["occurred_at"] = d["occurred_at"]
        return values


class EmailForm(RecordPicker, forms.Form):
    to = forms.CharField(label=_("To"), max_length=1000, required=False,
                         help_text=_("Separate addresses with commas. Empty: the contact."))
    cc = forms.CharField(label=_("Cc"), max_length=1000, required=False)
    template = forms.ChoiceField(label=_("Template"), required=False)
    subject = forms.CharField(label=_("Subject"), max_length=300, required=False)
    body = forms.CharField(label=_("Message"), required=False, max_length=BODY_MAX_LENGTH,
                           widget=forms.Textarea(attrs={"rows": 10}))
    contact = forms.UUIDField(required=False, widget=forms.HiddenInput)
    account = forms.UUIDField(required=False, widget=forms.HiddenInput)
    related = forms.CharField(required=False, max_length=REFERENCE_MAX_LENGTH,
                              widget=forms.HiddenInput)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.templates = {str(t.uuid): t for t in EmailTemplate.objects.filter(active=True)}
        self.fields["template"].choices = [
            ("", "—"), *[(key, str(t)) for key, t in self.templates.items()]]
        style(self)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        data["contact_record"] = self.pick(Contact, data.get("contact"), "contact")
        data["account_record"] = self.pick(Account, data.get("account"), "account")
        data["template_record"] = self.templates.get(data.get("template") or "")
        data["related_record"] = resolve_related(data["related"], self.user) \
            if data.get("related") else None
        return data

    def send_kwargs(self) -> dict[str, Any]:
        d = self.cleaned_data
        split = [a.strip() for a in (d.get("to") or "").split(",") if a.strip()]
        return {"to": split, "cc": [a.strip() for a in (d.get("cc") or "").split(",")
                                    if a.strip()],
                "subject": d.get("subject", ""), "body": d.get("body", ""),
                "contact": d["contact_record"], "account": d["account_record"],
                "related": d["related_record"], "template": d["template_record"]}


class WebFormSubmissionForm(forms.Form):
    """The public form, for display only: ``services.web_form_submit`` checks what is sent
    (one rule, one place) and its errors are shown on these fields."""

    name = forms.CharField(label=_("Your name"), required=False, max_length=200)
    email = forms.CharField(label=_("E-mail"), required=False, max_length=254,
                            widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    phone = forms.CharField(label=_("Phone"), required=False, max_length=50)
    company = forms.CharField(label=_("Company"), required=False, max_length=200)
    subject = forms.CharField(label=_("Subject"), required=False, max_length=300)
    message = forms.CharField(label=_("Message"), required=False, max_length=TEXT_MAX_LENGTH,
                              widget=forms.Textarea)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("name", "email", "message"):
            self.fields[name].widget.attrs["required"] = True
        style(self)
