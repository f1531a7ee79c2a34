"""vCard export (one contact, the filtered list) and import (many cards, per-card errors)."""

from __future__ import annotations

import pytest
import vobject
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from vinculo.core.audit import acting_as
from vinculo.core.models import AuditEntry
from vinculo.core.roles import Role
from vinculo.core.tenancy import organization_scope
from vinculo.customers import services
from vinculo.customers.imports import services as importing
from vinculo.customers.models import Contact, ImportJob, ImportStatus

FIELDS = ("first_name", "last_name", "email", "other_emails", "phone", "mobile", "title",
          "preferred_language")


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def jose(as_admin):
    contact = services.contact_create(actor=as_admin, data={
        "first_name": "José", "last_name": "Núñez Peña", "email": "jose@example.es",
        "other_emails": ["jnp@example.com"], "phone": "910 000 001", "mobile": "600 111 222",
        "title": "Director; técnico", "preferred_language": "es", "tags": ["vip", "madrid"]})
    account = services.account_create(actor=as_admin, data={"name": "Talleres Núñez"})
    services.contact_link_account(actor=as_admin, contact=contact, account=account,
                                  is_primary=True)
    return contact


def test_one_contact_card(page, jose):
    response = page.get(reverse("customers:contact_vcard", kwargs={"uuid": jose.uuid}))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/vcard; charset=utf-8"
    card = vobject.readOne(response.content.decode())
    assert card.n.value.family == "Núñez Peña" and card.n.value.given == "José"
    assert card.fn.value == "José Núñez Peña"
    assert [(e.value, e.params["TYPE"]) for e in card.contents["email"]] == [
        ("jose@example.es", ["INTERNET", "PREF"]), ("jnp@example.com", ["INTERNET"])]
    assert [(t.value, t.params["TYPE"]) for t in card.contents["tel"]] == [
        ("+34910000001", ["WORK", "VOICE"]), ("+34600111222", ["CELL"])]
    assert card.org.value == ["Talleres Núñez"]
    assert card.title.value == "Director; técnico"
    assert card.lang.value == "es"
    assert sorted(card.categories.value) == ["madrid", "vip"]
    assert card.uid.value == str(jose.uuid)


def test_round_trip_export_then_import(page, admin, other_admin, jose, as_admin):
    services.contact_create(actor=as_admin, data={"first_name": "Bea", "email": "bea@x.es"})
    text = b"".join(page.get(reverse("customers:contact_vcard_export")).streaming_content)
    assert text.count(b"BEGIN:VCARD") == 2
    with organization_scope(admin.organization):
        original = sorted(Contact.objects.values_list(*FIELDS))
    with organization_scope(other_admin.organization), acting_as(other_admin):
        job = importing.import_job_create(actor=other_admin, target="contact",
                                          file=SimpleUploadedFile("all.vcf", text))
        job = importing.import_job_start(actor=other_admin, job=job, dry_run=False)
        assert (job.created_count, job.errors) == (2, [])
        assert sorted(Contact.objects.values_list(*FIELDS)) == original
        copy = Contact.objects.get(email="jose@example.es")
        assert sorted(copy.tags.values_list("name", flat=True)) == ["madrid", "vip"]


def test_list_export_follows_filters_and_visibility(client, users, as_admin, jose):
    services.contact_create(actor=as_admin, data={"first_name": "Bea", "email": "bea@x.es",
                                                  "owner": users[Role.SALES_REP]})
    client.force_login(users[Role.ANALYST])
    text = b"".join(client.get(reverse("customers:contact_vcard_export"),
                               {"q": "bea"}).streaming_content).decode()
    assert text.count("BEGIN:VCARD") == 1 and "bea@x.es" in text
    client.force_login(users[Role.SALES_REP])
    assert client.get(reverse("customers:contact_vcard_export")).status_code == 403
    # A sales rep may take the card of a contact they see, not of others (404).
    assert client.get(reverse("customers:contact_vcard",
                              kwargs={"uuid": jose.uuid})).status_code == 404


CARDS = (
    "BEGIN:VCARD\r\nVERSION:3.0\r\nN:Ruiz;Ana;;;\r\nFN:Ana Ruiz\r\nEMAIL:ana@x.es\r\n"
    "TEL;TYPE=CELL:600 111 222\r\nEND:VCARD\r\n"
    "BEGIN:VCARD\r\nVERSION:3.0\r\nN:Gil;Bea;;;\r\nFN:Bea Gil\r\nEMAIL:bea@\r\nEND:VCARD\r\n"
    "BEGIN:VCARD\r\nVERSION:3.0\r\nN:;;;;\r\nthis line is not a property\r\nEND:VCARD\r\n"
    "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Carla Díaz\r\nEMAIL:ANA@x.es\r\nTITLE:CEO\r\nEND:VCARD\r\n"
)


def test_import_reports_each_bad_card_by_number_and_handles_duplicates(as_admin):
    job = importing.import_job_create(actor=as_admin, target="contact",
                                      file=SimpleUploadedFile("cards.vcf", CARDS.encode()),
                                      duplicate_mode="update")
    assert job.total_rows == 4
    job = importing.import_job_start(actor=as_admin, job=job, dry_run=False)
    texts = [e["text"] for e in job.errors]
    assert texts[0] == "card 2, email: Enter a valid e-mail address."
    assert texts[1].startswith("card 3: This card cannot be read:")
    assert len(texts) == 2
    assert (job.created_count, job.updated_count) == (1, 1)
    ana = Contact.objects.get()
    assert (ana.full_name, ana.mobile, ana.title) == ("Carla Díaz", "+34600111222", "CEO")


def test_import_all_or_nothing_and_page(page, admin):
    before = None
    with organization_scope(admin.organization):
        before = (Contact.objects.count(), AuditEntry.objects.count())
    response = page.post(reverse("customers:contact_vcard_import"),
                         {"file": SimpleUploadedFile("cards.vcf", CARDS.encode())})
    assert response.status_code == 302
    with organization_scope(admin.organization):
        job = ImportJob.objects.get()
    assert job.target == "contact"
    response = page.post(response["Location"], {"duplicate_mode": "skip",
                                                "all_or_nothing": "on", "action": "run"})
    assert response.status_code == 302
    html = page.get(response["Location"]).content.decode()
    assert "nothing was imported" in html and "This card cannot be read" in html
    with organization_scope(admin.organization):
        job.refresh_from_db()
        assert job.status == ImportStatus.DONE and job.created_count == 0
        assert (Contact.objects.count(), AuditEntry.objects.count()) == before


def test_vcard_only_into_contacts(as_admin):
    with pytest.raises(Exception) as caught:
        importing.import_job_create(actor=as_admin, target="account",
                                    file=SimpleUploadedFile("c.vcf", CARDS.encode()))
    assert "only be imported into contacts" in str(caught.value)
