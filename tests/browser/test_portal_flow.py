"""The customer portal end to end on a phone (390 px) in a real Chromium (issue 13, "Done
when"): staff invite a contact from the account's page, the invitation arrives through a real
SMTP server, the contact chooses a password, downloads an invoice's PDF, requests a return on a
delivered line, opens a ticket and answers its survey; staff then see all of it on the
account's 360° page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_pipeline_board import log_in
from tests.core.factories import as_user
from tests.customers.factories import AccountFactory
from tests.portal.factories import PORTAL_PASSWORD, contact_of, invitation_link
from tests.portal.world import documents_of
from vinculo.billing.models import Invoice, ReturnAuthorization
from vinculo.core.tenancy import organization_scope
from vinculo.sales.models import Order
from vinculo.service import services as desk
from vinculo.service.models import Survey, Ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


def _fits(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], (page.url, width)


def test_a_customer_uses_the_portal_and_staff_see_it_on_the_360_page(
        browser, live_server, admin, mail_server):
    account = AccountFactory(actor=admin, name="Conservas Ría SL")
    contact = contact_of(admin, account, "Lucía", "lucia@ria.example", language="en")
    docs = documents_of(admin, account, "RIA")
    staff_context = browser.new_context(base_url=live_server.url, locale="en-GB",
                                        viewport=PHONE)
    staff = staff_context.new_page()
    staff.set_default_timeout(15_000)
    log_in(staff, admin)

    # Staff invite the contact from the account's page.
    staff.goto(f"/customers/accounts/{account.uuid}/")
    panel = staff.locator("#record-portal")
    panel.get_by_label("Invite a contact").select_option(str(contact.uuid))
    panel.get_by_role("button", name="Invite").click()
    expect(staff.locator("#record-portal").get_by_role("status")).to_contain_text(
        "Invitation sent to lucia@ria.example")
    _fits(staff)
    (message,) = [m for m in mail_server if m["To"] == "lucia@ria.example"]
    link = invitation_link(message.get_payload(decode=True).decode())

    # The contact accepts on their own phone.
    customer_context = browser.new_context(base_url=live_server.url, locale="en-GB",
                                           viewport=PHONE, accept_downloads=True)
    customer = customer_context.new_page()
    customer.set_default_timeout(15_000)
    customer.goto(link)
    customer.locator("#id_password").fill(PORTAL_PASSWORD)
    customer.locator("#id_password2").fill(PORTAL_PASSWORD)
    customer.get_by_role("button", name="Save and enter").click()
    expect(customer).to_have_url(re.compile(r"/portal/$"))
    _fits(customer)

    # An invoice and its PDF.
    invoice = docs[Invoice]
    customer.goto("/portal/invoices/")
    expect(customer.get_by_text(invoice.number)).to_be_visible()
    _fits(customer)
    with customer.expect_download() as download:
        customer.get_by_role("link", name="Download PDF").first.click()
    with open(download.value.path(), "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"

    # A return on the delivered line.
    customer.goto(f"/portal/orders/{docs[Order].uuid}/")
    customer.get_by_text("Return goods of this line").first.click()
    customer.get_by_label("Quantity").first.fill("2")
    customer.get_by_label("Why?").first.fill("Two cans arrived dented")
    customer.get_by_role("button", name="Request the return").first.click()
    with organization_scope(admin.organization_id):
        expect(customer.get_by_text(re.compile(r"RMA-"))).to_be_visible()
        rma = ReturnAuthorization.objects.get(account=account)
    _fits(customer)

    # A ticket, resolved by the desk, and its survey.
    customer.goto("/portal/tickets/new/")
    customer.locator("#id_subject").fill("Lid does not close")
    customer.get_by_role("button", name="Send").click()
    expect(customer.get_by_role("heading", name="Lid does not close")).to_be_visible()
    with organization_scope(admin.organization_id):
        ticket = Ticket.objects.get(subject="Lid does not close")
    with as_user(admin):
        desk.ticket_set_status(actor=admin, ticket=ticket, status="resolved")
    with organization_scope(admin.organization_id):
        desk.survey_send(ticket.pk)  # what the desk's task does on resolution
    customer.reload()
    expect(customer.get_by_role("heading", name="How did we do?")).to_be_visible()
    customer.locator("label[for=csat-5]").click()
    customer.get_by_placeholder("Anything to add? (optional)").fill("Quick and kind")
    customer.get_by_role("button", name="Send my answer").click()
    expect(customer.get_by_text("You rated us 5 out of 5")).to_be_visible()
    _fits(customer)
    with organization_scope(admin.organization_id):
        assert Survey.objects.get(ticket=ticket).csat == 5

    # Staff see it all on the account's 360° page.
    staff.goto(f"/customers/accounts/{account.uuid}/")
    panel = staff.locator("#record-portal")
    expect(panel).to_contain_text("Lucía")
    expect(panel).to_contain_text(invoice.number)
    expect(panel).to_contain_text(rma.number)
    expect(panel).to_contain_text(ticket.number)
    expect(panel).to_contain_text("Answered a survey")  # the survey, not only the ticket
    expect(staff.get_by_text(ticket.number).first).to_be_visible()
    _fits(staff)
    customer_context.close()
    staff_context.close()
