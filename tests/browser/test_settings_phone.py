"""The settings pages on a phone (390 px wide) in a real Chromium: every page fits the screen
without scrolling sideways, and an administrator sets up a business calendar by typing times
and imports the public holidays."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_pipeline_board import log_in
from tests.catalog.factories import ProductLineFactory
from tests.core.factories import as_user
from tests.service.factories import BusinessCalendarFactory, QueueFactory, SlaPolicyFactory
from vinculo.interactions import mailing
from vinculo.interactions import services as interaction_services
from vinculo.service.models import BusinessCalendar, Holiday, Ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def phone(browser, live_server, admin):
    context = browser.new_context(base_url=live_server.url, locale="en-GB", viewport=PHONE)
    page = context.new_page()
    page.set_default_timeout(15_000)
    log_in(page, admin)
    yield page
    context.close()


def fits(page: Page, url: str) -> None:
    page.goto(url)
    expect(page.locator("h1")).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], (url, width)


def test_every_settings_page_fits_a_phone(phone, admin):
    calendar = BusinessCalendarFactory(actor=admin)
    policy = SlaPolicyFactory(actor=admin, cal=calendar)
    queue = QueueFactory(actor=admin)
    with as_user(admin):
        mailbox = mailing.mailbox_create(actor=admin, data={"name": "Soporte",
                                                          "address": "soporte@acme.test"})
        template = mailing.email_template_create(actor=admin, data={
            "name": "Bienvenida", "subject": "Hola {{ contact.first_name }}", "body": "Hola"})
        form = interaction_services.web_form_create(actor=admin, data={
            "name": "Contacto", "kind": "contact", "owner": admin})
    for url in ("/service/settings/queues/", "/service/settings/queues/new/",
                f"/service/settings/queues/{queue.uuid}/", "/service/settings/sla/",
                "/service/settings/sla/new/", f"/service/settings/sla/{policy.uuid}/",
                "/service/settings/calendars/", "/service/settings/calendars/new/",
                f"/service/settings/calendars/{calendar.uuid}/",
                "/interactions/settings/mailboxes/", "/interactions/settings/mailboxes/new/",
                f"/interactions/settings/mailboxes/{mailbox.uuid}/",
                "/interactions/settings/templates/", "/interactions/settings/templates/new/",
                f"/interactions/settings/templates/{template.uuid}/",
                "/interactions/settings/forms/", "/interactions/settings/forms/new/",
                f"/interactions/settings/forms/{form.uuid}/",
                "/service/settings/ticket-types/", "/service/settings/ticket-types/new/",
                "/customers/settings/industries/", "/customers/settings/industries/new/"):
        fits(phone, url)


def test_custom_fields_categories_and_users_fit_a_phone(phone, admin):
    """Found on a walk of the demo: the custom-fields table and a category's line rows (code,
    name, Products, Edit, Delete on one line) were wider than the phone, and the users' table
    broke each e-mail address into a column of letters."""
    ProductLineFactory(actor=admin, name="Conservas artesanas del Cantábrico en aceite")
    for url in ("/settings/custom-fields/", "/catalog/categories/", "/settings/users/"):
        fits(phone, url)
    # the users' e-mail sits under the name on a phone, not one letter per line in a column
    email = phone.get_by_text(admin.email, exact=True).first
    expect(email).to_be_visible()
    assert email.bounding_box()["height"] < 50


def test_a_calendar_is_set_up_by_typing_times_on_a_phone(phone, admin):
    phone.goto("/service/settings/calendars/new/")
    phone.get_by_label("Name", exact=True).fill("Oficina Sevilla")
    phone.get_by_label("Time zone").fill("Europe/Madrid")
    for day in ("Monday", "Tuesday"):
        starts = phone.get_by_label(f"{day}, from")
        ends = phone.get_by_label(f"{day}, until")
        starts.nth(0).fill("08:30")
        ends.nth(0).fill("14:00")
        starts.nth(1).fill("16:00")
        ends.nth(1).fill("19:00")
    phone.get_by_label("Friday, from").nth(0).fill("08:00")
    phone.get_by_label("Friday, until").nth(0).fill("15:00")
    phone.get_by_role("button", name="Save").click()
    expect(phone.get_by_role("heading", name="Business calendar Oficina Sevilla")).to_be_visible()
    with as_user(admin):
        calendar = BusinessCalendar.objects.get()
    assert calendar.weekly_hours == {"0": [["08:30", "14:00"], ["16:00", "19:00"]],
                                     "1": [["08:30", "14:00"], ["16:00", "19:00"]],
                                     "4": [["08:00", "15:00"]]}

    # An overlapping interval is shown on the day it belongs to, and nothing changes.
    phone.get_by_label("Monday, from").nth(1).fill("13:00")
    phone.get_by_role("button", name="Save").click()
    expect(phone.get_by_text(re.compile(r"weekly\[0\]\[1\]: 13:00–19:00 overlaps"))).to_be_visible()
    calendar.refresh_from_db()
    assert calendar.weekly_hours["0"][1] == ["16:00", "19:00"]

    phone.goto(f"/service/settings/calendars/{calendar.uuid}/")
    phone.get_by_label("Year", exact=True).fill("2027")
    phone.get_by_role("button", name="Import").click()
    expect(phone.get_by_text("9 public holidays added.")).to_be_visible()
    with as_user(admin):
        assert Holiday.objects.filter(date=dt.date(2027, 12, 8)).exists()
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def overflowing(page: Page) -> list[str]:
    """The elements wider than the screen that are not inside a horizontal scroller."""
    return page.evaluate("""() => {
      const out = [];
      for (const el of document.querySelectorAll('body *')) {
        const r = el.getBoundingClientRect();
        if (r.right <= window.innerWidth + 1) continue;
        let p = el.parentElement, scrolls = false;
        while (p) { const o = getComputedStyle(p).overflowX;
          if (o === 'auto' || o === 'scroll' || o === 'hidden') { scrolls = true; break; }
          p = p.parentElement; }
        if (!scrolls) out.push(el.tagName + '.' + el.className + ' ' + Math.round(r.right));
      }
      return out.slice(0, 10);
    }""")


def test_analytics_ticket_and_360_log_buttons_fit_a_phone(phone, admin):
    from io import StringIO

    from django.core.management import call_command

    from tests.customers.factories import AccountFactory
    from tests.sales.factories import OrderFactory
    from tests.service.factories import TicketFactory

    today = dt.date.today()
    admin.language = "es"  # the longer labels
    admin.save(update_fields=["language"])
    QueueFactory(actor=admin)
    with as_user(admin):
        account = AccountFactory(actor=admin, name="Distribuciones Alimentarias del Sur SL")
        for months in (1, 2, 4, 7):
            day = today - dt.timedelta(days=30 * months)
            OrderFactory(actor=admin, account=account, ordered_on=day, promised=day)
        ticket = TicketFactory(actor=admin, account=account,
                               subject="El pedido llegó incompleto y con dos cajas rotas",
                               description="Seguimiento: https://transportes.example.com/"
                                           "seguimiento/ES-2026-000000123456789-ABCDEFGHIJK")
    for as_of in (today - dt.timedelta(days=40), today):
        call_command("analytics_recompute", "--organization", admin.organization.name,
                     "--as-of", as_of.isoformat(), stdout=StringIO())
    for url in ("/analytics/", f"/service/tickets/{ticket.uuid}/",
                f"/customers/accounts/{account.uuid}/"):
        phone.goto(url)
        expect(phone.locator("h1")).to_be_visible()
        if url == "/analytics/":
            expect(phone.locator(".plotly-figure .main-svg").first).to_be_attached()
        width = phone.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], (url, width, overflowing(phone))
    # the 360° page's log buttons all fit on screen (they wrap instead of running off it)
    buttons = phone.locator("#log-buttons button, #log-buttons a")
    assert buttons.count() >= 5
    for i in range(buttons.count()):
        box = buttons.nth(i).bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]


def test_a_ticket_type_is_added_in_settings_and_chosen_on_a_new_ticket(phone, admin):
    QueueFactory(actor=admin, name="Soporte")
    warranty_queue = QueueFactory(actor=admin, name="Garantías")
    phone.goto("/service/settings/ticket-types/new/")
    phone.get_by_label("Name", exact=True).fill("Avería en garantía")
    phone.get_by_label("Counts as").select_option("incident")
    phone.get_by_label("Queue").select_option(label="Garantías")
    phone.get_by_role("button", name="Save").click()
    expect(phone.get_by_role("link", name="Avería en garantía")).to_be_visible()
    phone.goto("/service/tickets/new/")
    phone.get_by_label("Type", exact=True).select_option(label="Avería en garantía")
    phone.get_by_label("Subject").fill("No enciende")
    phone.get_by_role("button", name="Save").click()
    expect(phone.get_by_role("definition").filter(has_text="Avería en garantía")).to_be_visible()
    with as_user(admin):
        ticket = Ticket.objects.get()
    assert (ticket.type, ticket.queue, ticket.ticket_type.name) == (
        "incident", warranty_queue, "Avería en garantía")
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
