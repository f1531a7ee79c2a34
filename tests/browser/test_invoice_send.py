"""Sending an invoice from its page on a phone (390 px) in a real Chromium: the customer
receives it with its PDF through a real SMTP server, the page fits the screen, and the
account's timeline shows the e-mail marked transactional (issue 17)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.billing.factories import InvoiceFactory
from tests.browser.test_pipeline_board import log_in
from tests.customers.factories import AccountFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


def _fits(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], width


def test_an_invoice_is_sent_from_its_page_on_a_phone(browser, live_server, admin, mail_server):
    account = AccountFactory(actor=admin, name="Aceites del Sur SL",
                             email="compras@aceitesdelsur.es")
    invoice = InvoiceFactory(actor=admin, account=account, issued=True)
    context = browser.new_context(base_url=live_server.url, locale="en-GB", viewport=PHONE)
    page = context.new_page()
    page.set_default_timeout(15_000)
    log_in(page, admin)

    page.goto(f"/billing/invoices/{invoice.uuid}/")
    expect(page.locator("#invoice-sent")).to_have_text("—")
    _fits(page)
    page.locator("#invoice-send").get_by_role("button", name="Send by e-mail").click()
    expect(page.get_by_role("alert")).to_contain_text("The e-mail is queued")
    expect(page.locator("#invoice-sent")).not_to_have_text("—")
    _fits(page)
    (delivered,) = mail_server
    assert delivered["To"] == "compras@aceitesdelsur.es"
    assert any(part.get_content_type() == "application/pdf" for part in delivered.walk())

    page.goto(f"/customers/accounts/{account.uuid}/")
    expect(page.locator("#timeline").get_by_text(re.compile(r"Transactional"))).to_be_visible()
    context.close()
