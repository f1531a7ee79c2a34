"""Service packages in a real browser: a manager defines a package for the top profit segment
on the Settings page, a recompute moves a customer into it, the customer's 360° page shows the
package with the dated change, and their next ticket gets the package's SLA."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from tests.conftest import PASSWORD
from tests.core.factories import as_user
from tests.customers.factories import AccountFactory
from tests.packages.factories import recompute
from tests.service.factories import BusinessCalendarFactory, QueueFactory, SlaPolicyFactory
from vinculo.core import events
from vinculo.core.roles import Role
from vinculo.packages.models import ServicePackage
from vinculo.service import services as desk

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize(("width", "language"), [(1366, "en"), (390, "es")])
def test_a_package_for_the_top_segment_applies_its_sla(browser: Browser, live_server, users,
                                                       width, language):
    manager = users[Role.SALES_MANAGER]
    manager.language = language
    manager.save(update_fields=["language"])
    admin = users[Role.ADMIN]
    calendar = BusinessCalendarFactory(actor=admin)
    SlaPolicyFactory(actor=admin, cal=calendar)
    platinum = SlaPolicyFactory(actor=admin, name="Platino", tier="platinum", cal=calendar)
    QueueFactory(actor=admin)
    account = AccountFactory(actor=admin, name="Ferretería Top SL")
    context = browser.new_context(base_url=live_server.url,
                                  viewport={"width": width, "height": 900})
    context.add_cookies([{"name": "django_language", "value": language,
                          "url": live_server.url}])
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto("/login/")
    page.locator("input[name=username]").fill(manager.email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form button[type=submit]").click()
    page.goto("/packages/new/")
    page.locator("[name=name]").fill("Premium")
    page.locator("[name=rank]").fill("30")
    page.locator("[name=service_tier]").select_option("platinum")
    page.locator("input[name=profit_segments][value=High]").check()
    page.locator("input[name=channels][value=visit]").check()
    page.locator("[name=services_text]").fill("Visita trimestral; 40")
    page.locator("main form button.btn-primary[type=submit], form.row button.btn-primary"
                 ).first.click()
    expect(page.locator("h2", has_text="Premium")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert ServicePackage.all_objects.get().service_tier == "platinum"
    run = recompute({account: "High"})
    with as_user(admin):
        events.publish("snapshot.recomputed", record=run, actor=None,
                       data={"as_of": run.as_of.isoformat(), "customers": 1})
    page.goto(f"/customers/accounts/{account.uuid}/")
    panel = page.locator("#record-service-package")
    expect(panel).to_contain_text("Premium")
    expect(panel).to_contain_text("Regla tras un recálculo" if language == "es"
                                  else "Rule after a recompute")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    with as_user(admin):
        ticket = desk.ticket_create(actor=admin, data={"subject": "Rotura", "account": account})
    assert (ticket.tier, ticket.sla_policy) == ("platinum", platinum)
    context.close()
