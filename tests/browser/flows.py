"""Steps a person takes in the browser, shared by the end-to-end tests."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from playwright.sync_api import Page, expect


def quote_to_cash(page: Page, account) -> str:
    """Quote → order → delivery → invoice → payment for ``account``, then the invoice PDF is
    downloaded and checked; returns the invoice number."""
    # a quote with two free-text lines
    page.goto("/sales/quotes/new/")
    page.get_by_label("Account").select_option(str(account.uuid))
    page.locator("[name=line_0_description]").fill("Aceite 5 l")
    page.locator("[name=line_0_quantity]").fill("10")
    page.locator("[name=line_0_unit_price]").fill("42.50")
    page.locator("[name=line_0_tax_rate]").fill("10")
    page.locator("[name=line_1_description]").fill("Transporte")
    page.locator("[name=line_1_quantity]").fill("1")
    page.locator("[name=line_1_unit_price]").fill("35")
    page.locator("[name=line_1_tax_rate]").fill("21")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#document-total")).to_have_text("€509.85")  # 467.50 + 42.35

    # accepted: the order
    promised = (dt.date.today() + dt.timedelta(days=5)).isoformat()
    page.get_by_label("Promised delivery date").fill(promised)
    page.get_by_role("button", name="Accept and create order").click()
    expect(page.get_by_role("heading", name=re.compile(r"Order SO-"))).to_be_visible()

    # deliver everything that remains
    page.get_by_role("button", name="Record delivery").click()
    expect(page.locator("#order-status")).to_have_text("Delivered")

    # invoice the delivered quantities, issue it, pay it
    page.get_by_role("button", name="Create invoice").click()
    page.get_by_role("button", name="Issue").click()
    title = page.locator("#invoice-title")
    expect(title).to_contain_text("F-")
    number = re.search(r"F-\d{4}-\d{6}", title.inner_text()).group(0)
    page.get_by_role("button", name="Record payment").click()
    expect(page.locator("#invoice-status")).to_have_text("Paid")

    # download the PDF
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download PDF").click()
    content = Path(download_info.value.path()).read_bytes()
    assert content.startswith(b"%PDF")
    assert number.encode() in content
    return number
