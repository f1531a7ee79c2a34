"""Forms of campaigns: they collect input; the services validate and save."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from vinculo.core.forms import scoped_formfield
from vinculo.core.models import User
from vinculo.marketing.models import Campaign, CampaignVariant
from vinculo.marketing.services import STARTED_FIELDS
from vinculo.segments.models import Segment


def style(form: forms.Form) -> None:
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.CheckboxInput):
            widget.attrs.setdefault("class", "form-check-input")
        elif isinstance(widget, forms.Select):
            widget.attrs.setdefault("class", "form-select")
        elif not isinstance(widget, forms.HiddenInput):
            widget.attrs.setdefault("class", "form-control")


class ServiceForm(forms.ModelForm):
    """A model form that does not save: ``data_for_service()`` is what the service receives."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        formfield_callback = scoped_formfield

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        if self.instance.pk:
            self.initial["version"] = self.instance.version
        self.setup()
        style(self)

    def setup(self) -> None:
        """Set per-request choices (inside the organisation's scope)."""

    def _post_clean(self) -> None:
        pass  # model validation is the service's job

    def data_for_service(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self._meta.fields
                if name in self.cleaned_data and name in self.fields}


class CampaignForm(ServiceForm):
    class Meta(ServiceForm.Meta):
        model = Campaign
        fields = ["name", "objective", "segment", "channel", "owner", "starts_on", "ends_on",
                  "currency", "budget", "fixed_cost", "cost_per_message", "control_share",
                  "attribution_days", "messages_per_minute"]
        widgets = {"objective": forms.Textarea(attrs={"rows": 3})}

    def setup(self) -> None:
        self.fields["segment"].queryset = Segment.objects.all().order_by("name")
        self.fields["owner"].queryset = User.objects.filter(
            organization_id=self.user.organization_id, is_active=True)
        if not self.instance.pk:
            self.initial.setdefault("currency", self.user.organization.base_currency)
        elif self.instance.status not in ("draft", "scheduled"):
            for name in list(self.fields):  # the audience and channel are fixed once started
                if name not in (*STARTED_FIELDS, "version"):
                    del self.fields[name]


class VariantForm(ServiceForm):
    class Meta(ServiceForm.Meta):
        model = CampaignVariant
        fields = ["name", "subject", "body", "share"]
        widgets = {"body": forms.Textarea(attrs={"rows": 10})}
        help_texts = {"body": _("Merge fields such as {{ contact.first_name }} and "
                                "{% if %} are allowed. Links are tracked; the unsubscribe "
                                "link is added.")}
