"""Import errors that name their line: oversized cells, in-file duplicates."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

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
