"""The product page's supplier links: add or change one, remove one."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from vinculo.catalog import supplier_services
from vinculo.catalog.forms import style
from vinculo.catalog.models import Product, ProductSupplier
from vinculo.core.forms import apply_service_errors
from vinculo.core.limits import REFERENCE_MAX_LENGTH
from vinculo.core.permissions import RoleRequiredMixin
from vinculo.customers.models import Account


class ProductSupplierForm(forms.Form):
    """Raw text for the numbers: the service checks them and names the field."""

    supplier = forms.ModelChoiceField(label=gettext_lazy("Supplier"),
                                      queryset=Account.objects.none())
    supplier_code = forms.CharField(label=gettext_lazy("Supplier's code"), required=False,
                                    max_length=ProductSupplier._meta.get_field(
                                        "supplier_code").max_length)
    lead_time_days = forms.CharField(label=gettext_lazy("Lead time (days)"), required=False,
                                     initial="0", max_length=REFERENCE_MAX_LENGTH)
    cost = forms.CharField(label=gettext_lazy("Cost"), required=False, initial="0",
                           max_length=REFERENCE_MAX_LENGTH)
    currency = forms.CharField(label=gettext_lazy("Currency"), required=False, max_length=3)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["supplier"].queryset = Account.objects.filter(
            is_supplier=True, active=True).order_by("name", "id")
        style(self)


def supplier_context(product: Product, form: ProductSupplierForm | None = None
                     ) -> dict[str, Any]:
    """What the product page shows of its suppliers."""
    return {"supplier_links": list(product.suppliers.select_related("supplier")
                                   .order_by("supplier__name", "id")[:100]),
            "supplier_form": form or ProductSupplierForm(initial={"currency": product.currency})}


class ProductSupplierSetView(RoleRequiredMixin, View):
    model = Product  # the URL's UUID is the product's (the tenancy walk reads this)
    permission = "catalog.change"
    http_method_names = ["post"]

    def post(self, request: HttpRequest, uuid: UUID) -> HttpResponse:
        from vinculo.catalog.views import ProductDetailView

        product = get_object_or_404(Product, uuid=uuid)
        form = ProductSupplierForm(request.POST)
        if form.is_valid():
            data = {k: form.cleaned_data[k] for k in supplier_services.SUPPLIER_FIELDS}
            try:
                supplier_services.product_supplier_set(
                    actor=request.user, product=product, supplier=form.cleaned_data["supplier"],
                    data=data)
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, _("Saved."))
                return HttpResponseRedirect(
                    reverse("catalog:product_detail", kwargs={"uuid": uuid}) + "#suppliers")
        view = ProductDetailView()
        view.setup(request, uuid=uuid)
        return view.render_page(product, supplier_form=form, status=400)


class ProductSupplierDeleteView(RoleRequiredMixin, View):
    model = ProductSupplier
    permission = "catalog.change"
    http_method_names = ["post"]

    def post(self, request: HttpRequest, uuid: UUID) -> HttpResponse:
        link = get_object_or_404(ProductSupplier.objects.select_related("product"), uuid=uuid)
        supplier_services.product_supplier_delete(actor=request.user, link=link)
        messages.success(request, _("Removed."))
        return HttpResponseRedirect(
            reverse("catalog:product_detail", kwargs={"uuid": link.product.uuid}) + "#suppliers")
