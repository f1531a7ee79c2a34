"""The supplier's pages (``/portal/supply/``) and staff's view of the plan beside the
forecast (``/portal/staff/supply/``). Thin: selectors find, ``supplier_services`` write."""

from __future__ import annotations

import uuid
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Exists, OuterRef
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views import View

from vinculo.catalog.models import Product, ProductSupplier
from vinculo.core.permissions import RoleRequiredMixin
from vinculo.core.roles import role_has
from vinculo.core.services import PermissionDeniedError
from vinculo.customers.models import Account
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
    month by month, the shortfalls highlighted; with ``portal.plan``, a form per product to
    enter or correct a supplier's plan line (a new row naming who and when)."""

    permission = "analytics.view"

    def page(self, errors: dict[str, list[str]] | None = None, posted: dict[str, str] | None
             = None, status: int = 200) -> HttpResponse:
        request = self.request
        seen: dict[int, ProductSupplier] = {}
        for link in (ProductSupplier.objects.filter(product__active=True)
                     .select_related("product", "supplier")
                     .order_by("product__full_code", "supplier__name", "id")):
            seen.setdefault(link.product_id, link)
            if len(seen) >= MAX_PRODUCTS:
                break
        months, rows = selectors.plans(list(seen.values()))
        visible = Account.objects.restrict(request.user).filter(pk=OuterRef("supplier_id"))
        links: dict[int, list[ProductSupplier]] = {}
        for link in (ProductSupplier.objects.filter(product_id__in=list(seen))
                     .filter(Exists(visible)).select_related("supplier")
                     .order_by("supplier__name", "id")):
            links.setdefault(link.product_id, []).append(link)
        for row in rows:
            row.suppliers = [link.supplier.name for link in links.get(row.product.pk, [])]
            row.links = links.get(row.product.pk, [])  # type: ignore[attr-defined]
        return render(request, "portal/supplier/staff.html", {
            "months": months, "rows": rows, "may_plan": role_has(request.user.role, "portal.plan"),
            "plan_errors": errors or {}, "posted": posted or {}}, status=status)

    def get(self, request: HttpRequest) -> HttpResponse:
        return self.page()

    def post(self, request: HttpRequest) -> HttpResponse:
        data = {k: request.POST.get(k, "")[:40] for k in ("product", "link", "month",
                                                          "quantity", "delivery_on")}
        try:
            key = uuid.UUID(data["link"])
        except ValueError:
            key = None  # the service says "not found", naming the field
        link = (ProductSupplier.objects.select_related("product", "supplier")
                .filter(uuid=key).first() if key else None)
        try:
            services.plan_set(actor=request.user, link=link, month=data["month"],
                              quantity=data["quantity"], delivery_on=data["delivery_on"])
        except ValidationError as exc:
            return self.page(exc.message_dict, data, status=400)
        except PermissionDeniedError:
            raise PermissionDenied from None
        assert link is not None
        return HttpResponseRedirect(reverse("portal:staff_supply") + f"#p-{link.product.uuid}")
