"""What the walk through the marketing pages fixed: Cancel goes somewhere (the CSP blocks
``javascript:`` links), the campaign list is the shared list (its phone filter toggle, its
"New" button for those who may add)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.marketing.factories import CampaignFactory
from vinculo.core.roles import Role

pytestmark = pytest.mark.django_db


def test_cancel_on_the_campaign_form_is_a_link_not_a_script(page, admin):
    new = page.get(reverse("marketing:campaign_create")).content.decode()
    assert "javascript:" not in new
    assert f'href="{reverse("marketing:campaign_list")}">Cancel' in new
    campaign = CampaignFactory(actor=admin)
    edit = page.get(reverse("marketing:campaign_update", args=[campaign.uuid])).content.decode()
    detail = reverse("marketing:campaign_detail", args=[campaign.uuid])
    assert f'href="{detail}">Cancel' in edit and "javascript:" not in edit


def test_cancel_on_the_customer_forms_is_a_link_too(page):
    body = page.get(reverse("customers:account_create")).content.decode()
    assert "javascript:" not in body
    assert f'href="{reverse("customers:account_list")}">Cancel' in body


def test_the_campaign_list_is_the_shared_list_with_its_intro(page):
    body = page.get(reverse("marketing:campaign_list")).content.decode()
    assert "A campaign writes to the members of a segment on one channel." in body
    assert "Filters and saved views" in body  # the phone's filter toggle of the shared list
    assert reverse("marketing:campaign_create") in body


def test_new_is_offered_to_who_may_add_campaigns_only(client, users):
    client.force_login(users[Role.ANALYST])  # reads campaigns, does not make them
    body = client.get(reverse("marketing:campaign_list")).content.decode()
    assert reverse("marketing:campaign_create") not in body
    client.force_login(users[Role.MARKETING])
    body = client.get(reverse("marketing:campaign_list")).content.decode()
    assert reverse("marketing:campaign_create") in body
