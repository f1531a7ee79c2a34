"""The organisation and sales settings pages, and a lead with its country, on a phone: every
page fits 390 px (nothing overflows sideways)."""

from __future__ import annotations

import pytest

from tests.conftest import PASSWORD
from tests.core.factories import as_user
from tests.customers.factories import LeadFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_settings_pages_fit_a_phone(browser, live_server, admin, tmp_path):
    with as_user(admin):
        lead = LeadFactory(actor=admin, company_name="Baker and Sons Ltd", country="GB",
                           tax_id="GB 980 7806 84")
    context = browser.new_context(base_url=live_server.url, viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto("/login/")
    page.get_by_label("E-mail").fill(admin.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/")
    for path in ("/settings/organization/", "/sales/settings/pipelines/",
                 "/sales/settings/lost-reasons/", f"/customers/leads/{lead.uuid}/",
                 f"/customers/leads/{lead.uuid}/edit/"):
        response = page.goto(path)
        assert response is not None and response.status == 200, path
        page.screenshot(path=str(tmp_path / (path.strip("/").replace("/", "_") + ".png")),
                        full_page=True)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"{path} is {width} px wide"
    context.close()
