"""An agent's path through a customer request, in a real browser: log a call from the 360°
page, open a ticket from it, reply (a real SMTP server receives it), resolve, and the customer
answers the survey from the link in the e-mail."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import PASSWORD
from tests.core.factories import as_user
from tests.customers.factories import AccountFactory, ContactFactory
from tests.service.factories import QueueFactory, SlaPolicyFactory
from vinculo.customers import services as customer_services

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _text(message) -> str:
    return next(part.get_payload(decode=True).decode() for part in message.walk()
                if part.get_content_type() == "text/plain")


def test_call_ticket_reply_resolve_survey(browser_page: Page, admin, mail_server, settings,
                                          live_server):
    settings.SITE_URL = live_server.url
    SlaPolicyFactory(actor=admin, cal=None)  # around the clock, so the test passes at any hour
    QueueFactory(actor=admin)
    account = AccountFactory(actor=admin, name="Aceites del Sur SL")
    person = ContactFactory(actor=admin, first_name="Inma", last_name="Domínguez",
                            email="inma@aceitesdelsur.es")
    with as_user(admin):
        customer_services.contact_link_account(actor=admin, contact=person, account=account,
                                               is_primary=True)
        # she agreed to e-mail: the satisfaction survey needs it (a ticket reply does not)
        customer_services.consent_record(actor=admin, contact=person, channel="email",
                                         granted=True)
    page = browser_page
    page.goto("/login/")
    page.get_by_label("E-mail").fill(admin.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    # log a call from the account's 360° page: one click opens the form, one saves it
    page.goto(f"/customers/accounts/{account.uuid}/")
    page.locator("#log-buttons").get_by_role("button", name="Phone").click()
    form = page.locator("#log-form")
    form.get_by_label("Contact").select_option(label="Inma Domínguez")
    form.get_by_label("Subject").fill("Pregunta por un pedido perdido")
    form.get_by_label("Minutes").fill("6")
    form.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("Phone logged")
    expect(page.locator("#timeline").get_by_text(re.compile("Pregunta por un pedido perdido"))
           ).to_be_visible()

    # open a ticket from the same page
    page.get_by_role("link", name="Open ticket").click()
    page.get_by_label("Subject").fill("Pedido 123 no entregado")
    page.get_by_label("Contact").select_option(label="Inma Domínguez")
    page.get_by_label("Priority").select_option("high")
    page.get_by_role("button", name="Save").click()
    title = page.locator("#ticket-title")
    expect(title).to_contain_text("TK-")
    number = re.search(r"TK-\d{4}-\d{6}", title.inner_text()).group(0)
    expect(page.locator("#ticket-status")).to_have_text("New")

    # reply: the customer receives it; the ticket now waits on her
    page.get_by_label("Reply to the customer").fill("Lo reenviamos hoy mismo.")
    page.locator("#reply-form").get_by_role("button", name="Send").click()
    expect(page.locator("#ticket-status")).to_have_text("Waiting on customer")
    expect(page.locator("#conversation")).to_contain_text("Lo reenviamos hoy mismo.")
    expect(page.locator("#sla-first-response")).to_contain_text("Met")
    reply = mail_server[-1]
    assert reply["To"] == "inma@aceitesdelsur.es" and number in reply["Subject"]

    # resolve: the survey goes out
    page.get_by_role("button", name="Resolve").click()
    expect(page.locator("#ticket-status")).to_have_text("Resolved")
    survey_mail = mail_server[-1]
    assert number in str(survey_mail["Subject"]) or "How did we do" in str(survey_mail["Subject"])
    link = re.search(r"(http://\S+\?csat=5)", _text(survey_mail)).group(1)

    # the customer clicks "5" in the e-mail, then adds a recommendation score and a comment
    customer = page.context.browser.new_context(base_url=live_server.url)
    survey = customer.new_page()
    survey.goto(link)
    expect(survey.locator("#survey-thanks")).to_contain_text("5 out of 5")
    survey.locator("label[for=nps-9]").click()
    survey.get_by_label(re.compile("Anything else")).fill("Muy rápidos")
    survey.get_by_role("button", name="Send").click()
    expect(survey.locator("#survey-thanks")).to_be_visible()
    customer.close()

    page.reload()
    expect(page.get_by_text(re.compile(r"CSAT 5/5 · NPS 9/10"))).to_be_visible()
