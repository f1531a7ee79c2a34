"""Files attached to records: upload, list, download and removal through the record's checks,
the size limit, the record page's panel, the timeline, the event and the audit log."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.attachments.factories import attach, upload
from tests.conftest import token_client
from tests.core.factories import as_user
from tests.customers.factories import AccountFactory, ContactFactory, LeadFactory
from tests.sales.factories import OpportunityFactory, OrderFactory, QuoteFactory
from tests.service.factories import QueueFactory, TicketFactory
from vinculo.attachments.models import RecordFile
from vinculo.core import events
from vinculo.core.models import AuditEntry
from vinculo.core.roles import Role

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def ref(record) -> str:
    return f"{record._meta.label_lower}:{record.uuid}"


def panel_url(record) -> str:
    return f"{reverse('attachments:file_panel')}?record={ref(record)}"


def body(response) -> bytes:
    return b"".join(response.streaming_content)


def stored(settings) -> list:
    root = settings.MEDIA_ROOT
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_upload_on_the_page_then_list_and_download(client, admin, settings):
    account = AccountFactory(actor=admin, name="Textil Sol SL")
    client.force_login(admin)
    with events.recording() as published:
        response = client.post(panel_url(account), {"file": upload("Oferta 2026.pdf", b"PDF!")},
                               **HTMX)
    assert response.status_code == 200
    row = RecordFile.all_objects.get()
    assert "Oferta 2026.pdf" in response.content.decode()
    assert [e.name for e in published] == ["attachment.added"]
    assert published[0].data["record"] == str(account.uuid)
    # listed on the panel, downloaded with its own name and bytes
    assert "Oferta 2026.pdf" in client.get(panel_url(account)).content.decode()
    download = client.get(reverse("attachments:file_download", kwargs={"uuid": row.uuid}))
    assert download.status_code == 200 and body(download) == b"PDF!"
    assert "Oferta 2026.pdf" in download["Content-Disposition"]
    assert download["Content-Disposition"].startswith("attachment")
    # stored under a name nobody can guess, never the uploaded one
    assert "Oferta" not in row.file.name and row.file.name.startswith(
        f"files/{admin.organization_id}/")
    # audited, without the internal path
    entry = AuditEntry.all_objects.get(object_type="attachments.recordfile", action="create")
    assert "filename" in entry.changes and "file" not in entry.changes


def test_a_plain_form_post_goes_back_to_the_record(client, admin):
    account = AccountFactory(actor=admin)
    client.force_login(admin)
    response = client.post(panel_url(account), {"file": upload()})
    assert response.status_code == 302
    assert response["Location"] == reverse("customers:account_detail",
                                           kwargs={"uuid": account.uuid})


@pytest.mark.parametrize("make", ["account", "contact", "lead", "opportunity", "quote", "order",
                                  "ticket"])
def test_every_record_page_shows_the_files_and_comments_panels(client, admin, make):
    builders = {
        "account": lambda: AccountFactory(actor=admin),
        "contact": lambda: ContactFactory(actor=admin),
        "lead": lambda: LeadFactory(actor=admin, company_name="Sol SL"),
        "opportunity": lambda: OpportunityFactory(actor=admin),
        "quote": lambda: QuoteFactory(actor=admin),
        "order": lambda: OrderFactory(actor=admin),
        "ticket": lambda: (QueueFactory(actor=admin), TicketFactory(actor=admin))[1],
    }
    record = builders[make]()
    client.force_login(admin)
    detail = reverse(f"{record._meta.app_label}:{record._meta.model_name}_detail",
                     kwargs={"uuid": record.uuid})
    page = client.get(detail).content.decode()
    assert f'hx-get="{reverse("attachments:file_panel")}?record=' in page
    assert f'hx-get="{reverse("attachments:comment_panel")}?record=' in page
    attach(admin, record, "plano.dwg")
    assert "plano.dwg" in client.get(panel_url(record)).content.decode()


def test_a_representative_who_cannot_see_the_account_cannot_see_its_files(client, users):
    admin, rep, south = users[Role.ADMIN], users[Role.SALES_REP], users["sales_rep_south"]
    theirs = AccountFactory(actor=admin, owner=south, team=south.team)
    mine = AccountFactory(actor=admin, owner=rep, team=rep.team)
    hidden, seen = attach(admin, theirs, "secreto.pdf"), attach(admin, mine, "mio.pdf")
    client.force_login(rep)
    assert client.get(panel_url(theirs)).status_code == 404
    assert client.get(reverse("attachments:file_download",
                              kwargs={"uuid": hidden.uuid})).status_code == 404
    assert client.get(reverse("attachments:file_download",
                              kwargs={"uuid": seen.uuid})).status_code == 200
    assert client.post(panel_url(theirs), {"file": upload()}, **HTMX).status_code == 404
    api = token_client(rep)
    listed = {row["filename"] for row in api.get("/api/files/").json()["results"]}
    assert listed == {"mio.pdf"}
    assert api.get(f"/api/files/{hidden.uuid}/download/").status_code == 404
    refused = api.post("/api/files/", {"record": ref(theirs), "file": upload()},
                       format="multipart")
    assert refused.status_code == 400 and "record" in refused.json()
    assert RecordFile.all_objects.count() == 2


def test_another_organisation_and_anonymous_users_get_nothing(client, admin, other_admin):
    account = AccountFactory(actor=admin)
    row = attach(admin, account)
    url = reverse("attachments:file_download", kwargs={"uuid": row.uuid})
    anonymous = client.get(url)
    assert anonymous.status_code == 302 and "/login/" in anonymous["Location"]
    client.force_login(other_admin)
    assert client.get(url).status_code == 404
    assert client.get(panel_url(account)).status_code == 404
    api = token_client(other_admin)
    assert api.get(f"/api/files/{row.uuid}/").status_code == 404
    assert api.get(f"/api/files/{row.uuid}/download/").status_code == 404
    assert api.get("/api/files/").json()["results"] == []


def test_a_file_over_the_limit_is_refused_naming_the_field(client, api, admin, settings):
    settings.MAX_UPLOAD_BYTES = 2**20
    big = b"x" * (2**20 + 1)
    account = AccountFactory(actor=admin)
    response = api.post("/api/files/", {"record": ref(account), "file": upload("grande.zip", big)},
                        format="multipart")
    assert response.status_code == 400
    assert response.json()["file"] == ["The file is 1.0 MB; files may be at most 1 MB."]
    client.force_login(admin)
    page = client.post(panel_url(account), {"file": upload("grande.zip", big)}, **HTMX)
    assert "files may be at most 1 MB" in page.content.decode()
    # nothing half-written: no row, no stored bytes
    assert RecordFile.all_objects.count() == 0 and stored(settings) == []
    empty = api.post("/api/files/", {"record": ref(account), "file": upload("v.txt", b"")},
                     format="multipart")
    assert empty.status_code == 400 and "file" in empty.json()


def test_the_limit_is_a_setting_in_megabytes(settings):
    from vinculo.attachments.services import max_upload_bytes

    settings.MAX_UPLOAD_BYTES = 3 * 2**20
    assert max_upload_bytes() == 3 * 2**20


def test_api_upload_list_per_record_download_and_delete(api, admin, settings,
                                                        django_capture_on_commit_callbacks):
    account, other = AccountFactory(actor=admin), AccountFactory(actor=admin)
    attach(admin, other, "otra.pdf")
    created = api.post("/api/files/", {"record": ref(account),
                                       "file": upload("contrato.pdf", b"PDF contrato")},
                       format="multipart")
    assert created.status_code == 201, created.content
    data = created.json()
    assert data["filename"] == "contrato.pdf" and data["size"] == 12
    assert data["record"] == ref(account)
    listed = api.get("/api/files/", {"record": ref(account)}).json()["results"]
    assert [row["filename"] for row in listed] == ["contrato.pdf"]
    assert api.get("/api/files/", {"record": "customers.account:nope"}).status_code == 400
    download = api.get(f"/api/files/{data['id']}/download/")
    assert download.status_code == 200 and body(download) == b"PDF contrato"
    assert len(stored(settings)) == 2
    with django_capture_on_commit_callbacks(execute=True):
        assert api.delete(f"/api/files/{data['id']}/").status_code == 204
    assert not RecordFile.all_objects.filter(uuid=data["id"]).exists()
    assert len(stored(settings)) == 1  # the bytes went with the row


def test_only_the_uploader_or_a_manager_removes_a_file(users):
    admin, rep, mate = users[Role.ADMIN], users[Role.SALES_REP], users["sales_rep_2"]
    account = AccountFactory(actor=admin, owner=rep, team=rep.team)
    row = attach(rep, account)
    assert token_client(mate).delete(f"/api/files/{row.uuid}/").status_code == 403
    assert token_client(users[Role.SALES_MANAGER]).delete(
        f"/api/files/{row.uuid}/").status_code == 204
    mine = attach(mate, account)
    assert token_client(mate).delete(f"/api/files/{mine.uuid}/").status_code == 204


def test_files_show_on_the_account_timeline(client, admin):
    account = AccountFactory(actor=admin)
    row = attach(admin, account, "catalogo.pdf")
    from vinculo.core.timeline import for_record

    with as_user(admin):
        items = for_record(account)
    assert any(i.kind == "attachment" and "catalogo.pdf" in i.title for i in items)
    client.force_login(admin)
    page = client.get(reverse("customers:account_detail", kwargs={"uuid": account.uuid}))
    assert reverse("attachments:file_download", kwargs={"uuid": row.uuid}) in (
        page.content.decode())


def test_deleting_the_record_takes_its_files(admin, settings,
                                             django_capture_on_commit_callbacks):
    account = AccountFactory(actor=admin)
    attach(admin, account)
    from vinculo.customers import services as customers

    with as_user(admin), django_capture_on_commit_callbacks(execute=True):
        customers.account_delete(actor=admin, account=account)
    assert RecordFile.all_objects.count() == 0 and stored(settings) == []


def test_the_account_timeline_shows_files_of_its_opportunities_and_tickets(admin):
    from vinculo.core.timeline import for_record

    account, elsewhere = AccountFactory(actor=admin), AccountFactory(actor=admin)
    opportunity = OpportunityFactory(actor=admin, account=account, name="Trato Sol")
    QueueFactory(actor=admin)
    ticket = TicketFactory(actor=admin, account=account, subject="Rotura")
    attach(admin, opportunity, "propuesta.pdf")
    attach(admin, ticket, "foto.jpg")
    attach(admin, OpportunityFactory(actor=admin, account=elsewhere), "ajeno.pdf")
    with as_user(admin):
        titles = [i.title for i in for_record(account) if i.kind == "attachment"]
    assert sorted(titles) == ["File attached: foto.jpg (ticket " + str(ticket) + ")",
                              "File attached: propuesta.pdf (opportunity Trato Sol)"]


def test_the_panel_offers_removal_only_of_what_one_may_remove(client, users,
                                                              django_capture_on_commit_callbacks):
    admin, rep, mate = users[Role.ADMIN], users[Role.SALES_REP], users["sales_rep_2"]
    account = AccountFactory(actor=admin, owner=rep, team=rep.team)
    mine, theirs = attach(rep, account, "mio.pdf"), attach(mate, account, "suyo.pdf")
    client.force_login(rep)
    html = client.get(panel_url(account)).content.decode()
    assert reverse("attachments:file_delete", kwargs={"uuid": mine.uuid}) in html
    assert reverse("attachments:file_delete", kwargs={"uuid": theirs.uuid}) not in html
    assert client.post(reverse("attachments:file_delete",
                               kwargs={"uuid": theirs.uuid})).status_code == 403
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("attachments:file_delete", kwargs={"uuid": mine.uuid}),
                               **HTMX)
    assert response.status_code == 200 and "mio.pdf" not in response.content.decode()
    assert list(RecordFile.all_objects.values_list("filename", flat=True)) == ["suyo.pdf"]
