"""Long texts on a phone (issue 17): a note at its limit — many lines and one word longer than
the screen — is folded behind "Show all" and, open or folded, never widens the page at 390 px;
the record's history beside it stays within the screen too."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.test_pipeline_board import log_in
from tests.customers.factories import LeadFactory
from vinculo.core.limits import TEXT_MAX_LENGTH

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


def test_a_long_note_is_folded_and_fits_a_phone(browser, live_server, admin):
    word = "x" * 2_000
    lines = "\n".join(f"Línea {n} de la nota" for n in range(400))
    note = (word + "\n" + lines)[:TEXT_MAX_LENGTH]
    lead = LeadFactory(actor=admin, last_name="Largo", notes=note)
    context = browser.new_context(base_url=live_server.url, locale="en-GB", viewport=PHONE)
    page = context.new_page()
    page.set_default_timeout(15_000)
    log_in(page, admin)
    page.goto(f"/customers/leads/{lead.uuid}/")
    folded = page.locator("details.long-text")
    expect(folded).to_have_count(1)
    expect(folded.get_by_text("Línea 300 de la nota")).to_be_hidden()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    folded.get_by_text("Show all").click()
    expect(folded.get_by_text("Línea 300 de la nota")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    context.close()
