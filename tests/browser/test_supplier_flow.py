"""The supplier portal end to end in a real Chromium (issue 13, "Done when": a supplier
confirms a forecast): the supplier's contact signs in on a phone, opens the collapsed menu,
sees the forecast of a product it supplies, confirms a quantity and date and then changes
them; staff then see that plan, with who entered it, beside the forecast on the supplier plan
page."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from tests.browser.test_pipeline_board import log_in
from tests.browser.test_portal_flow import PHONE, _fits
from tests.catalog.factories import ProductFactory
from tests.core.factories import as_user
from tests.customers.factories import AccountFactory
from tests.portal.factories import PORTAL_PASSWORD, portal_user
from tests.sales.factories import OrderFactory
from vinculo.analytics.demand import add_months
from vinculo.catalog import supplier_services as links
from vinculo.core.tenancy import organization_scope
from vinculo.portal.models import SupplierPlan

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_supplier_confirms_the_forecast_and_staff_see_the_plan_beside_it(
        browser, live_server, admin):
    with as_user(admin):
        supplier = AccountFactory(actor=admin, name="Aceites del Sur SL", is_supplier=True)
        product = ProductFactory(actor=admin, name="Aceite virgen extra 5 l")
        links.product_supplier_set(actor=admin, product=product, supplier=supplier,
                                   data={"supplier_code": "AS-77", "lead_time_days": "10"})
        customer = AccountFactory(actor=admin)
        first = add_months(dt.date.today().replace(day=1), -6)
        for k in range(6):  # six months of demand: a forecast with its accuracy
            OrderFactory(actor=admin, account=customer, ordered_on=add_months(first, k),
                         lines=[{"product": product, "quantity": Decimal(10 + k)}])
    user = portal_user(admin, supplier, role="supplier", first_name="Sara", language="en")
    month = add_months(dt.date.today().replace(day=1), 1)

    context = browser.new_context(base_url=live_server.url, locale="en-GB", viewport=PHONE)
    phone = context.new_page()
    phone.set_default_timeout(15_000)
    phone.goto("/portal/login/")
    phone.get_by_label("E-mail").fill(user.email)
    phone.get_by_label("Password").fill(PORTAL_PASSWORD)
    phone.get_by_role("button", name="Sign in").click()
    expect(phone).to_have_url(re.compile(r"/portal/$"))
    supply = phone.locator("#portal-nav").get_by_role("link", name="Supply plan")
    expect(supply).to_be_hidden()  # folded under the menu on a phone, not a sideways strip
    phone.get_by_role("button", name="Menu").click()
    supply.click()
    expect(phone.get_by_text("MASE").first).to_be_visible()  # the forecast's accuracy
    _fits(phone)
    phone.get_by_role("link", name=re.compile("Aceite virgen extra")).first.click()
    line = phone.locator(f"#m-{month:%Y-%m}")
    expect(line).to_contain_text("Forecast")
    for quantity, day in (("120", 10), ("95.5", 20)):  # confirm, then change
        line.get_by_label("Quantity you can deliver").fill(quantity)
        line.get_by_label("Delivery date").fill(f"{month:%Y-%m}-{day:02d}")
        line.get_by_role("button").click()
        expect(phone.locator(f"#m-{month:%Y-%m}")).to_contain_text("by Portal")
        line = phone.locator(f"#m-{month:%Y-%m}")
    expect(line.get_by_label("Quantity you can deliver")).to_have_value("95.50")
    _fits(phone)
    with organization_scope(admin.organization_id):
        assert [(p.quantity, p.delivery_on.day) for p in SupplierPlan.objects.order_by("id")
                ] == [(Decimal(120), 10), (Decimal("95.5"), 20)]
    context.close()

    staff_context = browser.new_context(base_url=live_server.url, locale="en-GB",
                                        viewport={"width": 1366, "height": 900})
    staff = staff_context.new_page()
    staff.set_default_timeout(15_000)
    log_in(staff, admin)
    staff.goto("/portal/staff/supply/")
    card = staff.locator(f"#p-{product.uuid}")
    expect(card).to_contain_text("Aceite virgen extra 5 l")
    expect(card).to_contain_text("Aceites del Sur SL")
    row = card.locator("tbody tr").filter(has_text=f"{month:%b %Y}")
    expect(row).to_contain_text("96")  # the plan (rounded) beside the forecast
    expect(row).to_contain_text("by Portal Sara")
    staff_context.close()
