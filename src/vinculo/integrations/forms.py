"""Forms of the integrations pages: they collect, the services decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from vinculo.core.pickers import style
from vinculo.integrations import services


class SubscriptionForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    url = forms.CharField(label=_("URL"), max_length=500,
                          help_text=_("Where the events are POSTed, as signed JSON."))
    events = forms.MultipleChoiceField(
        label=_("Events"), widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}))
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["events"].choices = [(name, name) for name in services.event_names()]
        style(self)

    def show_service_errors(self, exc: ValidationError) -> None:
        for field, messages in exc.message_dict.items():
            self.add_error(field if field in self.fields else None, messages)


class KeyForm(forms.Form):
    LEVELS = (("", _("No access")), ("read", _("Read")), ("write", _("Read and write")))

    name = forms.CharField(label=_("Name"), max_length=100)
    expires_at = forms.DateTimeField(
        label=_("Expires"), required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for domain in services.scope_domains():
            self.fields[f"scope_{domain}"] = forms.ChoiceField(
                label=domain, choices=self.LEVELS, required=False)
        style(self)

    def scope_fields(self) -> list[Any]:
        return [self[name] for name in self.fields if name.startswith("scope_")]

    def data_for_service(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {"name": data["name"], "expires_at": data.get("expires_at"),
                "scopes": {name.removeprefix("scope_"): value for name, value in data.items()
                           if name.startswith("scope_") and value}}

    def show_service_errors(self, exc: ValidationError) -> None:
        for field, messages in exc.message_dict.items():
            self.add_error(field if field in self.fields else None, messages)
