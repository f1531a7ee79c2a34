"""What a supplier's portal user sees: the products its account supplies (catalogue links),
their demand forecast (analytics' own, narrowed to those products) and the supplier's plan.

Every query starts from the portal user's account's links, so another supplier's product,
or another organisation's, is not found: a 404.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from vinculo.analytics import demand
from vinculo.catalog.models import Product, ProductSupplier
from vinculo.portal.models import PortalRole, PortalUser, SupplierPlan

HORIZON = 6


@dataclass
class MonthRow:
    """One future month of one product: the forecast beside what the supplier confirmed."""

    month: dt.date
    forecast: float | None
    plan: SupplierPlan | None

    @property
    def gap(self) -> float | None:
        """Confirmed minus forecast (negative: the supplier falls short)."""
        if self.plan is None or self.forecast is None:
            return None
        return float(self.plan.quantity) - self.forecast

    @property
    def short(self) -> bool:
        return self.gap is not None and self.gap < -0.5


@dataclass
class ProductPlan:
    product: Product
    link: ProductSupplier | None
    series: demand.Series | None
    rows: list[MonthRow]
    suppliers: list[str] = field(default_factory=list)  # staff's view: who supplies it


def this_month() -> dt.date:
    return timezone.localdate().replace(day=1)


def links(portal_user: PortalUser) -> QuerySet:
    """The catalogue links of the supplier's account; none for any other portal role."""
    if portal_user.role != PortalRole.SUPPLIER:
        return ProductSupplier.objects.none()
    return (ProductSupplier.objects.filter(supplier_id=portal_user.account_id,
                                           product__active=True)
            .select_related("product").order_by("product__full_code", "id"))


def supplied_product(portal_user: PortalUser, uuid: Any) -> ProductSupplier | None:
    try:
        return links(portal_user).filter(product__uuid=uuid).first()
    except (ValueError, TypeError):
        return None


def in_force(plans: QuerySet) -> QuerySet:
    """Only the plan in force per (supplier, product, month): the row with no later one (rows
    are appended, never edited, so the highest id is the latest), as ``latest_plans`` reads
    it."""
    later = SupplierPlan.objects.filter(
        supplier_id=OuterRef("supplier_id"), product_id=OuterRef("product_id"),
        month=OuterRef("month"), pk__gt=OuterRef("pk"))
    return plans.filter(~Exists(later))


def latest_plans(supplier_ids: list[int] | None, product_ids: list[int],
                 months: list[dt.date]) -> dict[tuple[int, int, dt.date], SupplierPlan]:
    """The plan in force per (supplier, product, month): the latest row of each."""
    qs = (SupplierPlan.objects.filter(product_id__in=product_ids, month__in=months)
          .select_related("author", "portal_user").order_by("created_at", "id"))
    if supplier_ids is not None:
        qs = qs.filter(supplier_id__in=supplier_ids)
    return {(p.supplier_id, p.product_id, p.month): p for p in qs}


def _months(forecast: demand.DemandForecast) -> list[dt.date]:
    """The forecast's future months from the current one on (a past month cannot be planned)."""
    first = this_month()
    return [m for m in forecast.future if m >= first]


def plans(links_: list[ProductSupplier], supplier_id: int | None = None,
          as_of: dt.date | None = None) -> tuple[list[dt.date], list[ProductPlan]]:
    """Per product of ``links_``: forecast and plan of the coming months. With
    ``supplier_id`` the plan is that supplier's; without, the sum over the product's suppliers
    (staff's view)."""
    products = {link.product_id: link for link in links_}
    forecast = demand.product_forecast(as_of=as_of, horizon=HORIZON,
                                       product_ids=list(products))
    months = _months(forecast)
    offset = len(forecast.future) - len(months)
    by_key = {s.key: s for s in forecast.series}
    latest = latest_plans([supplier_id] if supplier_id else None, list(products), months)
    summed: dict[tuple[int, dt.date], SupplierPlan] = {}
    for (_supplier, product_id, month), plan in latest.items():
        if supplier_id is None and (product_id, month) in summed:
            prev = summed[(product_id, month)]
            newest = max(prev, plan, key=lambda p: (p.created_at, p.pk or 0))
            plan = SupplierPlan(product_id=product_id, month=month,
                                quantity=Decimal(prev.quantity) + plan.quantity,
                                delivery_on=max(prev.delivery_on, plan.delivery_on),
                                author=newest.author, created_at=newest.created_at,
                                portal_user=newest.portal_user)
        summed[(product_id, month)] = plan
    out = []
    for product_id, link in products.items():
        series = by_key.get(str(link.product.uuid))
        rows = [MonthRow(month=m,
                         forecast=series.forecast[offset + i] if series else None,
                         plan=summed.get((product_id, m)))
                for i, m in enumerate(months)]
        out.append(ProductPlan(product=link.product, link=link, series=series, rows=rows))
    return months, out


def history(portal_user: PortalUser, link: ProductSupplier, limit: int = 30) -> list[SupplierPlan]:
    """Every confirmation and change of this supplier for this product, newest first."""
    return list(SupplierPlan.objects.filter(supplier_id=portal_user.account_id,
                                            product_id=link.product_id)
                .select_related("author", "portal_user")
                .order_by("-created_at", "-id")[:limit])
