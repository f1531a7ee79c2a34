"""The sales cycle in a real browser: create an opportunity, drag it across the kanban board to
won, then quote → order → delivery → invoice → payment, and download the invoice PDF."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.flows import quote_to_cash
from tests.conftest import PASSWORD
from tests.core.factories import as_user
from tests.customers.factories import AccountFactory
from vinculo.core.tenancy import organization_scope
from vinculo.sales.models import Opportunity

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def wide_page(browser, live_server):
    """A desktop wide enough to show every column: HTML5 drag and drop needs the drop target
    on screen (on narrow screens the board scrolls sideways, and the opportunity page has a
    "Move to stage" form)."""
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1700,
                                                                      "height": 1000})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def log_in(page: Page, user) -> None:
    page.goto("/login/")
    page.get_by_label("E-mail").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name=re.compile("Hello"))).to_be_visible()


def test_opportunity_to_won_then_quote_to_cash(wide_page: Page, admin):
    account = AccountFactory(actor=admin, name="Almazara Sierra Sur SL")
    page = wide_page
    log_in(page, admin)

    page.goto(f"/customers/accounts/{account.uuid}/")
    page.get_by_role("link", name="New opportunity").click()
    expect(page.get_by_label("Account")).to_have_value("Almazara Sierra Sur SL")
    page.get_by_label("Name", exact=True).fill("Aceite para 2027")
    page.get_by_label("Amount").fill("12500")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#opportunity-stage")).to_contain_text("Qualification")

    page.goto("/sales/board/")
    card = page.get_by_test_id("card-Aceite para 2027")
    expect(page.get_by_test_id("column-Qualification").get_by_test_id(
        "card-Aceite para 2027")).to_be_visible()
    card.drag_to(page.get_by_test_id("column-Proposal"))
    expect(page.get_by_test_id("column-Proposal").get_by_test_id(
        "card-Aceite para 2027")).to_be_visible()
    page.get_by_test_id("card-Aceite para 2027").drag_to(page.get_by_test_id("column-Won"))
    expect(page.get_by_test_id("column-Won").get_by_test_id(
        "card-Aceite para 2027")).to_be_visible()

    with organization_scope(admin.organization):
        opportunity = Opportunity.objects.get(name="Aceite para 2027")
        assert (opportunity.status, opportunity.stage.name) == ("won", "Won")
        assert [c.to_stage.name for c in opportunity.stage_changes.all()] == [
            "Qualification", "Proposal", "Won"]
        account.refresh_from_db()
        assert account.lifecycle_stage == "customer"

    # the won deal: quote → order → delivery → invoice → payment, and the invoice's PDF
    quote_to_cash(page, account)


def test_dropping_on_lost_asks_why(wide_page: Page, admin):
    from vinculo.sales import services

    account = AccountFactory(actor=admin, name="Bodega Fría SA")
    with as_user(admin):
        services.opportunity_create(actor=admin, data={"name": "Vino 2027", "account": account})
    page = wide_page
    log_in(page, admin)
    page.goto("/sales/board/")
    page.once("dialog", lambda dialog: dialog.accept("Precio demasiado alto"))
    page.get_by_test_id("card-Vino 2027").drag_to(page.get_by_test_id("column-Lost"))
    expect(page.get_by_test_id("column-Lost").get_by_test_id("card-Vino 2027")).to_be_visible()
    with organization_scope(admin.organization):
        opportunity = Opportunity.objects.get(name="Vino 2027")
        assert (opportunity.status, opportunity.lost_reason) == ("lost", "Precio demasiado alto")


def test_a_card_moves_by_touch_through_its_menu(browser, live_server, admin):
    """On a phone there is no drag and drop: each card's "Move to…" menu lists the other
    stages; a tap moves the card, and "Lost" still asks why."""
    from vinculo.sales import services

    account = AccountFactory(actor=admin, name="Conservas del Cantábrico SL")
    with as_user(admin):
        services.opportunity_create(actor=admin, data={"name": "Anchoas 2027",
                                                       "account": account})
    context = browser.new_context(base_url=live_server.url, viewport={"width": 390,
                                                                      "height": 844},
                                  has_touch=True, is_mobile=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        log_in(page, admin)
        page.goto("/sales/board/")
        card = page.get_by_test_id("card-Anchoas 2027")
        card.get_by_text("Move to…").tap()
        menu = card.get_by_role("button")
        expect(menu.first).to_be_visible()
        assert "Qualification" not in menu.all_inner_texts()  # not the stage it is in
        card.get_by_role("button", name="Proposal", exact=True).tap()
        expect(page.get_by_test_id("column-Proposal").get_by_test_id(
            "card-Anchoas 2027")).to_be_visible()

        page.once("dialog", lambda dialog: dialog.accept("Sin presupuesto"))
        card = page.get_by_test_id("card-Anchoas 2027")
        card.get_by_text("Move to…").tap()
        card.get_by_role("button", name="Lost", exact=True).tap()
        expect(page.get_by_test_id("column-Lost").get_by_test_id(
            "card-Anchoas 2027")).to_be_visible()
    finally:
        context.close()
    with organization_scope(admin.organization):
        opportunity = Opportunity.objects.get(name="Anchoas 2027")
        assert (opportunity.status, opportunity.lost_reason) == ("lost", "Sin presupuesto")
        assert [c.to_stage.name for c in opportunity.stage_changes.all()] == [
            "Qualification", "Proposal", "Lost"]
