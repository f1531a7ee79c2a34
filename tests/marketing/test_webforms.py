"""The web-form channel: a campaign names a public form; submissions carrying its key in the
form's address, or arriving while it runs, are attributed to it."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.core import signing
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from tests.core.factories import as_user
from tests.marketing.factories_channels import campaign, customer, recipient
from vinculo.core.roles import Role
from vinculo.interactions import services as interactions
from vinculo.interactions.models import WebFormSubmission
from vinculo.interactions.views import FORM_SALT
from vinculo.marketing import webforms
from vinculo.marketing.models import CampaignRecipient, CampaignSubmission

pytestmark = pytest.mark.django_db

GOOD = {"name": "Marta Gil", "email": "marta@gil.es", "subject": "Catálogo",
        "message": "Quiero el catálogo.", "started": ""}


def started() -> str:
    return signing.dumps(time.time() - 30, salt=FORM_SALT)


@pytest.fixture
def form(admin):
    with as_user(admin):
        return interactions.web_form_create(actor=admin, data={
            "name": "Contacto", "kind": "contact", "owner": admin})


def web_campaign(admin, form, **fields):
    camp = campaign(admin, channel="web_form", **fields)
    with as_user(admin):
        webforms.campaign_web_form_set(actor=admin, campaign=camp, web_form=form)
    return camp


def test_the_key_in_the_form_address_attributes(admin, form, client):
    today = timezone.localdate()
    camp = web_campaign(admin, form, name="Catálogo", starts_on=today - dt.timedelta(days=30),
                        ends_on=today - dt.timedelta(days=1))  # dates over: only the key counts
    url = webforms.form_url(camp)
    assert url.endswith(f"/f/{form.uuid}/?campaign={camp.uuid}")
    path = url[url.index("/f/"):]
    assert client.post(path, {**GOOD, "started": started()}).status_code == 200
    row = CampaignSubmission.all_objects.get()
    assert (row.campaign, row.matched_by) == (camp, "key")
    assert row.submission == WebFormSubmission.all_objects.get()
    # without the key, after the campaign's dates: not attributed
    client.post(f"/f/{form.uuid}/", {**GOOD, "email": "otro@gil.es", "started": started()})
    assert CampaignSubmission.all_objects.count() == 1
    assert WebFormSubmission.all_objects.count() == 2


def test_submissions_during_the_campaign_are_attributed_with_the_recipient(admin, form):
    today = timezone.localdate()
    camp = web_campaign(admin, form, starts_on=today, ends_on=today + dt.timedelta(days=7))
    account, contact = customer(admin)
    member = recipient(camp, contact, account)
    with as_user(admin):
        interactions.web_form_submit(form=form, data={**GOOD, "email": contact.email},
                                     client_address="10.0.0.1", elapsed_seconds=9)
    row = CampaignSubmission.all_objects.get()
    assert (row.matched_by, row.contact, row.recipient) == ("dates", contact, member)


def test_bad_keys_and_closed_campaigns_attribute_nothing(admin, form):
    today = timezone.localdate()
    other_form = None
    with as_user(admin):
        other_form = interactions.web_form_create(actor=admin, data={
            "name": "Otro", "kind": "contact", "owner": admin})
    elsewhere = web_campaign(admin, other_form)  # a campaign of another form
    web_campaign(admin, form, status="finished", starts_on=today)
    web_campaign(admin, form, status="draft", starts_on=today)
    for reference in ("no-es-un-uuid", str(elsewhere.uuid), "", "x" * 500):
        with as_user(admin):
            interactions.web_form_submit(form=form, data=GOOD, client_address=reference[:30],
                                         elapsed_seconds=9, reference=reference)
    assert not CampaignSubmission.all_objects.exists()
    assert WebFormSubmission.all_objects.count() == 4


def test_choosing_the_form(admin, form, users, client):
    camp = campaign(admin, channel="web_form")
    letter = campaign(admin, channel="letter")
    with as_user(admin):
        with pytest.raises(ValidationError) as wrong:
            webforms.campaign_web_form_set(actor=admin, campaign=letter, web_form=form)
        assert "web_form" in wrong.value.message_dict
    url = reverse("marketing:campaign_web_form", kwargs={"uuid": camp.uuid})
    client.force_login(admin)
    assert client.post(url, {"web_form": "nada"}).status_code == 400
    response = client.post(url, {"web_form": str(form.uuid)}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and f"campaign={camp.uuid}" in response.content.decode()
    camp.refresh_from_db()
    assert camp.web_form == form
    client.force_login(users[Role.ANALYST])  # reads marketing, may not change it
    assert client.post(url, {"web_form": ""}).status_code == 403


def test_delivery_needs_an_active_form_and_marks_the_audience(admin, form):
    camp = campaign(admin, channel="web_form")
    account, contact = customer(admin)
    member = recipient(camp, contact, account)
    with as_user(admin), pytest.raises(ValidationError):
        webforms.deliver(camp)
    assert CampaignRecipient.objects.get(pk=member.pk).status == "pending"
    with as_user(admin):
        webforms.campaign_web_form_set(actor=admin, campaign=camp, web_form=form)
        assert webforms.deliver(camp) == 1
    assert CampaignRecipient.objects.get(pk=member.pk).status == "sent"
