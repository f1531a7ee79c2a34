"""Forms of the pipeline pages; the services decide and save."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from vinculo.core.forms import scoped_formfield
from vinculo.core.models import User
from vinculo.customers.models import Account
from vinculo.sales.models import Opportunity


class OpportunityForm(forms.ModelForm):
    """Account and contact are typed as the start of a name and picked from a short list."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    account = forms.UUIDField(label=_("Account"), widget=forms.HiddenInput)

    class Meta:
        model = Opportunity
        fields = ["name", "amount", "currency", "expected_close", "owner", "source"]
        widgets = {"expected_close": forms.DateInput(attrs={"type": "date"})}
        formfield_callback = scoped_formfield

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["owner"].queryset = User.objects.filter(
            organization_id=user.organization_id, is_active=True)
        if self.instance.pk:
            self.initial["version"] = self.instance.version
            self.initial["account"] = self.instance.account.uuid
        for field in self.fields.values():
            if isinstance(field.widget, forms.HiddenInput):
                continue
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            field.widget.attrs.setdefault("class", css)

    def clean_account(self) -> Account:
        account = Account.objects.all().restrict(self.user).filter(
            uuid=self.cleaned_data["account"]).first()
        if account is None:
            raise forms.ValidationError(_("Choose an account."))
        return account

    def data_for_service(self) -> dict[str, Any]:
        return {key: self.cleaned_data[key] for key in
                ("name", "account", "amount", "currency", "expected_close", "owner", "source")}

