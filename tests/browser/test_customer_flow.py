"""A person's path through the customer pages, in a real browser."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_login_create_find_edit_history_and_spanish(browser_page: Page, admin):
    page = browser_page
    page.goto("/login/")
    page.get_by_label("E-mail").fill(admin.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name=re.compile("Hello"))).to_be_visible()

    # create an account
    page.goto("/customers/accounts/new/")
    page.get_by_label("Name", exact=True).fill("Aceites del Sur SL")
    page.get_by_label("Tax id").fill("B58414764")
    page.get_by_label("Phone").fill("954 123 456")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name=re.compile("Aceites del Sur SL"))).to_be_visible()
    # stored normalised (E.164, dialled by the link), shown grouped the Spanish way
    phone = page.get_by_role("definition").get_by_role("link", name="+34 954 12 34 56")
    expect(phone).to_have_attribute("href", "tel:+34954123456")

    # add a contact from the account's page
    page.get_by_role("link", name="Add contact").click()
    page.get_by_label("First name").fill("Inmaculada")
    page.get_by_label("Last name").fill("Domínguez")
    page.get_by_label("E-mail").fill("inma@aceitesdelsur.es")
    page.get_by_label("Role at the account").fill("Compras")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name=re.compile("Inmaculada Domínguez"))).to_be_visible()
    expect(page.get_by_role("link", name="Aceites del Sur SL")).to_be_visible()

    # find it with the global search box (accents ignored)
    page.get_by_placeholder("Search name, e-mail, phone").fill("dominguez")
    page.get_by_placeholder("Search name, e-mail, phone").press("Enter")
    page.get_by_role("link", name="Inmaculada Domínguez").click()

    # edit it and see the change in its history
    page.get_by_role("link", name="Edit").click()
    page.get_by_label("Job title").fill("Jefa de compras")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#contact-title")).to_have_text("Jefa de compras")
    history = page.locator("#history")
    expect(history.get_by_text("Jefa de compras")).to_be_visible()
    expect(history.get_by_text("Job title")).to_be_visible()

    # switch to Spanish
    page.get_by_label("Language").select_option("es")
    expect(page.get_by_role("heading", name="Historial")).to_be_visible()
    expect(page.get_by_role("link", name="Editar")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "es")


def test_phone_layout_collapses_the_navigation(browser, live_server, admin):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto("/login/")
    page.get_by_label("E-mail").fill(admin.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto("/customers/contacts/")
    search = page.get_by_placeholder("Search name, e-mail, phone")
    expect(search).to_be_hidden()  # folded behind the menu button on a phone
    page.get_by_role("button", name="Menu").click()
    expect(search).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390  # nothing overflows sideways
    context.close()
