"""Issue 11's "Done when", in a real Chromium: a marketing user builds a segment on CLV and
P(alive) (the live count follows each condition), sends an e-mail campaign to it with a
control group through a real SMTP server, a recipient opens the message received (its pixel
loads) and clicks its tracked link, buys, and the campaign's results page shows the opened
and clicked counts, the lift over the control group and the ROI."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from tests.browser.test_pipeline_board import log_in
from tests.core.factories import as_user
from tests.customers.factories import AccountFactory
from tests.sales.factories import free_line
from tests.segments.factories import contact, snapshot
from vinculo.analytics.models import AnalyticsRun, RunStatus
from vinculo.core.roles import Role
from vinculo.marketing.models import Campaign, CampaignRecipient, RecipientStatus
from vinculo.sales.documents import services as documents

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOP = "https://tienda.example.es/ofertas"

# name → (CLV, P(alive)): the segment is CLV ≥ 1,000 and P(alive) ≥ 0.5
CUSTOMERS = {
    "Aceites Norte": ("5200", 0.92), "Bodegas Sur": ("3100", 0.81),
    "Conservas Este": ("1800", 0.77), "Dulces Oeste": ("1250", 0.64),
    "Embutidos Centro": ("4000", 0.12),  # valuable but probably gone
    "Frutas Islas": ("300", 0.95),       # alive but of little value
}


def _customer_base(admin) -> dict[str, object]:
    """Accounts with one consenting contact each and the latest finished analytics run's
    snapshot (as the nightly recompute leaves it)."""
    as_of = timezone.localdate()
    AnalyticsRun.all_objects.create(organization=admin.organization, as_of=as_of,
                                    status=RunStatus.DONE)
    accounts = {}
    for n, (name, (clv, p_alive)) in enumerate(CUSTOMERS.items()):
        account = AccountFactory(actor=admin, name=name, lifecycle_stage="customer")
        contact(admin, f"Persona{n}", name.split()[1], f"compras{n}@cliente{n}.example",
                accounts=[(account, "Compras")], consents=[{"channel": "email",
                                                             "granted": True}])
        snapshot(account, as_of, clv=Decimal(clv), p_alive=p_alive)
        accounts[name] = account
    return accounts


def _live(page: Page, action) -> None:
    """Do ``action`` in the builder and wait until its re-render (htmx) is in: a change made
    while one is on its way would be posted with the rows the pending answer then replaces."""
    with page.expect_response(lambda r: r.request.method == "POST"
                              and "/segments/" in r.url):
        action()
    expect(page.locator(".htmx-request, .htmx-swapping, .htmx-settling")).to_have_count(0)


def _condition(page: Page, index: int, field: str, op: str, value: str) -> None:
    """Fill condition ``index`` of the builder; each change re-renders the builder (htmx)."""
    builder = page.locator("#builder")
    _live(page, lambda: builder.locator(f"#c-{index}-field").select_option(label=field))
    _live(page, lambda: builder.locator(f"#c-{index}-op").select_option(label=op))
    value_input = builder.locator(f"#c-{index}-value")
    value_input.fill(value)
    _live(page, lambda: value_input.press("Tab"))  # the change that asks for the new count


def _count(page: Page):
    return page.locator("#builder-preview .display-6")


def _build_segment(page: Page) -> None:
    page.goto("/segments/")
    page.get_by_role("link", name=re.compile("New segment")).first.click()
    name = page.get_by_label("Name")
    name.fill("Valiosos y vivos")
    _live(page, lambda: name.press("Tab"))  # any change in the form re-renders the builder
    _live(page, lambda: page.get_by_label("Members are").select_option(label="Accounts"))
    _condition(page, 0, "CLV", "is at least", "1000")
    expect(_count(page)).to_have_text("5")  # everyone but Frutas Islas
    _live(page, lambda: page.get_by_role("button", name="Add condition").click())
    expect(page.locator("#c-1-field")).to_be_visible()
    _condition(page, 1, "P(alive)", "is at least", "0.5")
    expect(_count(page)).to_have_text("4")  # and not Embutidos Centro
    sample = page.locator("#builder-preview ul")
    expect(sample).to_contain_text("Aceites Norte")
    expect(sample).not_to_contain_text("Embutidos Centro")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name="Valiosos y vivos")).to_be_visible()


def _create_campaign(page: Page) -> None:
    page.goto("/marketing/campaigns/new/")
    page.get_by_label("Name").fill("Primavera para los mejores")
    page.get_by_label("Segment").select_option(label="Valiosos y vivos")
    page.get_by_label("Channel").select_option(label="E-mail")
    page.get_by_label("Fixed costs").fill("10")
    page.get_by_label("Cost per message").fill("0.50")
    page.get_by_label("Control group (%)").fill("50")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name=re.compile("Primavera para los mejores"))) \
        .to_be_visible()
    # the message: variant A, made with the campaign, gets its subject and body
    page.get_by_role("row", name=re.compile(r"^A\b")).get_by_role("link", name="Edit").click()
    page.get_by_label("Subject").fill("Hola {{ contact.first_name }}, ofertas de primavera")
    page.get_by_label("Body").fill(
        "Hola {{ contact.first_name }}:\n\nEsta primavera, para {{ account.name }}: "
        f"{SHOP}\n\nUn saludo.")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("cell", name=re.compile("ofertas de primavera"))).to_be_visible()


@pytest.fixture
def patient():
    """The flow makes a few heavy requests (the segment refresh, the start, the send); on a
    busy two-core machine they take seconds, so the waits are long (and put back after)."""
    expect.set_options(timeout=60_000)
    yield 60_000
    expect.set_options(timeout=5_000)


def _html(message) -> str:
    part = next(p for p in message.walk() if p.get_content_type() == "text/html")
    return part.get_payload(decode=True).decode()


def test_segment_campaign_open_click_and_results(browser, live_server, users, mail_server,
                                                 settings, patient):
    settings.SITE_URL = live_server.url  # the links in the e-mails point at this server
    admin, marketer = users[Role.ADMIN], users[Role.MARKETING]
    accounts = _customer_base(admin)
    context = browser.new_context(base_url=live_server.url, locale="en-GB",
                                  viewport={"width": 1366, "height": 900})
    page = context.new_page()
    page.set_default_timeout(patient)
    log_in(page, marketer)

    _build_segment(page)
    _create_campaign(page)

    # start: half of the four members held out, the other two e-mailed (the task runs at once)
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Start").click()
    expect(page.get_by_role("alert")).to_contain_text(
        "Started: 2 to contact, 2 in the control group, 0 not contactable.")
    campaign = Campaign.all_objects.get(name="Primavera para los mejores")
    assert len(mail_server) == 2
    rows = {r.email: r for r in CampaignRecipient.objects.filter(campaign=campaign)
            .select_related("account")}
    assert sorted(r.status for r in rows.values()) == ["control", "control", "sent", "sent"]
    message = mail_server[0]
    reader = rows[message["To"]]
    assert reader.status == RecipientStatus.SENT
    assert reader.account.name in message.get_payload()[0].get_payload(decode=True).decode()

    # the recipient reads the message: its pixel loads from the server, then the link
    mail = context.new_page()
    with mail.expect_response(re.compile(r"/m/o/")) as pixel:
        mail.set_content(_html(message))
    assert pixel.value.status == 200
    assert pixel.value.headers["content-type"] == "image/gif"
    link = mail.get_by_role("link", name=SHOP)
    click = mail.request.get(link.get_attribute("href"), max_redirects=0)
    assert click.status == 302 and click.headers["location"] == SHOP
    reader.refresh_from_db()
    assert reader.opened_at and reader.clicked_at
    mail.close()

    # the reader's company orders after the send (a sales rep records it)
    with as_user(admin):
        documents.order_create(actor=admin, account=reader.account,
                               lines=[free_line("Aceite 5 l", "20", "40.00")],
                               promised_date=timezone.localdate() + dt.timedelta(days=3))

    page.goto(f"/marketing/campaigns/{campaign.uuid}/results/")
    total = page.get_by_role("row", name=re.compile(r"^Total"))
    header = [c.strip() for c in page.locator("thead").first.locator("th").all_inner_texts()]
    cells = [c.split("\n")[0].strip() for c in total.locator("td").all_inner_texts()]
    funnel = dict(zip(header, cells, strict=True))
    assert funnel["Sent"] == "2" and funnel["Delivered"] == "2"
    assert funnel["Opened"] == "1" and funnel["Clicked"] == "1"
    assert funnel["Converted"] == "1"
    lift = page.locator(".card", has=page.get_by_role("heading",
                                                       name="Lift over the control group"))
    expect(lift).to_contain_text("Members (sent / control)")
    expect(lift.locator("dd").nth(2)).to_have_text("2 / 2")
    expect(lift.locator("dd").first).to_contain_text(re.compile(r"\d+(\.\d)?\s%"))
    roi = page.locator(".card", has=page.get_by_role("heading", name="Return on margin (ROI)"))
    # margin 800 (no cost of goods) ÷ 2 sent, minus 0 for the control, × 2 sent = 800;
    # cost 10 + 2 × 0.50 = 11: ROI = (800 − 11) ÷ 11 ≈ 7,173 %
    expect(roi.locator("dd").first).to_have_text("€800.00")
    expect(roi.locator("dd").last).to_have_text("7,173 %")
    assert accounts  # the six customers stay for the page's figures
    context.close()
