"""The line rows of a document page (quote, order, invoice, credit note): one form for all.

A document's lines name a catalogue product and its header an account; both live in apps
above ``core``, so the form looks their models up by label (like ``AUTH_USER_MODEL``) instead
of importing them.
"""

from __future__ import annotations

from contextlib import suppress
from typing import Any

from django import forms
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db.models import Model
from django.utils.translation import gettext_lazy as _

from vinculo.core.models import User

LINE_ROWS = 6
LINE_COLUMNS = ("product", "description", "quantity", "unit_price", "discount_percent",
                "tax_rate")
ACCOUNT_MODEL = "customers.Account"
PRODUCT_MODEL = "catalog.Product"


def style_fields(form: forms.BaseForm) -> None:
    """Bootstrap classes on every visible field: a select or a text control."""
    for field in form.fields.values():
        if isinstance(field.widget, forms.HiddenInput):
            continue
        css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
        field.widget.attrs.setdefault("class", css)


class StyledForm(forms.Form):
    """A plain form whose fields carry the Bootstrap classes."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        style_fields(self)


def _model(label: str) -> Any:
    """A tenant model by label; ``Any`` because its manager's ``restrict`` is not typed."""
    return apps.get_model(label)


class LinesForm(forms.Form):
    """An account and line rows ``line_<n>_<column>``; a row with neither product nor
    description is empty. ``lines()`` answers the rows as the pricing services take them."""

    account = forms.ChoiceField(label=_("Account"))

    def __init__(self, *args: Any, user: User, initial_lines: list[dict] | None = None,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        account_model, product_model = _model(ACCOUNT_MODEL), _model(PRODUCT_MODEL)
        account_field = self.fields["account"]
        assert isinstance(account_field, forms.ChoiceField)
        # deactivated accounts are not offered, unless the document already has one
        current = str(self.initial.get("account") or self.data.get("account") or "")
        offered = account_model.objects.all().restrict(user).filter(active=True)
        if current:
            with suppress(ValidationError):  # not a UUID: clean_account refuses it
                offered = offered | account_model.objects.all().restrict(user).filter(
                    uuid=current)
        account_field.choices = [("", "—")] + [
            (str(a.uuid), a.name) for a in offered.order_by("name")[:500]]
        products = [("", _("Free text"))] + [
            (str(p.uuid), str(p)) for p in product_model.objects.filter(active=True)[:500]]
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
        style_fields(self)

    def line_rows(self) -> list[list[forms.BoundField]]:
        return [[self[f"line_{n}_{column}"] for column in LINE_COLUMNS]
                for n in range(LINE_ROWS)]

    def clean_account(self) -> Model:
        account = _model(ACCOUNT_MODEL).objects.all().restrict(self.user).filter(
            uuid=self.cleaned_data["account"]).first()
        if account is None:
            raise forms.ValidationError(_("Choose an account."))
        return account

    def lines(self) -> list[dict[str, Any]]:
        data = self.cleaned_data
        products = {str(p.uuid): p for p in _model(PRODUCT_MODEL).objects.filter(uuid__in=[
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

    @staticmethod
    def initial_lines(document: Any) -> list[dict[str, Any]]:
        """A saved document's lines as ``initial_lines`` of its edit form."""
        return [{column: getattr(line, column) for column in LINE_COLUMNS}
                for line in document.lines.all()]
