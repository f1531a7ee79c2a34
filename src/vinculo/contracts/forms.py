"""Forms of the contract pages: they collect input; the services validate and save."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from vinculo.catalog.models import Product
from vinculo.contracts import services
from vinculo.contracts.models import CancelReason, Contract
from vinculo.core.forms import scoped_formfield
from vinculo.core.models import User
from vinculo.core.pickers import style
from vinculo.customers.models import Account


class ContractForm(forms.ModelForm):
    """The account is typed as the start of a name and picked from a short list."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    account = forms.UUIDField(label=_("Account"), widget=forms.HiddenInput, required=False)

    class Meta:
        model = Contract
        fields = list(services.UPDATE_FIELDS)
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}
        formfield_callback = scoped_formfield

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["product"].queryset = Product.objects.filter(active=True).order_by("name")
        self.fields["name"].required = False
        self.fields["name"].help_text = _("Left empty: the product's name.")
        self.fields["currency"].required = False
        self.fields["currency"].help_text = _("Left empty: the organisation's currency.")
        self.fields["value"].required = True
        if self.instance.pk:
            self.initial["version"] = self.instance.version
            self.initial["account"] = self.instance.account.uuid
        style(self)

    def clean_account(self) -> Account | None:
        value = self.cleaned_data.get("account")
        if self.instance.pk:
            return self.instance.account
        if not value:
            raise forms.ValidationError(_("Choose the account the contract is with."))
        account = Account.objects.all().restrict(self.user).filter(uuid=value).first()
        if account is None:
            raise forms.ValidationError(_("Choose an account."))
        return account

    def _post_clean(self) -> None:
        pass  # model validation is the service's job

    def data_for_service(self) -> dict[str, Any]:
        keys = services.CREATE_FIELDS if not self.instance.pk else services.UPDATE_FIELDS
        return {k: self.cleaned_data[k] for k in keys if k in self.cleaned_data}


class RenewForm(forms.Form):
    value = forms.DecimalField(label=_("Value of the new term"), required=False, min_value=0,
                               max_digits=14, decimal_places=2,
                               help_text=_("Left empty: the current value."))
    term_months = forms.IntegerField(label=_("Term (months)"), required=False, min_value=1,
                                     help_text=_("Left empty: the current term."))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        style(self)


class CancelForm(forms.Form):
    reason = forms.ChoiceField(label=_("Reason for leaving"),
                               choices=[("", "—"), *CancelReason.choices])
    note = forms.CharField(label=_("Note"), required=False, max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        style(self)
