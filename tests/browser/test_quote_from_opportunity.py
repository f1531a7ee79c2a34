""""New quote" on an opportunity, clicked in a real browser: the saved quote is linked to the
opportunity, which lists it instead of "No quotes yet"."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import PASSWORD
from tests.core.factories import as_user
from tests.customers.factories import AccountFactory
from vinculo.core.tenancy import organization_scope
from vinculo.sales import services
from vinculo.sales.models import Quote

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_new_quote_from_the_opportunity_page_is_linked_to_it(browser_page: Page, admin):
    account = AccountFactory(actor=admin, name="Almazara Sierra Sur SL")
    with as_user(admin):
        opportunity = services.opportunity_create(actor=admin, data={
            "name": "Aceite para 2027", "account": account})
    page = browser_page
    page.goto("/login/")
    page.get_by_label("E-mail").fill(admin.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name=re.compile("Hello"))).to_be_visible()

    page.goto(f"/sales/opportunities/{opportunity.uuid}/")
    expect(page.get_by_text("No quotes yet.")).to_be_visible()
    page.get_by_role("link", name="New quote").click()
    expect(page.locator("#quote-opportunity")).to_contain_text("Aceite para 2027")
    expect(page.get_by_label("Account")).to_have_value(str(account.uuid))
    page.locator("[name=line_0_description]").fill("Aceite 5 l")
    page.locator("[name=line_0_quantity]").fill("10")
    page.locator("[name=line_0_unit_price]").fill("42.50")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name=re.compile(r"Q-\d{4}-"))).to_be_visible()

    with organization_scope(admin.organization):
        quote = Quote.objects.get()
        assert quote.opportunity_id == opportunity.pk
    page.goto(f"/sales/opportunities/{opportunity.uuid}/")
    expect(page.get_by_text("No quotes yet.")).to_have_count(0)
    expect(page.get_by_role("link", name=re.compile(re.escape(quote.number)))).to_be_visible()
