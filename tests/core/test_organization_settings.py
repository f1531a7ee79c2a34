"""The organisation's own settings: the page and the API (administrators only, audited), the
logo (validated, stored under the organisation, served through a checked view), the time zone
and language the pages use, and the fiscal data the quotes and invoices print."""

from __future__ import annotations

import base64
import datetime as dt
import io
import re
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from tests.conftest import token_client
from tests.core.factories import as_user
from tests.customers.factories import AccountFactory
from tests.sales.factories import QuoteFactory
from vinculo.core import events
from vinculo.core.models import AuditEntry, Organization
from vinculo.core.roles import Role

URL = "/settings/organization/"


def image(kind: str = "PNG", size: tuple[int, int] = (120, 40)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, kind)
    return buffer.getvalue()


def form(org: Organization, **changes: object) -> dict[str, object]:
    data = {"name": org.name, "legal_name": org.legal_name, "country": org.country,
            "base_currency": org.base_currency, "time_zone": org.time_zone,
            "language": org.language, "tax_id": org.tax_id, "street": org.street,
            "postal_code": org.postal_code, "city": org.city, "region": org.region,
            "version": org.version}
    data.update(changes)
    return data


def pdf_text(data: bytes) -> str:
    """The strings a ReportLab PDF shows (its page streams are ASCII85 + Flate encoded)."""
    chunks = []
    for raw in re.findall(rb"stream\r?\n(.*?)endstream", data, re.S):
        try:
            chunks.append(zlib.decompress(base64.a85decode(raw.strip().removesuffix(b"~>")))
                          .decode("latin-1"))
        except (ValueError, zlib.error):
            continue  # an image
    return "\n".join(re.findall(r"\((.*?)\)\s*Tj", "\n".join(chunks)))


@pytest.mark.django_db
def test_admin_changes_the_settings_on_the_page_and_it_is_audited(client, admin, org):
    client.force_login(admin)
    assert client.get(URL).status_code == 200
    with events.recording() as published:
        response = client.post(URL, form(org, legal_name="Acme Iberica S.L.",
                                         tax_id="b-12345674", time_zone="Europe/Madrid",
                                         base_currency="USD", street="Calle Mayor 1",
                                         postal_code="28013", city="Madrid"))
    assert response.status_code == 302
    org.refresh_from_db()
    assert (org.legal_name, org.tax_id, org.time_zone, org.base_currency, org.version) == (
        "Acme Iberica S.L.", "B12345674", "Europe/Madrid", "USD", 2)
    entry = AuditEntry.all_objects.get(object_type="core.organization")
    assert entry.organization_id == org.pk and entry.actor_id == admin.pk
    assert entry.changes["time_zone"] == ["UTC", "Europe/Madrid"]
    assert [o.name for o in published] == ["organization.updated"]
    # the same version again is stale: a conflict, nothing written
    response = client.post(URL, form(org, city="Toledo", version=1))
    assert response.status_code == 409
    org.refresh_from_db()
    assert org.city == "Madrid"


@pytest.mark.django_db
def test_bad_values_are_refused_by_field_and_nothing_changes(client, admin, org):
    client.force_login(admin)
    response = client.post(URL, form(org, tax_id="GB 980 7806 84", name=""))
    assert response.status_code == 400
    assert response.context["form"].errors == {
        "name": ["This field is required."]}
    response = client.post(URL, form(org, tax_id="GB 980 7806 84"))
    assert response.status_code == 400
    assert response.context["form"].errors == {
        "tax_id": ["Not a valid tax id or VAT number for Spain (ES)."]}
    # the same id is right once the organisation is British
    assert client.post(URL, form(org, tax_id="GB 980 7806 84", country="GB")).status_code == 302
    org.refresh_from_db()
    assert (org.country, org.tax_id) == ("GB", "980780684")


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.SALES_MANAGER, Role.SALES_REP, Role.READ_ONLY])
def test_only_administrators_see_the_settings(client, users, org, role):
    client.force_login(users[role])
    assert client.get(URL).status_code == 403
    assert client.post(URL, form(org, city="Toledo")).status_code == 403
    org.refresh_from_db()
    assert org.city == "" and org.version == 1


@pytest.mark.django_db
def test_logo_is_validated_stored_under_the_organisation_and_served_to_it_only(
        client, admin, org, other_admin, settings, tmp_path,
        django_capture_on_commit_callbacks):
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(tmp_path)}}}
    client.force_login(admin)
    fake = SimpleUploadedFile("logo.png", b"<svg>not an image</svg>", "image/png")
    response = client.post(URL, {**form(org), "logo": fake})
    assert response.status_code == 400
    assert response.context["form"].errors == {
        "logo": ["The logo must be a PNG or JPEG image."]}
    gif = io.BytesIO()
    Image.new("RGB", (10, 10)).save(gif, "GIF")
    response = client.post(URL, {**form(org), "logo": SimpleUploadedFile("a.png", gif.getvalue())})
    assert response.context["form"].errors == {"logo": ["The logo must be a PNG or JPEG image."]}
    big = SimpleUploadedFile("big.png", image() + b"\0" * (1024 * 1024))
    response = client.post(URL, {**form(org), "logo": big})
    assert response.context["form"].errors == {"logo": ["The logo may be at most 1 MB."]}
    org.refresh_from_db()
    assert not org.logo and org.version == 1

    png = image()
    response = client.post(URL, {**form(org), "logo": SimpleUploadedFile("Our logo.PNG", png)})
    assert response.status_code == 302
    org.refresh_from_db()
    assert re.fullmatch(rf"logos/{org.pk}/[0-9a-f]{{32}}", org.logo.name), org.logo.name
    served = client.get("/settings/organization/logo/")
    assert served.status_code == 200 and served["Content-Type"] == "image/png"
    assert b"".join(served.streaming_content) == png
    assert "/media/" not in client.get(URL).content.decode()
    # another organisation's admin asks the same URL and gets their own (none): 404
    client.force_login(other_admin)
    assert client.get("/settings/organization/logo/").status_code == 404
    client.logout()
    assert client.get("/settings/organization/logo/").status_code == 302  # to the login
    # removing it drops the file
    client.force_login(admin)
    old = org.logo.name
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(URL, {**form(org), "remove_logo": "on"}).status_code == 302
    org.refresh_from_db()
    assert not org.logo and not (tmp_path / old).exists()


@pytest.mark.django_db
def test_pages_use_the_organisations_time_zone_and_default_language(client, admin, org):
    AuditEntry.all_objects.create(
        organization=org, timestamp=dt.datetime(2026, 1, 15, 12, 0, tzinfo=dt.UTC),
        actor_label="x", action="update", object_type="customers.account", object_id=1,
        object_repr="Probe")
    client.force_login(admin)
    page = client.get("/audit/").content.decode()
    assert "<td>01/15/2026 noon</td>" in page
    Organization.objects.filter(pk=org.pk).update(time_zone="America/Mexico_City",
                                                  language="es")
    page = client.get("/audit/").content.decode()
    assert "<td>15/01/2026 06:00</td>" in page  # Spanish, six hours behind UTC
    admin.language = "en"  # the user's own choice wins over the organisation's default
    admin.save()
    page = client.get("/audit/").content.decode()
    assert "<td>01/15/2026 6 a.m.</td>" in page


@pytest.mark.django_db
def test_quote_and_invoice_pdfs_print_both_parties_fiscal_data_and_the_logo(page, admin, org,
                                                                            settings, tmp_path):
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(tmp_path)}}}
    response = page.post(URL, {**form(org, legal_name="Acme Iberica S.L.", tax_id="B12345674",
                                      street="Calle Mayor 1", postal_code="28013",
                                      city="Madrid"),
                               "logo": SimpleUploadedFile("logo.jpg", image("JPEG"))})
    assert response.status_code == 302
    with as_user(admin):
        account = AccountFactory(actor=admin, name="Baker and Sons Ltd", country="GB",
                                 tax_id="GB 980 7806 84", billing_street="10 Downing Street",
                                 billing_postal_code="SW1A 2AA", billing_city="London")
        quote = QuoteFactory(actor=admin, account=account)
    pdf = page.get(reverse("sales:quote_pdf", args=[quote.uuid])).content
    text = pdf_text(pdf)
    for expected in ("Acme Iberica S.L.", "Calle Mayor 1", "28013 Madrid", "Spain",
                     "Tax id: B12345674", "Baker and Sons Ltd", "10 Downing Street",
                     "SW1A 2AA London", "United Kingdom", "Tax id: 980780684"):
        assert expected in text, expected
    assert b"/Subtype /Image" in pdf  # the logo


@pytest.mark.django_db
def test_api_reads_and_patches_the_settings_for_administrators_only(api, org, users):
    response = api.get("/api/organization/")
    assert response.status_code == 200
    body = response.json()
    assert (body["name"], body["country"], body["version"], body["has_logo"]) == (
        org.name, "ES", 1, False)
    response = api.patch("/api/organization/", {"time_zone": "Atlantic/Canary",
                                                "language": "es", "version": 1}, format="json")
    assert response.status_code == 200, response.json()
    assert (response.json()["time_zone"], response.json()["version"]) == ("Atlantic/Canary", 2)
    stale = api.patch("/api/organization/", {"city": "Las Palmas", "version": 1},
                      format="json")
    assert stale.status_code == 409
    bad = api.patch("/api/organization/", {"time_zone": "Mars/Olympus", "country": "ZZ",
                                           "version": 2}, format="json")
    assert bad.status_code == 400 and set(bad.json()) == {"time_zone", "country"}
    missing = api.patch("/api/organization/", {"city": "Las Palmas"}, format="json")
    assert missing.status_code == 400 and "version" in missing.json()
    org.refresh_from_db()
    assert (org.time_zone, org.language, org.city, org.version) == (
        "Atlantic/Canary", "es", "", 2)
    manager = token_client(users[Role.SALES_MANAGER])
    assert manager.get("/api/organization/").status_code == 403
    assert manager.patch("/api/organization/", {"city": "X", "version": 2},
                         format="json").status_code == 403


@pytest.mark.django_db
def test_api_takes_a_logo_as_multipart_and_refuses_a_bad_one(api, org, settings, tmp_path):
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(tmp_path)}}}
    bad = api.patch("/api/organization/", {"version": 1, "logo": SimpleUploadedFile(
        "logo.png", b"GIF89a not really")}, format="multipart")
    assert bad.status_code == 400 and bad.json() == {
        "logo": ["The logo must be a PNG or JPEG image."]}
    good = api.patch("/api/organization/", {"version": 1, "logo": SimpleUploadedFile(
        "logo.png", image())}, format="multipart")
    assert good.status_code == 200 and good.json()["has_logo"] is True
    org.refresh_from_db()
    assert re.fullmatch(rf"logos/{org.pk}/[0-9a-f]{{32}}", org.logo.name), org.logo.name
    huge = api.patch("/api/organization/", {"version": 10**30}, format="json")
    assert huge.status_code == 400 and "version" in huge.json()


@pytest.mark.django_db
def test_api_answers_each_organisation_its_own_settings(api, other_admin, other_org):
    other = token_client(other_admin)
    assert other.get("/api/organization/").json()["name"] == other_org.name
    assert api.get("/api/organization/").json()["name"] != other_org.name
