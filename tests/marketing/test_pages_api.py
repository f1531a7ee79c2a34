"""The campaign pages and API call the same services: start, its refusals, the variants."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.marketing.factories import CampaignFactory, contacts, ready_campaign
from vinculo.marketing.models import CampaignRecipient, CampaignStatus, CampaignVariant

pytestmark = pytest.mark.django_db


def test_start_from_the_page_shows_the_split_and_the_progress(page, admin):
    campaign = ready_campaign(admin, contacts(admin, 10), control_share=20)
    response = page.post(reverse("marketing:campaign_start", args=[campaign.uuid]),
                         follow=True)
    body = response.content.decode()
    assert "Started: 8 to contact, 2 in the control group, 0 not contactable." in body
    assert "Control group (not contacted)" in body
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.SENDING


def test_start_refusal_is_shown_on_the_page_in_spanish(page, admin):
    admin.language = "es"
    admin.save()
    campaign = ready_campaign(admin, [], segment_name="Vacío")
    response = page.post(reverse("marketing:campaign_start", args=[campaign.uuid]),
                         follow=True, HTTP_ACCEPT_LANGUAGE="es")
    assert "El segmento Vacío no tiene miembros" in response.content.decode()
    assert not CampaignRecipient.objects.filter(campaign=campaign).exists()


def test_variant_with_unknown_merge_field_is_refused_on_the_page(page, admin):
    campaign = CampaignFactory(actor=admin)
    response = page.post(reverse("marketing:variant_add", args=[campaign.uuid]),
                         {"name": "B", "subject": "Hola", "body": "{{ contact.zapato }}",
                          "share": 50})
    assert response.status_code == 400
    assert "Unknown merge field {{ contact.zapato }}" in response.content.decode()
    assert CampaignVariant.all_objects.filter(campaign=campaign).count() == 1


def test_api_start_refusal_names_the_segment_and_progress_counts(api, admin):
    empty = ready_campaign(admin, [], segment_name="Nadie")
    response = api.post(reverse("campaign-start", args=[empty.uuid]), {}, format="json")
    assert response.status_code == 400
    assert "Nadie has no members" in response.json()["segment"][0]
    campaign = ready_campaign(admin, contacts(admin, 5), control_share=0,
                              cost_per_message="0.0100", fixed_cost="10.00",
                              segment_name="Cinco")
    started = api.post(reverse("campaign-start", args=[campaign.uuid]), {}, format="json")
    assert started.json() == {"recipients": 5, "control": 0, "pending": 5, "skipped": 0}
    progress = api.get(reverse("campaign-progress", args=[campaign.uuid])).json()
    assert progress["pending"] == 5 and progress["cost"] == "10.00"
