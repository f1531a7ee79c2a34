"""Pages of the catalogue. Thin: forms collect, services decide, selectors read."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from vinculo.catalog import forms, selectors, services
from vinculo.catalog.filters import ExchangeRateFilterSet, PriceListFilterSet, ProductFilterSet
from vinculo.catalog.models import (
    Category,
    ExchangeRate,
    PriceList,
    PriceListItem,
    Product,
    ProductLine,
)
from vinculo.core.forms import apply_service_errors
from vinculo.core.history import record_history_display
from vinculo.core.permissions import RoleRequiredMixin
from vinculo.core.views_base import (
    Column,
    RecordDeleteView,
    RecordListView,
    RecordMixin,
    ServiceEditView,
)


class CatalogListView(RecordListView):
    template_name = "catalog/record_list.html"
    permission_domain = "catalog"


# ---- products --------------------------------------------------------------------------------


class ProductListView(CatalogListView):
    model = Product
    filterset_class = ProductFilterSet
    list_name = "products"
    title = gettext_lazy("Products and services")
    create_url = reverse_lazy("catalog:product_create")
    row_template = "catalog/rows/product.html"
    default_sort = "full_code"
    columns = (
        Column("full_code", gettext_lazy("Code"), "full_code"),
        Column("name", gettext_lazy("Name"), "name"),
        Column("kind", gettext_lazy("Kind"), "kind"),
        Column("unit", gettext_lazy("Unit")),
        Column("list_price", gettext_lazy("List price"), "list_price"),
        Column("tax_rate", gettext_lazy("Tax")),
        Column("active", gettext_lazy("Active"), "active"),
    )


class ProductDetailView(RecordMixin, View):
    model = Product
    permission_domain = "catalog"

    def get(self, request: HttpRequest, uuid: UUID) -> HttpResponse:
        return self.render_page(self.get_object())

    def render_page(self, product: Product, supplier_form: Any = None,
                    status: int = 200) -> HttpResponse:
        from vinculo.catalog.views_supplier import supplier_context

        return render(
            self.request,
            "catalog/product_detail.html",
            {
                "record": product,
                "price_items": list(selectors.product_price_lists(product)[:100]),
                **supplier_context(product, supplier_form),
                "history": record_history_display(product),
            },
            status=status,
        )


class EditView(ServiceEditView):
    permission = "catalog.change"
    template_name = "catalog/record_form.html"


class ProductCreateView(EditView):
    model = Product
    form_class = forms.ProductForm
    create_service = staticmethod(services.product_create)
    permission = "catalog.add"
    detail_url = "catalog:product_detail"
    title = gettext_lazy("New product or service")


class ProductUpdateView(ProductCreateView):
    update_service = staticmethod(services.product_update)
    instance_kwarg = "product"
    permission = "catalog.change"
    title = gettext_lazy("Edit product")


class DeleteView(RecordDeleteView):
    permission = "catalog.delete"


class ProductDeleteView(DeleteView):
    model = Product
    delete_service = staticmethod(services.product_delete)
    deactivate_service = staticmethod(services.product_deactivate)
    instance_kwarg = "product"
    list_url = "catalog:product_list"


# ---- categories and lines --------------------------------------------------------------------


class CategoryListView(RoleRequiredMixin, View):
    """Categories with their lines, on one page."""

    permission_domain = "catalog"

    def get(self, request: HttpRequest) -> HttpResponse:
        categories = list(Category.objects.prefetch_related("lines").order_by("code", "id"))
        return render(
            request,
            "catalog/categories.html",
            {"categories": categories},
        )


class CategoryCreateView(EditView):
    model = Category
    form_class = forms.CategoryForm
    create_service = staticmethod(services.category_create)
    permission = "catalog.add"
    title = gettext_lazy("New category")

    def success_url(self, record: Any) -> str:
        return reverse("catalog:category_list")


class CategoryUpdateView(CategoryCreateView):
    update_service = staticmethod(services.category_update)
    instance_kwarg = "category"
    permission = "catalog.change"
    title = gettext_lazy("Edit category")


class CategoryDeleteView(DeleteView):
    model = Category
    delete_service = staticmethod(services.category_delete)
    instance_kwarg = "category"
    list_url = "catalog:category_list"


class ProductLineCreateView(EditView):
    """A new line in the category named by the URL."""

    model = Category  # the UUID in the URL is the category's
    form_class = forms.ProductLineForm
    permission = "catalog.add"
    title = gettext_lazy("New product line")

    def instance(self) -> Any:
        self.category = self.get_object()
        return ProductLine(organization_id=self.request.user.organization_id)

    def create(self, form: Any) -> Any:
        return services.product_line_create(
            actor=self.request.user, category=self.category, data=form.data_for_service()
        )

    def success_url(self, record: Any) -> str:
        return reverse("catalog:category_list")


class ProductLineUpdateView(EditView):
    model = ProductLine
    form_class = forms.ProductLineForm
    update_service = staticmethod(services.product_line_update)
    instance_kwarg = "line"
    title = gettext_lazy("Edit product line")

    def success_url(self, record: Any) -> str:
        return reverse("catalog:category_list")


class ProductLineDeleteView(DeleteView):
    model = ProductLine
    delete_service = staticmethod(services.product_line_delete)
    instance_kwarg = "line"
    list_url = "catalog:category_list"


# ---- price lists -----------------------------------------------------------------------------


class PriceListListView(CatalogListView):
    model = PriceList
    filterset_class = PriceListFilterSet
    list_name = "price_lists"
    title = gettext_lazy("Price lists")
    create_url = reverse_lazy("catalog:price_list_create")
    row_template = "catalog/rows/price_list.html"
    default_sort = "-valid_from"
    columns = (
        Column("name", gettext_lazy("Name"), "name"),
        Column("currency", gettext_lazy("Currency"), "currency"),
        Column("scope", gettext_lazy("For")),
        Column("valid_from", gettext_lazy("Valid from"), "valid_from"),
        Column("valid_to", gettext_lazy("Valid to"), "valid_to"),
        Column("active", gettext_lazy("Active"), "active"),
    )

    def base_queryset(self) -> QuerySet:
        return super().base_queryset().select_related("account")


class PriceListDetailView(RecordMixin, View):
    model = PriceList
    permission_domain = "catalog"

    def get(self, request: HttpRequest, uuid: UUID) -> HttpResponse:
        return self.render_page(self.get_object(), forms.PriceListItemForm())

    def render_page(self, price_list: PriceList, item_form: Any, status: int = 200) -> Any:
        items = price_list.items.select_related("product").order_by("product__full_code")
        return render(
            self.request,
            "catalog/price_list_detail.html",
            {
                "record": price_list,
                "items": list(items[:500]),
                "item_form": item_form,
                "history": record_history_display(price_list),
            },
            status=status,
        )


class PriceListItemAddView(PriceListDetailView):
    """Put a product (by its full code) on the list at a price."""

    permission = "catalog.change"
    http_method_names = ["post"]

    def post(self, request: HttpRequest, uuid: UUID) -> HttpResponse:
        price_list = self.get_object()
        form = forms.PriceListItemForm(request.POST)
        if form.is_valid():
            try:
                services.price_list_item_create(
                    actor=request.user,
                    price_list=price_list,
                    product=form.cleaned_data["product"],
                    price=form.cleaned_data["price"],
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, _("Saved."))
                return HttpResponseRedirect(
                    reverse("catalog:price_list_detail", kwargs={"uuid": uuid})
                )
        return self.render_page(price_list, form, status=400)


class PriceListCreateView(EditView):
    model = PriceList
    form_class = forms.PriceListForm
    create_service = staticmethod(services.price_list_create)
    permission = "catalog.add"
    detail_url = "catalog:price_list_detail"
    title = gettext_lazy("New price list")


class PriceListUpdateView(PriceListCreateView):
    update_service = staticmethod(services.price_list_update)
    instance_kwarg = "price_list"
    permission = "catalog.change"
    title = gettext_lazy("Edit price list")


class PriceListDeleteView(DeleteView):
    model = PriceList
    delete_service = staticmethod(services.price_list_delete)
    instance_kwarg = "price_list"
    list_url = "catalog:price_list_list"


class PriceListItemDeleteView(DeleteView):
    model = PriceListItem
    permission = "catalog.change"
    delete_service = staticmethod(services.price_list_item_delete)
    instance_kwarg = "item"

    def redirect_url(self, record: Any) -> str:
        return reverse("catalog:price_list_detail", kwargs={"uuid": record.price_list.uuid})


# ---- exchange rates --------------------------------------------------------------------------


class ExchangeRateListView(CatalogListView):
    model = ExchangeRate
    filterset_class = ExchangeRateFilterSet
    list_name = "exchange_rates"
    title = gettext_lazy("Exchange rates")
    create_url = reverse_lazy("catalog:exchange_rate_create")
    row_template = "catalog/rows/exchange_rate.html"
    default_sort = "-valid_on"
    columns = (
        Column("currency", gettext_lazy("Currency"), "currency"),
        Column("rate", gettext_lazy("Rate")),
        Column("valid_on", gettext_lazy("Valid on"), "valid_on"),
        Column("actions", ""),
    )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["base_currency"] = self.request.user.organization.base_currency
        return context


class ExchangeRateCreateView(EditView):
    model = ExchangeRate
    form_class = forms.ExchangeRateForm
    permission = "catalog.change"
    title = gettext_lazy("New exchange rate")

    def create(self, form: Any) -> Any:
        return services.exchange_rate_create(actor=self.request.user, **form.data_for_service())

    def success_url(self, record: Any) -> str:
        return reverse("catalog:exchange_rate_list")


class ExchangeRateDeleteView(DeleteView):
    model = ExchangeRate
    delete_service = staticmethod(services.exchange_rate_delete)
    instance_kwarg = "exchange_rate"
    list_url = "catalog:exchange_rate_list"
