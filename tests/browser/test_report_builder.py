"""The report builder in a real browser, on a phone: draft a report before any order exists
(sample figures and the fields it needs), save it, then see real numbers once an order is
there; set an objective and find it, with the report, on the management dashboard; nothing
overflows at 390 px."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from tests.conftest import PASSWORD
from tests.sales.factories import OrderFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
expect.set_options(timeout=15_000)  # every change is a request: slow on a loaded machine


def test_draft_on_sample_data_save_then_real_numbers_and_a_dashboard(browser, live_server,
                                                                      admin):
    context = browser.new_context(base_url=live_server.url, locale="en-GB",
                                  viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto("/login/")
    page.get_by_label("E-mail").fill(admin.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name=re.compile("Hello"))).to_be_visible()

    page.goto("/reports/new/")
    page.get_by_label("Data").select_option("orders")
    expect(page.locator("#r-g0-field option[value=ordered_on]")).to_have_count(1)
    page.locator("#r-g0-field").select_option("ordered_on")
    page.locator("#r-g0-bucket").select_option("month")
    page.locator("#r-a0-fn").select_option("sum")
    page.locator("#r-a0-field").select_option("total_amount")
    expect(page.get_by_text("these are sample figures")).to_be_visible()
    expect(page.get_by_text("Fields this report needs")).to_be_visible()
    page.get_by_label("Show as").select_option("bar")
    expect(page.get_by_role("img", name="Chart of the report")).to_be_visible()
    expect(page.locator(".report-figure .main-svg").first).to_be_attached()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    page.get_by_label("Name").fill("Ventas por mes")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name="Ventas por mes")).to_be_visible()
    expect(page.get_by_text("No records match")).to_be_visible()  # saved: real data, none

    OrderFactory(actor=admin)
    page.reload()
    expect(page.locator("#report-result table tbody tr")).to_have_count(1)
    expect(page.locator("#report-result")).not_to_contain_text("sample")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    # an objective for this month, then the administrator's dashboard with it and the report
    today = dt.date.today()
    page.goto("/reports/objectives/new/")
    page.get_by_label("Indicator").select_option("revenue")
    page.get_by_label("First day").fill(today.replace(day=1).isoformat())
    page.get_by_label("Last day").fill((today + dt.timedelta(days=30)).isoformat())
    page.get_by_label("Objective").fill("1000")
    page.get_by_role("button", name="Save").click()
    card = page.get_by_role("article", name="Revenue")
    expect(card).to_contain_text("€1,000.00")
    expect(card).to_contain_text("Previous periods")
    page.goto("/reports/dashboard/")
    expect(page.get_by_role("article", name="Revenue")).to_contain_text("€1,000.00")
    page.get_by_role("link", name="Arrange").click()
    page.get_by_label("Add to the dashboard").select_option(label="Ventas por mes")
    page.get_by_role("button", name="Add").click()
    page.get_by_role("link", name="See the dashboard").click()
    report_card = page.get_by_role("article", name="Ventas por mes")
    expect(report_card.locator(".report-figure .main-svg").first).to_be_attached()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    context.close()
