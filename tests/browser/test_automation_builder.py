"""Exception rules in a real browser on a phone-sized screen: build, by pointing and clicking
(no JSON), a rule that creates a task when an order will be late; make an order late; the
scheduled scan runs and the task is there, on "my day" and in the rule's log."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from tests.automation.factories import customer
from tests.conftest import PASSWORD
from tests.core.factories import as_user
from tests.sales.factories import OrderFactory
from vinculo.automation.models import Rule
from vinculo.interactions.models import Task

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_build_a_late_order_rule_and_see_its_task(browser, live_server, admin):
    account = customer(admin, admin, name="Aceites del Sur")
    context = browser.new_context(base_url=live_server.url, locale="en-GB",
                                  viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto("/login/")
    page.get_by_label("E-mail").fill(admin.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name=re.compile("Hello"))).to_be_visible()

    page.goto("/automation/rules/new/")
    page.get_by_label("Name").fill("Pedido que llegará tarde")
    page.get_by_label("Trigger").select_option(label="A date relative to a field")
    expect(page.get_by_label("Date", exact=True)).to_be_visible(timeout=15_000)  # htmx redrew
    page.wait_for_timeout(300)
    page.get_by_label("Date", exact=True).select_option(
        label="The order's promised delivery date")
    page.get_by_label("Days", exact=True).fill("3")
    page.get_by_role("button", name="Add a condition").click()
    expect(page.get_by_label("Field", exact=True)).to_be_visible(timeout=15_000)
    page.wait_for_timeout(300)  # htmx wires the redrawn controls just after the swap
    page.get_by_label("Field", exact=True).select_option(value="account.lifecycle_stage")
    expect(page.get_by_label("Condition", exact=True)).to_be_visible(timeout=15_000)
    page.wait_for_timeout(300)
    page.get_by_label("Condition", exact=True).select_option(label="is not empty")
    # the redraw for that operator takes its value box away; typing before it lands is lost
    expect(page.locator("#c-0-value")).to_have_count(0, timeout=15_000)
    page.wait_for_timeout(300)
    action = page.locator("#action-0")
    action.get_by_label("Task title").fill("Avisar del retraso")
    action.get_by_label("Due in (days)").fill("0")
    action.get_by_label("Priority").select_option(label="High")
    wide = page.evaluate("""[...document.querySelectorAll('body *')].filter(
        e => e.getBoundingClientRect().right > 391).map(e => e.tagName + '#' + e.id + '.'
        + e.className + ' ' + Math.round(e.getBoundingClientRect().right)).slice(0, 8)""")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, wide
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name=re.compile("Pedido que llegará tarde"))).to_be_visible()
    saved = Rule.all_objects.get()
    assert saved.trigger["kind"] == "date_relative" and saved.actions[0]["priority"] == "high"

    with as_user(admin):  # promised in two days and not delivered: it will be late
        order = OrderFactory(actor=admin, account=account,
                             promised=timezone.localdate() + dt.timedelta(days=2))
    call_command("automation_scan", "--all")
    task = Task.all_objects.get()
    assert task.related == order and task.assignee == admin

    page.goto("/interactions/my-day/")
    expect(page.get_by_text(re.compile(f"Avisar del retraso: {order.number}"))).to_be_visible()
    page.goto(f"/automation/rules/{saved.uuid}/")
    expect(page.get_by_text(order.number).first).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    context.close()
