"""Forms of the catalogue: they collect input; the services validate and save."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from vinculo.catalog import services
from vinculo.catalog.models import (
    Category,
    ExchangeRate,
    PriceList,
    Product,
    ProductLine,
)
from vinculo.core.forms import scoped_formfield
from vinculo.core.models import User
from vinculo.customers.models import Account


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
        # Model validation is the service's job.
        pass

    def data_for_service(self) -> dict[str, Any]:
        return {
            name: self.cleaned_data[name] for name in self._meta.fields if name in self.cleaned_data
        }


class CategoryForm(ServiceForm):
    class Meta(ServiceForm.Meta):
        model = Category
        fields = list(services.CATEGORY_FIELDS)
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}
        help_texts = {"code": _("Two digits, e.g. 01.")}


class ProductLineForm(ServiceForm):
    class Meta(ServiceForm.Meta):
        model = ProductLine
        fields = list(services.LINE_FIELDS)
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}
        help_texts = {"code": _("Two digits, unique within the category.")}


class ProductForm(ServiceForm):
    class Meta(ServiceForm.Meta):
        model = Product
        fields = list(services.PRODUCT_FIELDS)
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}
        help_texts = {
            "code": _("Four digits, unique within the line."),
            "currency": _("ISO 4217 code, e.g. EUR."),
        }

    def setup(self) -> None:
        self.fields["line"].queryset = ProductLine.objects.select_related("category").order_by(
            "category__code", "code"
        )
        self.fields["currency"].required = False
        if not self.instance.pk:
            self.initial.setdefault("currency", self.user.organization.base_currency)


class PriceListForm(ServiceForm):
    account = forms.UUIDField(
        label=_("Account"),
        required=False,
        help_text=_("Only for a price list of one account: its identifier."),
    )

    class Meta(ServiceForm.Meta):
        model = PriceList
        fields = ["name", "currency", "segment", "valid_from", "valid_to", "active"]

    def setup(self) -> None:
        if self.instance.pk and self.instance.account_id:
            self.initial["account"] = self.instance.account.uuid
        if not self.instance.pk:
            self.initial.setdefault("currency", self.user.organization.base_currency)

    def clean_account(self) -> Account | None:
        value = self.cleaned_data.get("account")
        if not value:
            return None
        account = Account.objects.all().restrict(self.user).filter(uuid=value).first()
        if account is None:
            raise forms.ValidationError(_("No such account."))
        return account

    def data_for_service(self) -> dict[str, Any]:
        data = super().data_for_service()
        data["account"] = self.cleaned_data.get("account")
        return data


class PriceListItemForm(forms.Form):
    product = forms.CharField(
        label=_("Product code"), max_length=12, help_text=_("The full code, e.g. 01-03-0007.")
    )
    price = forms.DecimalField(label=_("Price"), max_digits=14, decimal_places=2, min_value=0)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        style(self)

    def clean_product(self) -> Product:
        from vinculo.catalog import selectors

        product = selectors.product_by_code(self.cleaned_data["product"].strip())
        if product is None:
            raise forms.ValidationError(_("No product has this code."))
        return product


class ExchangeRateForm(ServiceForm):
    class Meta(ServiceForm.Meta):
        model = ExchangeRate
        fields = ["currency", "rate", "valid_on"]
        help_texts = {"rate": _("Units of the base currency for 1 unit of this currency.")}
