"""The portal carries the organisation's name and logo (#19) — the logo served only to its own
portal users, with the type its bytes say — and shows each invoice's state (#9) in the
customer's language."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from tests.core.factories import as_user
from tests.core.test_organization_settings import image
from tests.portal.factories import portal_user, signed_in
from tests.sales.factories import free_line
from vinculo.billing import services as billing
from vinculo.core.organization.services import organization_update

LOGO_TAG = re.compile(r'<img[^>]*\bsrc="/portal/logo/"')


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def logo_set(admin, content: bytes, name: str) -> None:
    with as_user(admin):
        organization_update(actor=admin, data={}, expected_version=None,
                            logo=SimpleUploadedFile(name, content))


@pytest.mark.django_db
def test_the_header_shows_the_organisation_and_its_logo_served_only_to_its_portal_users(
        admin, other_admin, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "uploads"
    user = portal_user(admin, language="en")
    client = signed_in(user)
    home = client.get("/portal/").content.decode()
    assert "Acme Ibérica" in home and not LOGO_TAG.search(home)
    assert client.get("/portal/logo/").status_code == 404  # no logo yet

    ours, theirs = image("PNG", (120, 40)), image("JPEG", (64, 64))
    logo_set(admin, ours, "ours.png")
    logo_set(other_admin, theirs, "theirs.jpg")
    home = client.get("/portal/").content.decode()
    assert "Acme Ibérica" in home and LOGO_TAG.search(home)
    response = client.get("/portal/logo/")
    assert response.status_code == 200 and body(response) == ours
    assert response["Content-Type"] == "image/png"  # stored names carry no extension
    # the other organisation's portal user gets their own organisation's logo, never ours
    foreign = signed_in(portal_user(other_admin, language="en", email="olga@globex.example"))
    assert "Globex" in foreign.get("/portal/").content.decode()
    response = foreign.get("/portal/logo/")
    assert body(response) == theirs and response["Content-Type"] == "image/jpeg"
    # signed out: the sign-in page, not a logo
    assert Client().get("/portal/logo/").status_code == 302


def _badges(page: str) -> dict[str, str]:
    """Each invoice's number on the list with the text of its state badge."""
    found = {}
    for item in page.split('<div class="list-group-item">')[1:]:
        number = re.search(r"<strong>([^<]+)</strong>", item).group(1)
        found[number] = re.search(r'<span class="badge[^"]*">([^<]+)</span>', item).group(1)
    return found


@pytest.mark.django_db
@pytest.mark.parametrize(("language", "words"), [
    ("en", ("Paid", "Overdue", "Open")), ("es", ("Pagada", "Vencida", "Abierta"))])
def test_invoices_show_paid_overdue_and_open_badges_in_the_contacts_language(
        admin, language, words):
    user = portal_user(admin, language=language)
    today = timezone.localdate()

    def issued(on: dt.date):
        with as_user(admin):
            return billing.invoice_issue(actor=admin, issue_date=on, invoice=billing.invoice_create(
                actor=admin, account=user.account, payment_terms_days=30,
                lines=[free_line("Aceite", "1", "10.00")]))

    paid, overdue, open_ = issued(today), issued(today - dt.timedelta(days=60)), issued(today)
    with as_user(admin):
        billing.payment_record(actor=admin, invoice=paid, amount=paid.total_amount)
    badges = _badges(signed_in(user).get("/portal/invoices/").content.decode())
    assert badges == dict(zip((paid.number, overdue.number, open_.number), words, strict=True))
