"""Every stored file is served only by a view that checks the organisation and the permission,
in every profile: this walks every ``FileField`` of every model, so a model that adds one
without such a view (and a declaration here) fails the first test.

For each: its owner downloads it; a user of another organisation gets a 404 and an anonymous
user the login page; the storage path under ``/media/`` (or anywhere) is a 404, because no URL
serves the storage directory; and the path is unguessable (no uploaded name, no date)."""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.apps import apps
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import models
from django.urls import clear_url_caches, reverse
from django.views.static import serve as static_serve

from tests.attachments.factories import attach
from tests.conftest import make_user
from tests.core.factories import as_user
from tests.core.test_tenancy import walk
from tests.customers.factories import AccountFactory, ContactFactory
from vinculo.core.roles import Role

pytestmark = pytest.mark.django_db

CONTENT = b"contenido secreto 42"


@dataclass(frozen=True)
class Stored:
    """A row with a stored file: the file field and the page that answers it."""

    row: models.Model
    field: str
    url: str
    content: bytes = CONTENT


def _record_file(admin) -> Stored:
    row = attach(admin, AccountFactory(actor=admin), "presupuesto.pdf", CONTENT)
    return Stored(row, "file", reverse("attachments:file_download", kwargs={"uuid": row.uuid}))


def _import_file(admin) -> Stored:
    from vinculo.customers.models import ImportJob

    with as_user(admin):
        job = ImportJob(organization=admin.organization, user=admin, target="contact",
                        original_name="contactos.csv")
        job.file.save("contactos.csv", ContentFile(CONTENT), save=True)
    return Stored(job, "file", reverse("customers:import_file", kwargs={"uuid": job.uuid}))


def _email_attachment(admin) -> Stored:
    from vinculo.interactions import services as interactions
    from vinculo.interactions.models import Attachment, EmailMessage, Thread

    contact = ContactFactory(actor=admin)
    with as_user(admin):
        call = interactions.interaction_log(actor=admin, data={
            "channel": "email", "contact": contact, "subject": "Factura"})
        thread = Thread.objects.create(organization=admin.organization, subject="Factura")
        mail = EmailMessage.objects.create(
            organization=admin.organization, interaction=call, thread=thread,
            message_id="<f@x>", from_address="a@example.es", status="received")
        row = Attachment(organization=admin.organization, message=mail, filename="factura.pdf",
                         content_type="application/pdf", size=len(CONTENT))
        row.file.save("factura.pdf", ContentFile(CONTENT), save=True)
    return Stored(row, "file", reverse("interactions:attachment", kwargs={"uuid": row.uuid}))


def _logo(admin) -> Stored:
    from vinculo.core.models import Organization
    from vinculo.core.organization.services import organization_update

    png = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02"
           b"\x00\x00\x00\x90wS\xde\x00\x00\x00\x0cIDATx\x9cc\xf8\xcf\xc0\x00\x00\x03\x01"
           b"\x01\x00\xc9\xfe\x92\xef\x00\x00\x00\x00IEND\xaeB`\x82")
    with as_user(admin):
        organization_update(actor=admin, data={}, expected_version=None,
                            logo=ContentFile(png, name="logo.png"))
    organization = Organization.objects.get(pk=admin.organization_id)
    return Stored(organization, "logo", reverse("organization_logo"), png)


def _campaign_letters(admin) -> Stored:
    from tests.marketing.factories_channels import campaign, customer, recipient
    from vinculo.marketing import letters

    camp = campaign(admin, channel="letter", body="Hola")
    account, contact = customer(admin, consents=("post",))
    recipient(camp, contact, account)
    with as_user(admin):
        row = letters.deliver(camp)
    with row.file.open("rb") as handle:
        content = handle.read()
    return Stored(row, "file", reverse("marketing:campaign_letters", kwargs={"uuid": camp.uuid}),
                  content)


#: ``app_label.model.field`` → a builder of one stored file, as the organisation's admin.
SERVED: dict[str, Callable] = {
    "attachments.recordfile.file": _record_file,
    "core.organization.logo": _logo,
    "customers.importjob.file": _import_file,
    "interactions.attachment.file": _email_attachment,
    "marketing.campaignletters.file": _campaign_letters,
}


def file_fields() -> set[str]:
    return {f"{model._meta.label_lower}.{field.name}"
            for model in apps.get_models() for field in model._meta.get_fields()
            if isinstance(field, models.FileField)}


def test_every_file_field_is_served_by_a_declared_checked_view():
    assert file_fields() == set(SERVED), (
        "declare how each stored file is served (and by which permission-checked view) in "
        "SERVED; nothing may link to the storage directory")


@pytest.fixture
def development_urls(settings):
    """The URL configuration as the development profile (DEBUG) builds it."""
    import vinculo.urls

    settings.DEBUG = True
    importlib.reload(vinculo.urls)
    clear_url_caches()
    yield
    settings.DEBUG = False
    importlib.reload(vinculo.urls)
    clear_url_caches()


def test_no_url_serves_the_storage_directory(development_urls):
    served = [route for route, pattern in walk() if pattern.callback is static_serve]
    assert served == []
    with pytest.raises(ValueError):
        default_storage.url("files/1/abc")


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "uploads"


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


@pytest.mark.parametrize("key", sorted(SERVED))
def test_only_the_organisation_fetches_a_stored_file(key, media, users, other_admin, client,
                                                     development_urls):
    admin = users[Role.ADMIN]
    stored = SERVED[key](admin)
    name = getattr(stored.row, stored.field).name
    # unguessable: <prefix>/<organisation>/<128 random bits>, no uploaded name, no date
    assert re.fullmatch(rf"[a-z-]+/{admin.organization_id}/[0-9a-f]{{32}}", name), name
    assert stored.row.uuid.hex not in name  # the row's UUID is public (in its URL)
    # its owner downloads it, as a download that never runs as a page
    client.force_login(admin)
    response = client.get(stored.url)
    assert response.status_code == 200 and body(response) == stored.content
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    # another organisation: a 404, as if it did not exist
    client.force_login(other_admin)
    assert client.get(stored.url).status_code == 404
    # other roles of the other organisation: refused by role (403) or not found, never the bytes
    for role in (Role.SALES_MANAGER, Role.READ_ONLY):
        client.force_login(make_user(other_admin.organization, role, f"{role}@globex.test"))
        assert client.get(stored.url).status_code in (403, 404)
    # nobody signed in: the login page, never the bytes
    client.logout()
    anonymous = client.get(stored.url)
    assert anonymous.status_code == 302 and "/login/" in anonymous["Location"]
    # the storage path answers nothing, in any profile (this runs as development's)
    for path in (f"/media/{name}", f"/uploads/{name}", f"/{name}"):
        assert client.get(path).status_code == 404, path
        client.force_login(other_admin)
        assert client.get(path).status_code == 404, path
        client.logout()
