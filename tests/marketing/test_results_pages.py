"""The results page and its CSV (in Spanish and English), bad input, permissions and other
organisations; the campaign as a source in the conversion funnel and on the timeline."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.conftest import token_client
from tests.core.factories import as_user
from tests.customers.factories import AccountFactory, ContactFactory, LeadFactory
from tests.marketing.factories_results import audience, campaign_make, recipient_make
from tests.sales.factories import OpportunityFactory
from vinculo.core import timeline
from vinculo.core.roles import Role
from vinculo.customers.models import Lead
from vinculo.marketing.models import CampaignRecipient
from vinculo.sales import selectors as sales_selectors
from vinculo.sales.models import Opportunity

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign(admin):
    campaign = campaign_make(admin, name="Primavera", variants=("A", "B"),
                             started=timezone.now() - dt.timedelta(days=3))
    audience(admin, campaign, treated=60, control=20, treated_rate=0.3, control_rate=0.1,
             treated_spend=80, control_spend=80)
    rows = list(CampaignRecipient.objects.filter(campaign=campaign, status="sent"))
    with as_user(admin):
        a, b = campaign.variants.order_by("name")
    for i, row in enumerate(rows):
        row.variant = a if i % 2 else b
        row.opened_at = row.sent_at if i % 3 else None
        row.clicked_at = row.sent_at if i % 6 == 1 else None
    CampaignRecipient.objects.bulk_update(rows, ["variant", "opened_at", "clicked_at"])
    return campaign


def url(campaign, name="marketing:campaign_results"):
    return reverse(name, kwargs={"uuid": campaign.uuid})


def test_the_results_page_shows_funnel_lift_roi_and_variants_in_spanish(client, admin,
                                                                        campaign):
    admin.language = "es"
    admin.save()
    client.force_login(admin)
    response = client.get(url(campaign), HTTP_ACCEPT_LANGUAGE="es")
    assert response.status_code == 200
    page = response.content.decode()
    for text in ("Resultados: Primavera", "Embudo", "Enviados", "Convertidos",
                 "Mejora sobre el grupo de control", "Rendimiento sobre el margen",
                 "Prueba A/B", "Último contacto"):
        assert text in page, text
    funnel = json.loads(response.context["funnel_chart"] and json.dumps(
        response.context["funnel_chart"]))
    assert [trace["name"] for trace in funnel["data"]] == ["A", "B"]
    assert funnel["layout"]["separators"] == ",."
    assert 'data-figure="figure-lift"' in page
    # the attribution choices too, in the user's language (they were read once, at import)
    assert '<option value="last" selected>Último contacto</option>' in page
    assert '<option value="first">Primer contacto</option>' in page


def test_the_page_in_english_and_the_first_touch_model(page, campaign):
    response = page.get(url(campaign), {"model": "first", "metric": "open_rate"})
    assert response.status_code == 200
    text = response.content.decode()
    assert "First touch: when several campaigns" in text
    assert "by Open rate" in text


def test_bad_choices_are_named_not_a_server_error(page, campaign):
    response = page.get(url(campaign), {"model": "linear", "metric": "likes"})
    assert response.status_code == 400
    text = response.content.decode()
    assert "Unknown attribution model" in text and "Unknown metric" in text
    assert page.get(url(campaign, "marketing:campaign_results_csv"),
                    {"model": "linear"}).status_code == 400


def test_the_csv_holds_the_funnel_per_variant_the_lift_and_the_roi(page, campaign):
    response = page.get(url(campaign, "marketing:campaign_results_csv"))
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:6] == ["Variant", "Sent", "Delivered", "Opened", "Clicked", "Converted"]
    assert [row[0] for row in rows[1:4]] == ["A", "B", "Total"]
    assert int(rows[3][1]) == 60
    figures = {row[0]: row[1:] for row in rows if row}
    assert set(figures) >= {"Conversion lift (points)", "Revenue per member, difference",
                            "Incremental margin", "Cost", "ROI"}


def test_a_web_form_campaign_shows_sent_and_converted_not_zero_opens(page, admin, campaign):
    form = campaign_make(admin, name="Catálogo", channel="web_form",
                         started=timezone.now() - dt.timedelta(days=3))
    audience(admin, form, treated=30, control=5, treated_rate=0.3, control_rate=0.1)
    response = page.get(url(form))
    assert response.status_code == 200
    assert [step.key for step in response.context["result"].total.steps] == [
        "sent", "converted"]  # no delivered, opened or clicked row of zeros
    text = response.content.decode()
    assert "Deliveries, opens and clicks are tracked for e-mail only" in text
    # the comparison by channel: the e-mail's opens, a dash on the web form
    rows = {row["channel"]: row for row in response.context["channels"]}
    assert rows["web_form"]["opened"] is None and rows["web_form"]["clicked"] is None
    assert rows["email"]["opened"] > 0
    assert "<td>Web form</td><td class=\"text-end\">1</td><td class=\"text-end\">30</td>" \
        "<td class=\"text-end\">—</td><td class=\"text-end\">—</td>" in text
    # 30 sent: Plotly's own ticks; a handful would get one tick per unit (no "1, 1, 2, 2")
    assert "dtick" not in response.context["funnel_chart"]["layout"]["yaxis"]
    csv_rows = list(csv.reader(io.StringIO(page.get(
        url(form, "marketing:campaign_results_csv")).content.decode())))
    assert csv_rows[0][:3] == ["Variant", "Sent", "Converted"]


def test_a_funnel_of_a_few_recipients_ticks_whole_numbers(admin):
    from vinculo.marketing.results import charts
    from vinculo.marketing.results.selectors import Group, Step

    few = Group("A", [Step("sent", "Sent", 3, 100.0), Step("converted", "Converted", 0, 0.0)],
                0, 0, Decimal(0), Decimal(0))
    assert charts.funnel(few, [few])["layout"]["yaxis"]["dtick"] == 1


def test_a_campaign_with_nothing_sent_says_what_comes_next(page, admin):
    empty = campaign_make(admin, name="Vacía")
    response = page.get(url(empty))
    assert response.status_code == 200
    assert "Nothing has been sent yet" in response.content.decode()


def test_roles_and_other_organisations(client, users, other_admin, campaign):
    client.force_login(users[Role.SALES_REP])
    assert client.get(url(campaign)).status_code == 403
    client.force_login(users[Role.ANALYST])
    assert client.get(url(campaign)).status_code == 200
    assert client.post(url(campaign, "marketing:campaign_results_mark")).status_code == 403
    client.force_login(other_admin)
    assert client.get(url(campaign)).status_code == 404
    assert client.get(url(campaign, "marketing:campaign_results_csv")).status_code == 404


def test_update_conversions_stores_converted_at(page, campaign):
    response = page.post(url(campaign, "marketing:campaign_results_mark"))
    assert response.status_code == 302
    converted = CampaignRecipient.objects.filter(campaign=campaign, converted_at__isnull=False)
    assert converted.exists()
    assert not converted.filter(status="control").exists()


# ---- the campaign as a source and on the timeline ---------------------------------------------


def test_a_lead_and_its_opportunity_record_the_campaign_and_the_funnel_shows_it(admin, page):
    campaign = campaign_make(admin, name="Otoño")
    account = AccountFactory(actor=admin)
    ana = ContactFactory(actor=admin, email="ana@sur.es", first_name="Ana")
    recipient_make(campaign, ana, account=account)
    lead = LeadFactory(actor=admin, email="ana@sur.es", last_name="Ana")
    other = LeadFactory(actor=admin, email="nadie@otro.es", last_name="Nadie")
    opportunity = OpportunityFactory(actor=admin, account=account)
    assert Lead.all_objects.get(pk=lead.pk).origin_id == campaign.pk
    assert Lead.all_objects.get(pk=other.pk).origin_id is None
    assert Opportunity.all_objects.get(pk=opportunity.pk).origin_id == campaign.pk
    with as_user(admin):
        rows = {row["label"]: row for row in
                sales_selectors.conversion_funnel(user=admin, by="origin")}
    assert rows["Otoño"]["leads"] == 1 and rows["Otoño"]["opportunities"] == 1
    assert rows["No campaign or origin recorded"]["leads"] == 1
    response = page.get(reverse("sales:funnel"), {"by": "origin"})
    assert "Otoño" in response.content.decode()
    api = token_client(admin)
    answer = api.get("/api/opportunities/funnel/", {"by": "origin"})
    assert answer.status_code == 200
    assert "Otoño" in [row["label"] for row in answer.json()]
    assert api.get("/api/opportunities/funnel/", {"by": "campaign"}).status_code == 400


def test_a_lead_after_the_window_records_no_campaign(admin):
    campaign = campaign_make(admin, started=timezone.now() - dt.timedelta(days=40),
                             attribution_days=30)
    ana = ContactFactory(actor=admin, email="ana@sur.es", first_name="Ana")
    recipient_make(campaign, ana)
    lead = LeadFactory(actor=admin, email="ana@sur.es", last_name="Ana")
    assert Lead.all_objects.get(pk=lead.pk).origin_id is None


def test_the_contacts_timeline_shows_what_happened_with_the_campaign(admin):
    campaign = campaign_make(admin, name="Verano")
    ana = ContactFactory(actor=admin, email="ana@sur.es", first_name="Ana")
    sent = campaign.started_at
    recipient_make(campaign, ana, opened_at=sent + dt.timedelta(hours=1),
                   clicked_at=sent + dt.timedelta(hours=2),
                   unsubscribed_at=sent + dt.timedelta(hours=3),
                   converted_at=sent + dt.timedelta(hours=4))
    luis = ContactFactory(actor=admin, email="luis@sur.es", first_name="Luis")
    recipient_make(campaign, luis, status="control", variant=None)
    with as_user(admin):
        titles = [item.title for item in timeline.for_record(ana) if item.kind == "campaign"]
        control = [item for item in timeline.for_record(luis) if item.kind == "campaign"]
    assert titles == ["Converted after the campaign: Verano",
                      "Unsubscribed from the campaign: Verano",
                      "Campaign link clicked: Verano", "Campaign opened: Verano",
                      "Campaign sent: Verano"]
    assert control == []  # a held-out member was never contacted


def test_by_channel_compares_the_started_campaigns_and_the_nightly_command_fills_it(
        admin, page, campaign):
    from django.core.management import call_command

    phone = campaign_make(admin, name="Llamadas", channel="phone")
    ana = ContactFactory(actor=admin, email="ana@sur.es", first_name="Ana")
    recipient_make(phone, ana)
    out = io.StringIO()
    call_command("campaign_conversions", stdout=out)
    assert f"{campaign.uuid}: " in out.getvalue()
    with as_user(admin):
        from vinculo.marketing.results import selectors

        rows = {row["channel"]: row for row in selectors.by_channel(admin)}
    assert rows["phone"]["sent"] == 1 and rows["phone"]["campaigns"] == 1
    assert rows["email"]["sent"] == 60
    assert rows["email"]["converted"] == CampaignRecipient.objects.filter(
        campaign=campaign, converted_at__isnull=False).count() > 0
    assert "Phone call" in page.get(url(campaign)).content.decode()
