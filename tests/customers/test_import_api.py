"""POST /api/imports/ and GET /api/imports/{id}/ (``customers/imports/api.py``)."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.conftest import token_client
from vinculo.core.roles import Role
from vinculo.core.tenancy import organization_scope
from vinculo.customers.imports import services as importing
from vinculo.customers.models import Contact, ImportJob


@pytest.fixture(autouse=True)
def _media_and_tasks(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


def csv_file(text: str, name: str = "p.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode("utf-8"))


def test_create_runs_small_import_and_returns_the_job(api, admin):
    response = api.post("/api/imports/", {
        "target": "contact", "file": csv_file("Nombre;Correo\nAna;ana@x.es\nBea;bad@\n"),
        "duplicate_mode": "skip"}, format="multipart")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "done" and body["dry_run"] is False
    assert (body["created_count"], body["total_rows"], body["progress"]) == (1, 2, 100)
    assert body["errors"] == [{"line": 3, "field": "email",
                               "message": "Enter a valid e-mail address.",
                               "text": "line 3, email: Enter a valid e-mail address."}]
    assert body["mapping"] == {"Nombre": "first_name", "Correo": "email"}
    response = api.get(f"/api/imports/{body['id']}/")
    assert response.status_code == 200 and response.json()["id"] == body["id"]
    with organization_scope(admin.organization):
        assert list(Contact.objects.values_list("email", flat=True)) == ["ana@x.es"]


def test_explicit_mapping_and_dry_run(api, admin):
    response = api.post("/api/imports/", {
        "target": "contact", "file": csv_file("A,B\nAna,ana@x.es\n"),
        "mapping": json.dumps({"A": "first_name", "B": "email"}), "dry_run": "true"},
        format="multipart")
    assert response.status_code == 201, response.json()
    assert (response.json()["created_count"], response.json()["dry_run"]) == (1, True)
    with organization_scope(admin.organization):
        assert Contact.objects.count() == 0


@pytest.mark.parametrize(("data", "field", "message"), [
    ({"target": "account", "file": "Correo\na@b.es\n"}, "mapping", "No column is mapped"),
    ({"target": "contact", "file": ""}, "file", "The file is empty."),
    ({"target": "contact", "file": "A\nx\n", "mapping": "[1]"}, "mapping", "JSON object"),
])
def test_bad_requests_name_the_field(api, data, field, message):
    data = dict(data)
    data["file"] = SimpleUploadedFile("x.csv", data["file"].encode()) if data["file"] else \
        SimpleUploadedFile("x.csv", b" ")
    response = api.post("/api/imports/", data, format="multipart")
    assert response.status_code == 400
    assert message in " ".join(response.json()[field])
    assert ImportJob.all_objects.count() == 0


@pytest.mark.django_db(transaction=True)  # the real worker commits and closes connections
def test_large_import_is_queued_and_polled(api, admin, task_queue):
    rows = "\n".join(f"P{i},p{i}@x.es" for i in range(importing.INLINE_LIMIT + 5))
    response = api.post("/api/imports/", {"target": "contact",
                                          "file": csv_file("Nombre,Correo\n" + rows)},
                        format="multipart")
    assert response.status_code == 201
    assert response.json()["status"] == "pending"
    assert api.get(f"/api/imports/{response.json()['id']}/").json()["status"] == "pending"
    task_queue.run()
    body = api.get(f"/api/imports/{response.json()['id']}/").json()
    assert (body["status"], body["created_count"], body["progress"]) == (
        "done", importing.INLINE_LIMIT + 5, 100)


def test_other_users_and_organisations_get_404(api, users, other_admin):
    job_id = api.post("/api/imports/", {"target": "lead", "file": csv_file("Nombre\nAna\n")},
                      format="multipart").json()["id"]
    for intruder in (other_admin, users[Role.SALES_MANAGER]):
        client = token_client(intruder)
        assert client.get(f"/api/imports/{job_id}/").status_code == 404
        assert client.get("/api/imports/").json()["results"] == []


@pytest.mark.parametrize("role", [Role.READ_ONLY, Role.SALES_REP])
def test_roles_without_import_permission_get_403(users, role):
    client = token_client(users[role])
    response = client.post("/api/imports/", {"target": "contact",
                                             "file": csv_file("Nombre\nAna\n")},
                           format="multipart")
    assert response.status_code == 403
    assert ImportJob.all_objects.count() == 0
