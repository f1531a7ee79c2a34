"""The letter channel: one mail-merged page per member with a postal address and post
consent, the others marked with the reason, downloaded only through the checked view."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.conftest import make_user
from tests.core.factories import as_user
from tests.marketing.factories_channels import campaign, customer, pdf_text, recipient
from vinculo.core.roles import Role
from vinculo.marketing import letters
from vinculo.marketing.models import CampaignLetters, CampaignRecipient

pytestmark = pytest.mark.django_db

BODY = "Dear {{ contact.first_name }},\n\nWe write to {{ account.name }} about autumn."


@pytest.fixture
def letter_campaign(admin):
    camp = campaign(admin, channel="letter", subject="Offer for {{ account.name }}", body=BODY)
    printed = customer(admin, name="Textiles Norte SL", first_name="Marta", consents=("post",))
    no_address = customer(admin, name="Sin Direccion SL", consents=("post",), address=False)
    no_consent = customer(admin, name="Sin Permiso SL", consents=("email",))
    rows = {key: recipient(camp, contact, account)
            for key, (account, contact) in (("printed", printed), ("no_address", no_address),
                                            ("no_consent", no_consent))}
    return camp, rows


def test_one_merged_page_per_member_with_address_and_consent(letter_campaign, admin):
    camp, rows = letter_campaign
    with as_user(admin):
        result = letters.deliver(camp)
    assert (result.pages, result.skipped) == (1, 2)
    with result.file.open("rb") as handle:
        pages, text = pdf_text(handle.read())
    assert pages == 1
    assert "Offer for Textiles Norte SL" in text
    assert "Dear Marta," in text and "We write to Textiles Norte SL about autumn." in text
    assert "Calle Mayor 5" in text and "28013 Madrid" in text
    assert "Sin Direccion" not in text and "Sin Permiso" not in text
    status = {key: CampaignRecipient.objects.get(pk=row.pk) for key, row in rows.items()}
    assert status["printed"].status == "sent" and status["printed"].sent_at is not None
    assert (status["no_address"].status, status["no_address"].skipped_reason) == (
        "skipped", "No postal address.")
    assert (status["no_consent"].status, status["no_consent"].skipped_reason) == (
        "skipped", "No consent to letters by post.")


def test_withdrawn_post_consent_is_respected(admin):
    from vinculo.customers.services import consent_record

    camp = campaign(admin, channel="letter", body="Hola")
    account, contact = customer(admin, consents=("post",))
    row = recipient(camp, contact, account)
    with as_user(admin):
        consent_record(actor=admin, contact=contact, channel="post", granted=False)
        result = letters.deliver(camp)
    assert result.pages == 0
    assert CampaignRecipient.objects.get(pk=row.pk).status == "skipped"


def test_a_second_run_prints_the_new_members_with_the_sent_ones(letter_campaign, admin):
    camp, _rows = letter_campaign
    with as_user(admin):
        first = letters.deliver(camp)
        old_name = first.file.name
        account, contact = customer(admin, name="Nuevo Cliente SL", consents=("post",))
        recipient(camp, contact, account)
        second = letters.deliver(camp)
    assert second.pk == first.pk and second.pages == 2 and second.file.name != old_name
    assert CampaignLetters.all_objects.filter(campaign=camp).count() == 1


def test_download_is_checked(letter_campaign, admin, users, other_admin, client):
    camp, _rows = letter_campaign
    url = reverse("marketing:campaign_letters", kwargs={"uuid": camp.uuid})
    client.force_login(admin)
    assert client.get(url).status_code == 404  # nothing printed yet
    with as_user(admin):
        letters.deliver(camp)
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment")
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    client.force_login(users[Role.SALES_REP])  # no marketing.view
    assert client.get(url).status_code == 403
    client.force_login(other_admin)
    assert client.get(url).status_code == 404
    client.force_login(make_user(other_admin.organization, Role.MARKETING, "mk@globex.test"))
    assert client.get(url).status_code == 404


def test_channel_panel_links_the_letters(letter_campaign, admin, client):
    camp, _rows = letter_campaign
    with as_user(admin):
        letters.deliver(camp)
    client.force_login(admin)
    response = client.get(reverse("marketing:channel_panel"),
                          {"record": f"marketing.campaign:{camp.uuid}"})
    assert response.status_code == 200
    assert reverse("marketing:campaign_letters", kwargs={"uuid": camp.uuid}) in \
        response.content.decode()
    bad = client.get(reverse("marketing:channel_panel"), {"record": "marketing.campaign:nada"})
    assert bad.status_code == 404
