"""Files on portal tickets: attached through the attachments app when opening or replying,
within staff's limits (nothing written when one is refused), downloadable by the account's
own portal users only; what staff attach stays internal."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.core.factories import as_user
from tests.portal.factories import portal_user, signed_in
from tests.service.factories import QueueFactory
from vinculo.attachments import selectors as attachments
from vinculo.attachments import services as attachment_services
from vinculo.attachments.models import RecordFile
from vinculo.core.tenancy import organization_scope
from vinculo.interactions.models import Interaction
from vinculo.service.models import Ticket


def _file(name: str, content: bytes = b"contenido", kind: str = "text/plain"):
    return SimpleUploadedFile(name, content, kind)


@pytest.mark.django_db
def test_files_go_with_a_new_ticket_and_a_reply_and_only_the_account_downloads_them(
        admin, settings):
    with as_user(admin):
        QueueFactory(actor=admin)
    user = portal_user(admin, language="en")
    client = signed_in(user)
    response = client.post("/portal/tickets/new/", {
        "subject": "Pantalla rota", "description": "Adjunto fotos",
        "files": [_file("foto.png", b"PNG-1", "image/png"), _file("nota.txt", b"NOTA-2")]})
    assert response.status_code == 302, response.content
    with organization_scope(admin.organization_id):
        ticket = Ticket.objects.get(subject="Pantalla rota")
        assert sorted(attachments.files_of(ticket).values_list("filename", flat=True)) == [
            "foto.png", "nota.txt"]  # staff see them on the ticket's files panel
    url = f"/portal/tickets/{ticket.uuid}/"
    assert client.post(url, {"body": "Otra más", "files": [_file("log.txt", b"LOG-3")]}
                       ).status_code == 302
    with as_user(admin):  # staff's own file on the ticket: internal
        staff_file = attachment_services.file_attach(
            actor=admin, record=ticket, upload=_file("interno.txt", b"INTERNO"))
    page = client.get(url).content.decode()
    assert "foto.png" in page and "log.txt" in page and "interno.txt" not in page
    with organization_scope(admin.organization_id):
        sent = RecordFile.objects.get(filename="log.txt")
    download = client.get(f"/portal/tickets/files/{sent.uuid}/")
    assert download.status_code == 200 and b"".join(download.streaming_content) == b"LOG-3"
    assert download["Content-Disposition"].startswith("attachment")
    assert download["X-Content-Type-Options"] == "nosniff"
    assert client.get(f"/portal/tickets/files/{staff_file.uuid}/").status_code == 404

    # another account's portal user of the same organisation: a 404, as for a stranger's
    neighbour = signed_in(portal_user(admin, first_name="Nuria"))
    assert neighbour.get(f"/portal/tickets/files/{sent.uuid}/").status_code == 404
    assert neighbour.get(url).status_code == 404


@pytest.mark.django_db
def test_a_refused_file_leaves_nothing_written(admin, settings):
    with as_user(admin):
        QueueFactory(actor=admin)
    user = portal_user(admin, language="en")
    client = signed_in(user)
    settings.MAX_UPLOAD_BYTES = 20
    cases = [
        ([_file("bien.txt"), _file("grande.bin", b"x" * 21)], "grande.bin is 0.0 MB"),
        ([_file("vacio.txt", b"")], "vacio.txt is empty"),
        ([_file(f"f{k}.txt") for k in range(6)], "at most 5 files"),
    ]
    for files, message in cases:
        response = client.post("/portal/tickets/new/", {"subject": "Con ficheros",
                                                       "files": files})
        assert response.status_code == 400 and message in response.content.decode(), message
    with organization_scope(admin.organization_id):
        assert not Ticket.objects.filter(subject="Con ficheros").exists()
        assert not RecordFile.objects.exists()
    response = client.post("/portal/tickets/new/", {"subject": "Con ficheros"})
    assert response.status_code == 302
    with organization_scope(admin.organization_id):
        ticket = Ticket.objects.get(subject="Con ficheros")
    response = client.post(f"/portal/tickets/{ticket.uuid}/", {
        "body": "Va otro", "files": [_file("grande.bin", b"x" * 21)]})
    assert response.status_code == 400 and "at most" in response.content.decode()
    with organization_scope(admin.organization_id):
        assert not RecordFile.objects.exists()
        assert not Interaction.objects.filter(notes="Va otro").exists()  # no reply either
