"""Demo service packages, one per class of customers the demo's analytics finds: Premium for
the most profitable and valuable, Preferente for the loyal middle, Esencial for the rest who
buy. Made through the package services after the segments (950), then every customer is
placed by the rules, as after a recompute."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import override

from vinculo.catalog.models import PriceList, PriceListItem, Product
from vinculo.core.audit import acting_as
from vinculo.core.demo import DemoContext
from vinculo.core.tenancy import organization_scope
from vinculo.packages.models import AccountPackage, PackageChange
from vinculo.packages.services import package_create, packages_evaluate

#: How long ago the demo's customers were placed in their packages: inside the longest period
#: the measures show, which is (today − 365 days, today] (on its first day, the placements fell
#: outside it and the year's migration matrix was empty).
PLACED_DAYS_AGO = 364
#: The Premium price list's discount on list prices.
PREMIUM_DISCOUNT = Decimal("0.95")


def _premium_prices(ctx: DemoContext) -> PriceList:
    org = ctx.organization
    price_list = PriceList.all_objects.create(
        organization=org, name=_("Premium prices"), currency=org.base_currency,
        segment="premium", valid_from=ctx.now.date() - dt.timedelta(days=365))
    products = Product.all_objects.filter(organization=org, currency=org.base_currency)
    PriceListItem.all_objects.bulk_create(
        PriceListItem(organization=org, price_list=price_list, product=p,
                      price=(p.list_price * PREMIUM_DISCOUNT).quantize(Decimal("0.01")))
        for p in products)
    return price_list


def generate(ctx: DemoContext) -> dict[str, int]:
    org = ctx.organization
    actor = ctx.users["manager"]
    with organization_scope(org), acting_as(actor), override(org.language or "es"):
        premium = package_create(actor=actor, data={
            "name": _("Premium"), "rank": 30, "service_tier": "platinum",
            "description": _("The most profitable, most valuable customers: the best service "
                             "we can give, and visits."),
            "price_list": _premium_prices(ctx), "lead_time_days": 2,
            "partial_deliveries": True, "payment_terms_days": 60,
            "account_manager": actor, "channels": ["email", "phone", "visit", "dedicated"],
            "offers": _("Early access to new products; 5 % off list prices."),
            "downgrade_needs_approval": True,
            "rule": {"match": "all", "conditions": [
                {"field": "analytics.profit_segment", "op": "in", "value": ["High"]},
                {"field": "analytics.value_tier", "op": "in", "value": ["Platinum", "Gold"]}]},
        }, services=[{"name": _("Quarterly visit"), "monthly_cost": "40"},
                     {"name": _("Dedicated phone line"), "monthly_cost": "15"}])
        preferred = package_create(actor=actor, data={
            "name": _("Preferente"), "rank": 20, "service_tier": "gold",
            "description": _("Profitable customers who buy regularly."),
            "lead_time_days": 4, "partial_deliveries": True, "payment_terms_days": 45,
            "channels": ["email", "phone", "portal"],
            "rule": {"match": "all", "conditions": [
                {"field": "analytics.profit_segment", "op": "in", "value": ["High", "Medium"]}]},
        }, services=[{"name": _("Annual account review"), "monthly_cost": "5"}])
        essential = package_create(actor=actor, data={
            "name": _("Esencial"), "rank": 10, "service_tier": "standard",
            "description": _("Every other customer who buys: the standard promise, served "
                             "online and by phone."),
            "lead_time_days": 7, "partial_deliveries": False, "payment_terms_days": 30,
            "channels": ["email", "portal"],
            "rule": {"match": "all", "conditions": [
                {"field": "analytics.profit_segment", "op": "not_empty"}]},
        })
        result = packages_evaluate(organization=org, publish=False)
        # The customers have had their packages through the year the measures look back on:
        # measured per package, a record counts for the package of its day (packages.measures).
        since = ctx.now.date() - dt.timedelta(days=PLACED_DAYS_AGO)
        PackageChange.all_objects.filter(organization=org).update(on=since)
        AccountPackage.all_objects.filter(organization=org).update(since=since)
    ctx.shared["packages"] = {"premium": premium.pk, "preferred": preferred.pk,
                              "essential": essential.pk}
    return {"service packages": 3, "customers placed": result.applied}
