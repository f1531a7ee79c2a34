"""Files live wherever the install's storage puts them (``VINCULO_FILE_STORAGE``): the real
flows that store or serve a file run here on Django's ``InMemoryStorage``, which has no
filesystem (its ``path()`` names a file that is not there), as a shared store such as S3 has
none. Each flow's bytes go in through the page or the API and come back through the
permission-checked view, and nothing is written under ``MEDIA_ROOT``. The settings build
``STORAGES["default"]`` from the environment, and a backend that cannot be built stops the
start naming the variable."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from email.message import EmailMessage as Mime

import pytest
from django.core.files.storage import default_storage, storages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.core.factories import as_user
from tests.core.test_organization_settings import form, image
from tests.customers.factories import AccountFactory
from tests.marketing.factories_channels import campaign, customer, pdf_text, recipient
from tests.sales.factories import QuoteFactory
from vinculo.attachments import services as attachments
from vinculo.attachments.models import RecordFile
from vinculo.core.files import PrivateStorage
from vinculo.core.tenancy import organization_scope
from vinculo.customers.models import Contact, ImportJob
from vinculo.interactions import mailing
from vinculo.interactions.models import Attachment, EmailMessage, RejectedMessage
from vinculo.marketing import letters

MEMORY = "django.core.files.storage.InMemoryStorage"
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def memory(settings, tmp_path):
    """The default storage in memory, wrapped as the settings wrap any backend; MEDIA_ROOT
    points at a folder that must stay empty."""
    media = tmp_path / "uploads"
    settings.MEDIA_ROOT = media
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "vinculo.core.files.PrivateStorage", "OPTIONS": {"backend": MEMORY}}}
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    yield default_storage
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert written == [], f"written to the filesystem: {written}"
    assert not media.exists()


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def stored(name: str) -> bytes:
    with default_storage.open(name, "rb") as handle:
        return handle.read()


def test_the_wrapper_keeps_the_backend_and_refuses_urls(memory):
    assert isinstance(storages["default"], PrivateStorage)
    assert type(storages["default"].backend).__name__ == "InMemoryStorage"
    name = memory.save("files/1/probe", SimpleUploadedFile("x", b"abc"))
    assert (memory.exists(name), memory.size(name), stored(name)) == (True, 3, b"abc")
    # the "path" names no file: code that opened it, or wrote there, would fail this module
    assert not os.path.exists(memory.path(name))
    with pytest.raises(ValueError, match="no public URL"):
        memory.url(name)
    memory.delete(name)
    assert not memory.exists(name)


@pytest.mark.django_db
def test_an_attachment_goes_in_by_page_and_api_and_out_through_the_checked_views(
        memory, client, api, admin, other_admin, django_capture_on_commit_callbacks):
    account = AccountFactory(actor=admin, name="Textil Sol SL")
    ref = f"customers.account:{account.uuid}"
    client.force_login(admin)
    panel = f"{reverse('attachments:file_panel')}?record={ref}"
    page_bytes, api_bytes = b"%PDF-1.4 por la pagina \x00\xff", b"hoja de calculo \x01\x02"
    assert client.post(panel, {"file": SimpleUploadedFile("oferta.pdf", page_bytes)},
                       **HTMX).status_code == 200
    created = api.post("/api/files/", {"record": ref, "file": SimpleUploadedFile(
        "precios.xlsx", api_bytes)}, format="multipart")
    assert created.status_code == 201, created.json()
    rows = {row.filename: row for row in RecordFile.all_objects.all()}
    assert set(rows) == {"oferta.pdf", "precios.xlsx"}
    assert stored(rows["oferta.pdf"].file.name) == page_bytes
    page_url = reverse("attachments:file_download", kwargs={"uuid": rows["oferta.pdf"].uuid})
    assert body(client.get(page_url)) == page_bytes
    api_url = f"/api/files/{rows['precios.xlsx'].uuid}/download/"
    answer = api.get(api_url)
    assert answer.status_code == 200 and body(answer) == api_bytes
    client.force_login(other_admin)  # the checks still hold with the bytes elsewhere
    assert client.get(page_url).status_code == 404
    # removing it removes the stored bytes, once the removal commits
    name = rows["precios.xlsx"].file.name
    with as_user(admin), django_capture_on_commit_callbacks(execute=True):
        attachments.file_delete(actor=admin, file=rows["precios.xlsx"])
    assert not memory.exists(name)


@pytest.mark.django_db
def test_an_import_file_is_read_from_the_store_and_served_back(memory, page, admin):
    content = "Nombre;Correo\nAna;ana@x.es\nBea;bea@x.es\n".encode("cp1252")
    response = page.post(reverse("customers:import_start"), {
        "target": "contact", "file": SimpleUploadedFile("contactos.csv", content)})
    assert response.status_code == 302
    with organization_scope(admin.organization):
        job = ImportJob.objects.get()
    assert stored(job.file.name) == content
    mapping = page.get(response["Location"]).content.decode()  # the preview reads the file
    assert "Ana · Bea" in mapping
    assert page.post(reverse("customers:import_mapping", kwargs={"uuid": job.uuid}), {
        "col_0": "first_name", "col_1": "email", "duplicate_mode": "skip",
        "action": "run"}).status_code == 302
    with organization_scope(admin.organization):
        assert sorted(Contact.objects.values_list("email", flat=True)) == [
            "ana@x.es", "bea@x.es"]
    served = page.get(reverse("customers:import_file", kwargs={"uuid": job.uuid}))
    assert served.status_code == 200 and body(served) == content


@pytest.mark.django_db
def test_the_logo_is_stored_served_and_printed_from_the_store(memory, page, admin, org,
                                                              django_capture_on_commit_callbacks):
    png = image()
    response = page.post("/settings/organization/", {
        **form(org), "logo": SimpleUploadedFile("logo.png", png)})
    assert response.status_code == 302
    org.refresh_from_db()
    assert stored(org.logo.name) == png
    served = page.get("/settings/organization/logo/")
    assert served["Content-Type"] == "image/png" and body(served) == png
    with as_user(admin):
        quote = QuoteFactory(actor=admin, account=AccountFactory(actor=admin))
    pdf = page.get(reverse("sales:quote_pdf", args=[quote.uuid])).content
    assert b"/Subtype /Image" in pdf  # the logo, read through the storage
    old = org.logo.name
    org.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        assert page.post("/settings/organization/", {
            **form(org), "logo": SimpleUploadedFile("logo.jpg", image("JPEG"))}).status_code == 302
    assert not memory.exists(old)  # the replaced logo is gone from the store


def mail(attachment: bytes) -> bytes:
    mime = Mime()
    mime["From"] = "Ana Cliente <ana@cliente.es>"
    mime["To"] = "soporte@acme.test"
    mime["Subject"] = "Albarán"
    mime["Message-ID"] = "<albaran-1@cliente.es>"
    mime["Date"] = "Mon, 07 Dec 2026 10:00:00 +0100"
    mime.set_content("Adjunto el albarán.")
    mime.add_attachment(attachment, maintype="application", subtype="pdf",
                        filename="albaran.pdf")
    return mime.as_bytes()


@pytest.mark.django_db
def test_inbound_mail_and_its_attachment_are_kept_in_the_store(memory, client, page, admin,
                                                               other_admin):
    with as_user(admin):
        mailbox = mailing.mailbox_create(actor=admin, data={
            "name": "Soporte", "address": "soporte@acme.test"})
        token = mailing.mailbox_token_rotate(actor=admin, mailbox=mailbox)
    pdf = b"%PDF-1.4 albaran \x00\x01"
    raw = mail(pdf)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    answer = client.post("/inbound/email/", raw, content_type="message/rfc822", **auth)
    assert answer.status_code == 202 and answer.json()["outcome"] == "stored"
    garbage = client.post("/inbound/email/", b"\x00\x01 not mail",
                          content_type="message/rfc822", **auth)
    assert garbage.json()["outcome"] == "rejected"
    with organization_scope(admin.organization):
        message = EmailMessage.objects.get()
        attachment = Attachment.objects.get()
        rejected = RejectedMessage.objects.get()
    assert stored(message.raw_path) == raw  # the original, kept as received
    assert stored(rejected.raw_path) == b"\x00\x01 not mail"
    url = reverse("interactions:attachment", kwargs={"uuid": attachment.uuid})
    served = page.get(url)
    assert served.status_code == 200 and body(served) == pdf
    page.force_login(other_admin)
    assert page.get(url).status_code == 404


@pytest.mark.django_db
def test_a_letter_campaign_pdf_is_generated_into_the_store_and_downloaded(memory, page, admin):
    camp = campaign(admin, channel="letter", subject="Oferta",
                    body="Estimada {{ contact.first_name }}:")
    account, contact = customer(admin, name="Textiles Norte SL", first_name="Marta",
                                consents=("post",))
    recipient(camp, contact, account)
    with as_user(admin):
        row = letters.deliver(camp)
    generated = stored(row.file.name)
    served = page.get(reverse("marketing:campaign_letters", kwargs={"uuid": camp.uuid}))
    assert served.status_code == 200 and body(served) == generated
    pages, text = pdf_text(generated)
    assert pages == 1 and "Estimada Marta:" in text


# ---- settings ----------------------------------------------------------------------------------


PRINT_DEFAULT = "import json, vinculo.settings as s; print(json.dumps(s.STORAGES['default']))"


def settings_of(env: dict[str, str], code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], env={**os.environ, **env},
                          capture_output=True, text=True, timeout=60)


def test_the_default_is_the_data_directory():
    done = settings_of({"VINCULO_FILE_STORAGE": "", "VINCULO_FILE_STORAGE_OPTIONS": ""},
                       PRINT_DEFAULT)
    assert json.loads(done.stdout) == {
        "BACKEND": "vinculo.core.files.PrivateStorage",
        "OPTIONS": {"backend": "django.core.files.storage.FileSystemStorage"}}, done.stderr


def test_the_environment_chooses_the_backend_and_its_options():
    options = {"bucket_name": "vinculo", "endpoint_url": "https://s3.example.com"}
    done = settings_of({"VINCULO_FILE_STORAGE": "storages.backends.s3.S3Storage",
                        "VINCULO_FILE_STORAGE_OPTIONS": json.dumps(options)},
                       PRINT_DEFAULT)
    assert json.loads(done.stdout) == {
        "BACKEND": "vinculo.core.files.PrivateStorage",
        "OPTIONS": {"backend": "storages.backends.s3.S3Storage", **options}}, done.stderr


@pytest.mark.parametrize(("value", "message"), [
    ("{bucket", "VINCULO_FILE_STORAGE_OPTIONS must be a JSON object:"),
    ('["vinculo"]', "VINCULO_FILE_STORAGE_OPTIONS must be a JSON object, such as"),
    ('{"backend": "x"}', "VINCULO_FILE_STORAGE_OPTIONS may not set 'backend'"),
])
def test_bad_options_stop_the_start_naming_the_variable(value, message):
    done = settings_of({"VINCULO_FILE_STORAGE_OPTIONS": value}, "import vinculo.settings")
    assert done.returncode != 0 and message in done.stderr, done.stderr


@pytest.mark.parametrize(("env", "message"), [
    ({"VINCULO_FILE_STORAGE": "storages.backends.nowhere.Bucket"},
     "VINCULO_FILE_STORAGE names 'storages.backends.nowhere.Bucket', which cannot be imported"),
    ({"VINCULO_FILE_STORAGE": "collections.OrderedDict"},
     "VINCULO_FILE_STORAGE names 'collections.OrderedDict', which is not a Django storage"),
    ({"VINCULO_FILE_STORAGE": MEMORY, "VINCULO_FILE_STORAGE_OPTIONS": '{"bucket_name": "x"}'},
     f"VINCULO_FILE_STORAGE_OPTIONS do not suit {MEMORY}"),
])
def test_a_backend_that_cannot_be_built_fails_the_system_check(env, message, tmp_path):
    """``vinculo serve`` runs the system checks before it starts: it stops with the message."""
    done = subprocess.run([sys.executable, "-m", "django", "check"], capture_output=True,
                          text=True, timeout=120, env={
                              **os.environ, **env, "DJANGO_SETTINGS_MODULE": "vinculo.settings",
                              "VINCULO_DATA_DIR": str(tmp_path)})
    assert done.returncode != 0
    assert "vinculo.E001" in done.stderr and message in done.stderr, done.stderr
