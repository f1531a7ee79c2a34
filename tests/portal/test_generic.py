"""The generic API suite for the staff's read-only supplier plans API."""

from __future__ import annotations

import datetime as dt

from tests.catalog.factories import ProductFactory
from tests.core.factories import as_user
from tests.customers.factories import AccountFactory
from tests.generic import Api, ApiSuite
from vinculo.analytics.demand import add_months
from vinculo.catalog import supplier_services as links
from vinculo.portal import supplier_services


def supplier_plan(admin, owner):
    """A plan line staff entered for a supplier owned by ``owner`` (its record rule)."""
    month = add_months(dt.date.today().replace(day=1), 1)
    with as_user(admin):
        supplier = AccountFactory(actor=admin, owner=owner, team=getattr(owner, "team", None),
                                  is_supplier=True)
        link = links.product_supplier_set(actor=admin, product=ProductFactory(actor=admin),
                                          supplier=supplier, data={"lead_time_days": "5"})
        return supplier_services.plan_set(actor=admin, link=link, month=month,
                                           quantity="12", delivery_on=month)


class TestSupplierPlanApi(ApiSuite):
    api = Api("portal-supplier-plan", "portal", supplier_plan, versioned=False)
