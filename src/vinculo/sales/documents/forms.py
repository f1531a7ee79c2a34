"""Forms of the document pages: a header and a fixed number of line rows. Services decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from vinculo.catalog.models import Product
from vinculo.core.models import User
from vinculo.customers.models import Account

LINE_ROWS = 6
LINE_COLUMNS = ("product", "description", "quantity", "unit_price", "discount_percent",
                "tax_rate")


def _style(form: forms.Form) -> None:
    for field in form.fields.values():
        if isinstance(field.widget, forms.HiddenInput):
            continue
        css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
        field.widget.attrs.setdefault("class", css)


class LinesForm(forms.Form):
    """Line rows ``line_<n>_<column>``; a row with neither product nor description is empty."""

    account = forms.ChoiceField(label=_("Account"))

    def __init__(self, *args: Any, user: User, initial_lines: list[dict] | None = None,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["account"].choices = [("", "—")] + [
            (str(a.uuid), a.name) for a in
            Account.objects.all().restrict(user).order_by("name")[:500]]
        products = [("", _("Free text"))] + [
            (str(p.uuid), str(p)) for p in Product.objects.filter(active=True)[:500]]
        for n in range(LINE_ROWS):
            self.fields[f"line_{n}_product"] = forms.ChoiceField(
                label=_("Product"), choices=products, required=False)
            self.fields[f"line_{n}_description"] = forms.CharField(
                label=_("Description"), max_length=200, required=False)
            self.fields[f"line_{n}_quantity"] = forms.DecimalField(
                label=_("Quantity"), max_digits=12, decimal_places=3, required=False,
                initial=1)
            self.fields[f"line_{n}_unit_price"] = forms.DecimalField(
                label=_("Unit price"), max_digits=14, decimal_places=2, required=False)
            self.fields[f"line_{n}_discount_percent"] = forms.DecimalField(
                label=_("Discount (%)"), max_digits=5, decimal_places=2, required=False)
            self.fields[f"line_{n}_tax_rate"] = forms.DecimalField(
                label=_("Tax rate (%)"), max_digits=5, decimal_places=2, required=False)
        for n, line in enumerate((initial_lines or [])[:LINE_ROWS]):
            for column in LINE_COLUMNS:
                value = line.get(column)
                if column == "product" and value is not None:
                    value = str(value.uuid)
                self.initial[f"line_{n}_{column}"] = value
        _style(self)

    def line_rows(self) -> list[list[forms.BoundField]]:
        return [[self[f"line_{n}_{column}"] for column in LINE_COLUMNS]
                for n in range(LINE_ROWS)]

    def clean_account(self) -> Account:
        account = Account.objects.all().restrict(self.user).filter(
            uuid=self.cleaned_data["account"]).first()
        if account is None:
            raise forms.ValidationError(_("Choose an account."))
        return account

    def lines(self) -> list[dict[str, Any]]:
        data = self.cleaned_data
        products = {str(p.uuid): p for p in Product.objects.filter(uuid__in=[
            data.get(f"line_{n}_product") for n in range(LINE_ROWS)
            if data.get(f"line_{n}_product")])}
        result = []
        for n in range(LINE_ROWS):
            product = products.get(data.get(f"line_{n}_product") or "")
            description = data.get(f"line_{n}_description") or ""
            if product is None and not description:
                continue
            line: dict[str, Any] = {"product": product, "description": description,
                                    "quantity": data.get(f"line_{n}_quantity") or 1}
            for column in ("unit_price", "discount_percent", "tax_rate"):
                if data.get(f"line_{n}_{column}") is not None:
                    line[column] = data[f"line_{n}_{column}"]
            result.append(line)
        return result


class QuoteForm(LinesForm):
    valid_until = forms.DateField(label=_("Valid until"), required=False,
                                  widget=forms.DateInput(attrs={"type": "date"}))
    notes = forms.CharField(label=_("Notes"), required=False,
                            widget=forms.Textarea(attrs={"rows": 2}))


class AcceptForm(forms.Form):
    promised_date = forms.DateField(label=_("Promised delivery date"),
                                    widget=forms.DateInput(attrs={"type": "date"}))


class SendForm(forms.Form):
    to = forms.EmailField(label=_("Send to"), required=False)
