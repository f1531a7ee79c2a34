"""The organisation settings form: it collects; ``organization_update`` decides."""

from __future__ import annotations

from typing import Any

from django import forms
from django.forms.models import fields_for_model, model_to_dict
from django.utils.translation import gettext_lazy as _

from vinculo.core.countries import country_choices, currency_choices, time_zones
from vinculo.core.forms import apply_service_errors
from vinculo.core.models import Organization
from vinculo.core.organization.services import ORGANIZATION_FIELDS
from vinculo.core.pickers import style


class OrganizationForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    logo = forms.FileField(
        label=_("Logo"), required=False,
        help_text=_("PNG or JPEG, at most 1 MB; printed on quotes and invoices."),
        widget=forms.FileInput(attrs={"accept": "image/png,image/jpeg"}))
    remove_logo = forms.BooleanField(label=_("Remove the logo"), required=False)

    def __init__(self, data: Any = None, files: Any = None, *,
                 instance: Organization) -> None:
        self.instance = instance
        initial = {**model_to_dict(instance, fields=ORGANIZATION_FIELDS),
                   "version": instance.version}
        super().__init__(data, files, initial=initial)
        fields = fields_for_model(Organization, fields=ORGANIZATION_FIELDS)
        fields["country"] = forms.ChoiceField(label=_("Country"), choices=country_choices(),
                                              help_text=fields["country"].help_text)
        fields["base_currency"] = forms.ChoiceField(label=_("Currency"),
                                                    choices=currency_choices())
        fields["time_zone"] = forms.ChoiceField(
            label=_("Time zone"), help_text=fields["time_zone"].help_text,
            choices=[(zone, zone.replace("_", " ")) for zone in time_zones()])
        fields["tax_id"].help_text = _("Checked by the rules of the organisation's country.")
        self.fields = {**fields, **self.fields}
        style(self)

    def data_for_service(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in ORGANIZATION_FIELDS}

    def show_service_errors(self, exc: Any) -> None:
        apply_service_errors(self, exc)
