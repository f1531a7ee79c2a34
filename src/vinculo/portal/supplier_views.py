"""The supplier's pages (``/portal/supply/``) and staff's view of the plan beside the
forecast (``/portal/staff/supply/``). Thin: selectors find, ``supplier_services`` write."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views import View

from vinculo.catalog.models import Product, ProductSupplier
from vinculo.core.permissions import RoleRequiredMixin
from vinculo.portal import supplier_selectors as selectors
from vinculo.portal import supplier_services as services
from vinculo.portal.auth import PortalView, portal_context

MAX_PRODUCTS = 200


class SupplyListView(PortalView):
    """Every product the supplier supplies: forecast and its plan for the coming months."""

    section = "supply"

    def get(self, request: HttpRequest) -> HttpResponse:
        links = list(selectors.links(self.portal_user)[:MAX_PRODUCTS])
        months, rows = selectors.plans(links, supplier_id=self.portal_user.account_id)
        return render(request, "portal/supplier/list.html", {
            **portal_context(self.portal_user), "active": "supply", "months": months,
            "rows": rows})


class SupplyProductView(PortalView):
    """One product: a form per month to confirm or change quantity and delivery date."""

    section = "supply"
    model = Product  # the URL's UUID is the product's

    def link(self, uuid: Any) -> ProductSupplier:
        link = selectors.supplied_product(self.portal_user, uuid)
        if link is None:
            raise Http404
        return link

    def page(self, link: ProductSupplier, errors: dict[str, list[str]] | None = None,
             posted: dict[str, str] | None = None, status: int = 200) -> HttpResponse:
        _months, rows = selectors.plans([link], supplier_id=self.portal_user.account_id)
        return render(self.request, "portal/supplier/product.html", {
            **portal_context(self.portal_user), "active": "supply", "link": link,
            "plan": rows[0], "plan_errors": errors or {}, "posted": posted or {},
            "history": selectors.history(self.portal_user, link)}, status=status)

    def get(self, request: HttpRequest, uuid: Any) -> HttpResponse:
        return self.page(self.link(uuid))

    def post(self, request: HttpRequest, uuid: Any) -> HttpResponse:
        link = self.link(uuid)
        data = {k: request.POST.get(k, "") for k in ("month", "quantity", "delivery_on")}
        try:
            services.plan_confirm(portal_user=self.portal_user, product=link.product, **data)
        except ValidationError as exc:
            return self.page(link, exc.message_dict, data, status=400)
        return HttpResponseRedirect(
            reverse("portal:supply_product", kwargs={"uuid": link.product.uuid})
            + f"#m-{data['month'][:7]}")


class StaffSupplyView(RoleRequiredMixin, View):
    """Staff: per supplied product, the forecast beside the quantity its suppliers confirmed,
    month by month, the shortfalls highlighted."""

    permission = "analytics.view"

    def get(self, request: HttpRequest) -> HttpResponse:
        seen: dict[int, ProductSupplier] = {}
        for link in (ProductSupplier.objects.filter(product__active=True)
                     .select_related("product", "supplier")
                     .order_by("product__full_code", "supplier__name", "id")):
            seen.setdefault(link.product_id, link)
            if len(seen) >= MAX_PRODUCTS:
                break
        months, rows = selectors.plans(list(seen.values()))
        names: dict[int, list[str]] = {}
        for link in ProductSupplier.objects.filter(product_id__in=list(seen)).select_related(
                "supplier").order_by("supplier__name", "id"):
            names.setdefault(link.product_id, []).append(link.supplier.name)
        for row in rows:
            row.suppliers = names.get(row.product.pk, [])
        return render(request, "portal/supplier/staff.html", {"months": months, "rows": rows})
