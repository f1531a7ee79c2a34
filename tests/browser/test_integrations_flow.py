"""An administrator subscribes a receiver to events, keeps the secret shown once, sends a test
event and sees it delivered; makes an integration key that another system then uses. The
pages fit a phone."""

from __future__ import annotations

import json

import pytest
from rest_framework.test import APIClient

from tests.conftest import PASSWORD
from tests.integrations.receiver import receiver
from vinculo.core.models import AuditEntry
from vinculo.integrations import signing

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_webhook_and_key_from_the_settings_pages(browser, live_server, admin, settings,
                                                  task_queue, tmp_path):
    settings.VINCULO_WEBHOOK_ALLOW_PRIVATE = True  # the local receiver, explicitly
    context = browser.new_context(base_url=live_server.url, locale="en-GB",
                                  viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto("/login/")
    page.get_by_label("E-mail").fill(admin.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/")
    with receiver() as (url, inbox):
        page.goto("/integrations/webhooks/")
        page.get_by_role("link", name="New").click()
        page.get_by_label("Name").fill("ERP")
        page.get_by_label("URL").fill(url)
        page.get_by_label("account.created").check()
        page.get_by_role("button", name="Save").click()
        secret = page.locator("#new-secret").inner_text().strip()
        assert secret.startswith("whsec_")
        page.get_by_role("link", name="Continue").click()
        assert secret not in page.content()  # shown once
        page.get_by_role("button", name="Send a test event").click()
        page.get_by_text("A test event is on its way.").wait_for()
        task_queue.run()
        page.reload()
        page.screenshot(path=str(tmp_path / "webhook.png"), full_page=True)
        assert page.locator("td", has_text="webhook.ping").count() == 1
        assert " · 200 · " in page.locator("ul.list-unstyled").first.inner_text()
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"the subscription page is {width} px wide"
    (request,) = inbox.requests
    assert json.loads(request.body)["event"] == "webhook.ping"
    assert signing.verify(secret, request.body, request.headers[signing.HEADER])

    page.goto("/integrations/keys/")
    page.get_by_label("Name", exact=True).fill("Almacén")
    page.get_by_label("customers").select_option("write")
    page.get_by_role("button", name="Create key").click()
    key = page.locator("#new-key").inner_text().strip()
    assert key.startswith("vk_")
    page.screenshot(path=str(tmp_path / "keys.png"), full_page=True)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the keys page is {width} px wide"
    context.close()
    other_system = APIClient()  # in-process: a request left on the live server's threads
    other_system.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")  # outlives the test's DB
    answer = other_system.post("/api/accounts/", {"name": "Desde el ERP"}, format="json")
    assert answer.status_code == 201, answer.content
    entry = AuditEntry.all_objects.filter(object_type="customers.account").latest("id")
    assert "Almacén" in entry.actor_label
