"""Forms for customer records: they collect input; the services decide and save."""

from __future__ import annotations

from functools import partial
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from vinculo.core.countries import country_choices
from vinculo.core.forms import CustomFieldsFormMixin, DatalistInput, TagsField, scoped_formfield
from vinculo.core.models import Team, User
from vinculo.customers import services
from vinculo.customers.models import Account, Channel, Contact, Lead
from vinculo.customers.settings.services import industry_names


class RecordForm(CustomFieldsFormMixin, forms.ModelForm):
    """A model form that does not save: ``data_for_service()`` is what the service receives."""

    class Meta:
        formfield_callback = scoped_formfield

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    tags = TagsField()
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        instance = self.instance
        self.fields["owner"].queryset = User.objects.filter(
            organization_id=user.organization_id, is_active=True
        )
        self.fields["team"].queryset = Team.objects.all()
        if instance.pk:
            self.initial["version"] = instance.version
            self.initial["tags"] = ", ".join(instance.tags.values_list("name", flat=True))
        self.add_custom_fields(instance.custom_fields if instance.pk else {})
        if "country" in self.fields:  # chosen by name; the organisation's country by default
            self.fields["country"] = forms.ChoiceField(
                label=_("Country"), required=False,
                help_text=self.fields["country"].help_text,
                choices=[("", "—"), *country_choices()],
                initial=instance.country if instance.pk else (
                    user.organization.country if user.organization_id else ""))
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput | forms.CheckboxSelectMultiple):
                widget.attrs.setdefault("class", "form-check-input")
            elif isinstance(widget, forms.Select):
                widget.attrs.setdefault("class", "form-select")
            elif not isinstance(widget, forms.HiddenInput):
                widget.attrs.setdefault("class", "form-control")

    def _post_clean(self) -> None:
        # Model validation is the service's job, with the normalised values.
        pass

    def data_for_service(self) -> dict[str, Any]:
        data = {
            name: self.cleaned_data[name] for name in self._meta.fields if name in self.cleaned_data
        }
        data["tags"] = self.cleaned_data.get("tags", [])
        data["custom_fields"] = self.custom_values()
        return data


class AccountForm(RecordForm):
    custom_field_model = "account"

    class Meta(RecordForm.Meta):
        model = Account
        # ``active`` is set by deactivating (the delete page offers it), not by the form
        fields = [f for f in services.ACCOUNT_FIELDS if f not in ("custom_fields", "active")]

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        # the organisation's industries are suggested; other words (typed before) still count
        industry = self.fields["industry"]
        industry.widget = DatalistInput(partial(industry_names, user.organization_id),
                                        list_id="industry-options",
                                        attrs=industry.widget.attrs)


class ContactForm(RecordForm):
    mobile = forms.CharField(label=_("Mobile"), max_length=40, required=False)
    account = forms.UUIDField(required=False, widget=forms.HiddenInput)
    account_role = forms.CharField(label=_("Role at the account"), max_length=100, required=False)
    custom_field_model = "contact"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk or not (self.initial.get("account") or self.data.get("account")):
            del self.fields["account_role"]  # only when joining an account on creation

    def data_for_service(self) -> dict[str, Any]:
        data = super().data_for_service()
        data.pop("account", None)
        data.pop("account_role", None)
        return data

    class Meta(RecordForm.Meta):
        model = Contact
        fields = [
            "first_name",
            "last_name",
            "email",
            "phone",
            "mobile",
            "title",
            "preferred_language",
            "preferred_channel",
            "lifecycle_stage",
            "source",
            "owner",
            "team",
        ]


class LeadForm(RecordForm):
    custom_field_model = "lead"

    class Meta(RecordForm.Meta):
        model = Lead
        fields = [f for f in services.LEAD_FIELDS if f != "custom_fields"]


class ConsentForm(forms.Form):
    channel = forms.ChoiceField(
        label=_("Channel"),
        choices=Channel.choices,
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )
    granted = forms.TypedChoiceField(
        label=_("Consent"),
        coerce=lambda v: v == "yes",
        choices=[("yes", _("Granted")), ("no", _("Withdrawn"))],
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )
    source = forms.CharField(
        label=_("Source"),
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs={"class": "form-control form-control-sm"}),
    )


class MergeForm(forms.Form):
    duplicate = forms.UUIDField(label=_("Record to merge into this one"))
