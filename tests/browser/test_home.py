"""The home page in a real browser: a sales representative and a service agent each find their
own work first, follow its link to the list filtered the same way, on a desktop (1366 px) and
a phone (390 px) without sideways scrolling, in English and in Spanish."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from playwright.sync_api import Browser, expect

from tests.conftest import PASSWORD
from tests.sales.factories import OpportunityFactory
from tests.service.factories import QueueFactory, TicketFactory
from vinculo.core.roles import Role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TEXT = {
    "en": {"hello": "Hello", "opportunities": "My open opportunities",
           "tickets": "Tickets waiting on me", "weighted": "Weighted value"},
    "es": {"hello": "Hola", "opportunities": "Mis oportunidades abiertas",
           "tickets": "Tickets que esperan por mí", "weighted": "Valor ponderado"},
}


def open_home(browser: Browser, live_server, user, *, width: int, language: str):
    user.language = language  # signed in, the user's language (else the organisation's) rules
    user.save(update_fields=["language"])
    context = browser.new_context(base_url=live_server.url, viewport={"width": width,
                                                                      "height": 900},
                                  locale="es-ES" if language == "es" else "en-GB")
    # The organisation's language now wins over the browser's: choose it as the selector does.
    context.add_cookies([{"name": "django_language", "value": language,
                          "url": live_server.url}])
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto("/login/")
    page.locator("input[name=username]").fill(user.email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form button[type=submit]").click()
    expect(page.get_by_role("heading", name=re.compile(TEXT[language]["hello"]))).to_be_visible()
    return context, page


def no_overflow(page, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width


@pytest.mark.parametrize("width", [1366, 390])
@pytest.mark.parametrize("language", ["en", "es"])
def test_a_sales_representative_starts_with_their_opportunities(browser, live_server, users,
                                                                width, language):
    rep = users[Role.SALES_REP]
    OpportunityFactory(actor=rep, name="Caldera industrial", amount=Decimal("2000.00"),
                       probability=Decimal("25"))
    OpportunityFactory(actor=users["sales_rep_south"], name="Trato del sur",
                       amount=Decimal("50.00"), probability=Decimal("50"))
    context, page = open_home(browser, live_server, rep, width=width, language=language)
    panels = page.locator("[data-testid^=panel-]")
    expect(panels.first).to_have_attribute("data-testid", "panel-my_opportunities")
    expect(page.get_by_text(TEXT[language]["weighted"])).to_be_visible()
    weighted = "500,00\u00a0€" if language == "es" else "€500.00"
    expect(page.get_by_test_id("weighted-EUR")).to_have_text(weighted)
    expect(page.get_by_text("Trato del sur")).to_have_count(0)
    no_overflow(page, width)
    page.get_by_role("link", name=TEXT[language]["opportunities"]).click()
    expect(page).to_have_url(re.compile(r"/sales/opportunities/\?status=open&mine=true$"))
    expect(page.get_by_role("link", name="Caldera industrial")).to_be_visible()
    no_overflow(page, width)
    context.close()


@pytest.mark.parametrize("width", [1366, 390])
@pytest.mark.parametrize("language", ["en", "es"])
def test_a_service_agent_starts_with_the_tickets_waiting_on_them(browser, live_server, users,
                                                                 admin, width, language):
    agent = users[Role.SERVICE_AGENT]
    QueueFactory(actor=admin)
    ticket = TicketFactory(actor=admin, subject="La caldera no enciende", assignee=agent)
    TicketFactory(actor=admin, subject="Ticket de otra persona", assignee=admin)
    context, page = open_home(browser, live_server, agent, width=width, language=language)
    panels = page.locator("[data-testid^=panel-]")
    expect(panels.first).to_have_attribute("data-testid", "panel-my_tickets")
    expect(page.get_by_role("link", name=ticket.number)).to_be_visible()
    no_overflow(page, width)
    page.get_by_role("link", name=TEXT[language]["tickets"]).click()
    expect(page).to_have_url(re.compile(r"/service/tickets/\?status=open_any&mine=true$"))
    expect(page.get_by_role("link", name=ticket.number)).to_be_visible()
    expect(page.get_by_text("Ticket de otra persona")).to_have_count(0)
    no_overflow(page, width)
    context.close()
