"""Under the Content-Security-Policy, in Chromium: the analytics charts (Plotly), a form that
picks its account through htmx, the kanban board (board.js and an htmx filter) and the language
switcher and a list filtered as one types work, and the browser reports no violation of the
policy on any of them."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.conftest import PASSWORD
from tests.core.factories import as_user
from tests.core.test_home import snapshot
from tests.customers.factories import AccountFactory
from tests.sales.factories import OpportunityFactory
from vinculo.analytics.models import AnalyticsRun, RunStatus
from vinculo.sales.models import Opportunity

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Collected before any page script runs (Playwright's init scripts are not subject to the
# page's policy), so a violation during loading is caught too.
LISTEN = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__csp.push(e.violatedDirective + " " + (e.blockedURI || "inline") + " at " +
                    (e.sourceFile || "") + ":" + e.lineNumber);
});
"""


def test_pages_with_charts_htmx_and_the_board_raise_no_violation(browser, live_server, admin):
    account = AccountFactory(actor=admin, name="Cerámicas del Turia SL")
    OpportunityFactory(actor=admin, account=account, name="Azulejos para hotel",
                       amount=Decimal("800.00"))
    as_of = timezone.localdate() - dt.timedelta(days=1)
    with as_user(admin):
        AnalyticsRun.objects.create(organization=admin.organization, as_of=as_of,
                                    status=RunStatus.DONE)
    for i, (segment, tier) in enumerate([("Champions", "Platinum"), ("At risk", "Gold"),
                                         ("Lost", "Lead"), ("New", "Iron")]):
        snapshot(AccountFactory(actor=admin, name=f"Cliente {i}"), as_of, segment=segment,
                 tier=tier, p_alive=0.2 * (i + 1), clv=str(100 * (i + 1)))

    context = browser.new_context(base_url=live_server.url, locale="en-GB",
                                  viewport={"width": 1366, "height": 900})
    context.add_init_script(LISTEN)
    console: list[str] = []
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.on("console", lambda m: console.append(m.text)
            if "Content Security Policy" in m.text or "Content-Security-Policy" in m.text
            else None)
    violations: list[str] = []

    def collect() -> None:
        violations.extend(f"{page.url}: {v}" for v in page.evaluate("window.__csp"))

    page.goto("/login/")
    page.get_by_label("E-mail").fill(admin.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name=re.compile("Hello"))).to_be_visible()
    header = page.request.get("/").headers["content-security-policy"]
    assert "script-src 'self'" in header and "unsafe-inline" not in header
    collect()

    # analytics: Plotly draws every chart from its data, and its toolbar shows on hover
    page.goto("/analytics/")
    expect(page.locator(".js-plotly-plot .main-svg").first).to_be_visible()
    page.wait_for_function("document.querySelectorAll('.js-plotly-plot').length >= 4")
    page.locator(".js-plotly-plot").first.hover()
    expect(page.locator(".js-plotly-plot .modebar").first).to_be_attached()
    # Plotly's CSS came from the file: its toolbar is positioned by it
    assert page.locator(".js-plotly-plot .modebar").first.evaluate(
        "e => getComputedStyle(e).position") == "absolute"
    collect()

    # a form whose account is picked through htmx (vinculo.js fills the hidden field)
    page.goto("/sales/opportunities/new/")
    page.get_by_label("Account").fill("Cerám")
    page.get_by_role("button", name=re.compile("Cerámicas del Turia SL")).click()
    expect(page.get_by_label("Account")).to_have_value("Cerámicas del Turia SL")
    page.get_by_label("Name", exact=True).fill("Rodapiés")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name=re.compile("Rodapiés"))).to_be_visible()
    with as_user(admin):
        assert Opportunity.objects.get(name="Rodapiés").account == account
    collect()

    # the board: board.js loads, and the htmx filter swaps the columns
    page.goto("/sales/board/")
    expect(page.get_by_text("Azulejos para hotel")).to_be_visible()
    page.get_by_label("Filter cards").fill("Rodap")
    expect(page.get_by_text("Azulejos para hotel")).to_have_count(0)
    expect(page.get_by_text("Rodapiés")).to_be_visible()
    collect()

    # a list filtered as one types (htmx trigger with a "from:" selector)
    page.goto("/customers/accounts/")
    expect(page.get_by_role("link", name="Cliente 0", exact=True)).to_be_visible()
    page.locator("#filters input[name=q]").fill("Turia")
    expect(page.get_by_role("link", name="Cliente 0", exact=True)).to_have_count(0)
    expect(page.get_by_role("link", name="Cerámicas del Turia SL")).to_be_visible()
    collect()

    # the language switcher submits itself (no onchange attribute any more)
    page.goto("/")
    page.get_by_label("Language").select_option("es")
    expect(page.get_by_role("heading", name=re.compile("Hola"))).to_be_visible()
    collect()
    context.close()

    assert not violations, "\n".join(violations)
    assert not console, "\n".join(console)
