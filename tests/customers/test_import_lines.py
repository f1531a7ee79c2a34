"""Import errors that name their line: oversized cells, in-file duplicates."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from vinculo.core.models import AuditEntry
from vinculo.core.tenancy import organization_scope
from vinculo.customers.imports import services as importing
from vinculo.customers.models import Contact, ImportJob, ImportStatus, Lead


@pytest.fixture(autouse=True)
def _media_and_tasks(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


def run(actor, content: str, *, target="contact", dry_run=False, **options) -> ImportJob:
    job = importing.import_job_create(actor=actor, target=target,
                                      file=SimpleUploadedFile("p.csv", content.encode()),
                                      **options)
    return importing.import_job_start(actor=actor, job=job, dry_run=dry_run)


HUGE = "x" * (200 * 1024)
OVERSIZED = (f"Nombre,Correo,Notas\nAna,ana@x.es,corta\nBea,bea@x.es,{HUGE}\n"
             "Carla,carla@x.es,\n")
OVERSIZED_ERROR = {"line": 3, "field": "notes",
                   "message": "The column “Notas” holds 200 KiB; a cell may hold at most "
                              "128 KiB.",
                   "text": "line 3, notes: The column “Notas” holds 200 KiB; a cell may hold "
                           "at most 128 KiB."}


# ---- a cell over 128 KiB ---------------------------------------------------------------------


def test_a_cell_over_128_kib_is_an_error_naming_line_and_column_through_the_api(api, admin):
    response = api.post("/api/imports/", {
        "target": "lead", "file": SimpleUploadedFile("p.csv", OVERSIZED.encode())},
        format="multipart")
    assert response.status_code == 201, response.content[:300]
    body = response.json()
    assert (body["status"], body["created_count"], body["total_rows"]) == ("done", 2, 3)
    assert body["errors"] == [OVERSIZED_ERROR]
    with organization_scope(admin.organization):
        assert sorted(Lead.objects.values_list("email", flat=True)) == [
            "ana@x.es", "carla@x.es"]


def test_a_cell_over_128_kib_with_all_or_nothing_writes_nothing(as_admin):
    before = (Lead.objects.count(), AuditEntry.objects.count())
    job = run(as_admin, OVERSIZED, target="lead", all_or_nothing=True)
    assert job.status == ImportStatus.DONE
    assert job.errors == [OVERSIZED_ERROR]
    assert (job.created_count, Lead.objects.count(), AuditEntry.objects.count()) == (
        0, *before)


def test_a_cell_over_128_kib_on_the_upload_page_is_not_a_server_error(page, admin):
    response = page.post(reverse("customers:import_start"), {
        "target": "lead", "file": SimpleUploadedFile("p.csv", OVERSIZED.encode())})
    assert response.status_code == 302
    job = ImportJob.all_objects.get()
    response = page.post(reverse("customers:import_mapping", args=[job.uuid]), {
        **{f"col_{i}": key for i, key in enumerate(["first_name", "email", "notes"])},
        "duplicate_mode": "skip", "action": "preview"}, follow=True)
    assert response.status_code == 200
    job.refresh_from_db()
    assert job.errors == [OVERSIZED_ERROR]


# ---- duplicates named by their line ----------------------------------------------------------

DUPLICATES = (
    "Nombre;Apellidos;Correo;Teléfono\n"
    "Ana;;ana@example.es;\n"           # 2: the existing Ana
    "Bea;;bea@example.es;600 222 333\n"  # 3: new
    "Carla;;carla@example.es;\n"       # 4: new
    "Bea;Gil;;600222333\n"             # 5: line 3 again, by phone
    "Carla;Ruiz;CARLA@example.es;\n"   # 6: line 4 again, by e-mail
)


@pytest.fixture
def ana(as_admin):
    from vinculo.customers import services

    return services.contact_create(actor=as_admin, data={
        "first_name": "Ana", "last_name": "López", "email": "ana@example.es"})


def test_skipped_duplicates_name_the_line_or_record_they_duplicate(as_admin, ana):
    job = run(as_admin, DUPLICATES, duplicate_mode="skip")
    assert (job.created_count, job.skipped_count, job.errors) == (2, 3, [])
    assert [d["text"] for d in job.duplicates] == [
        "line 2 duplicates the existing record “Ana López”: skipped",
        "line 5 duplicates line 3: skipped",
        "line 6 duplicates line 4: skipped"]
    assert job.duplicates[1] == {"line": 5, "duplicate_of_line": 3, "duplicate_of_record": None,
                                 "skipped": True, "text": "line 5 duplicates line 3: skipped"}


def test_merged_duplicates_are_named_too_and_the_preview_shows_them(as_admin, ana, page):
    job = run(as_admin, DUPLICATES, duplicate_mode="update", dry_run=True)
    assert [d["text"] for d in job.duplicates] == [
        "line 2 duplicates the existing record “Ana López”: updated",
        "line 5 duplicates line 3: merged into it",
        "line 6 duplicates line 4: merged into it"]
    assert Contact.objects.count() == 1
    body = page.get(reverse("customers:import_detail", args=[job.uuid])).content.decode()
    assert "line 5 duplicates line 3: merged into it" in body


def test_the_api_and_the_spanish_page_name_the_lines(api, admin, page):
    response = api.post("/api/imports/", {
        "target": "contact", "file": SimpleUploadedFile("p.csv", DUPLICATES.encode())},
        format="multipart")
    body = response.json()
    assert [(d["line"], d["duplicate_of_line"]) for d in body["duplicates"]] == [(5, 3), (6, 4)]
    page.cookies["django_language"] = "es"
    with translation.override("en"):  # the language the request activates ends with it
        html = page.get(reverse("customers:import_detail", args=[body["id"]]),
                        HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "línea 5 duplica la línea 3: omitida" in html
