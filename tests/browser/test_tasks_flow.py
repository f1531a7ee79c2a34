"""Tasks in a real browser, on a phone-sized screen: plan one from a contact, tick it off on
"my day" in one click and see the next occurrence appear; no page overflows at 390 px."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.conftest import PASSWORD
from tests.core.factories import as_user
from tests.customers.factories import ContactFactory
from tests.interactions.factories import TaskFactory
from vinculo.interactions.models import Task

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_plan_then_tick_off_on_my_day_on_a_phone(browser, live_server, admin):
    contact = ContactFactory(actor=admin, first_name="Nuria", last_name="Ferrer")
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    TaskFactory(actor=admin, title="Factura sin cobrar",
                due_at=timezone.make_aware(dt.datetime.combine(yesterday, dt.time(12))))
    context = browser.new_context(base_url=live_server.url, locale="en-GB",
                                  viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto("/login/")
    page.get_by_label("E-mail").fill(admin.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name=re.compile("Hello"))).to_be_visible()

    page.goto(f"/customers/contacts/{contact.uuid}/")
    page.get_by_role("link", name="Add task").click()
    expect(page.get_by_text("Nuria Ferrer")).to_be_visible()
    page.get_by_label("Title").fill("Revisar pedido semanal")
    today = timezone.localdate()
    page.get_by_label("Due").fill(f"{today:%Y-%m-%d}T23:00")
    page.get_by_label("Repeats").fill("FREQ=WEEKLY;COUNT=2")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name=re.compile("Revisar pedido semanal"))).to_be_visible()

    page.goto("/interactions/my-day/")
    overdue = page.locator("#overdue")
    expect(overdue.get_by_test_id("task-Factura sin cobrar")).to_have_class(
        re.compile("list-group-item-danger"))
    today_list = page.locator("#today")
    line = today_list.get_by_test_id("task-Revisar pedido semanal")
    expect(line).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    line.get_by_role("button", name="Mark “Revisar pedido semanal” done").click()
    # htmx redraws the line in place and adds the next occurrence under it, no reload
    expect(today_list.get_by_text("done", exact=True)).to_be_visible()
    expect(today_list.get_by_text("Next occurrence:")).to_be_visible()
    with as_user(admin):
        following = Task.objects.get(previous__title="Revisar pedido semanal")
    expect(page.locator(f"#task-{following.uuid}")).to_be_visible()
    assert timezone.localdate(following.due_at) == today + dt.timedelta(days=7)

    for url in ("/interactions/calendar/", "/interactions/tasks/", "/interactions/tasks/new/",
                "/interactions/calendar/feed/", f"/interactions/tasks/{following.uuid}/"):
        page.goto(url)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, url
    page.goto("/interactions/calendar/")
    expect(page.locator("#calendar-agenda").get_by_text("Revisar pedido semanal").first
           ).to_be_visible()
    context.close()
