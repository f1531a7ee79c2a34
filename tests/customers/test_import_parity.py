"""The bulk path of an import gives exactly what the services give, audit log included."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.conftest import make_user
from vinculo.core.audit import acting_as
from vinculo.core.models import AuditEntry, Organization
from vinculo.core.roles import Role
from vinculo.core.services import custom_field_create
from vinculo.core.tenancy import organization_scope
from vinculo.customers.imports import running
from vinculo.customers.imports import services as importing

FILES = {
    "contact": (
        "Nombre;Apellidos;Correo;Otros correos;Teléfono;Móvil;Cargo;Idioma;Etapa;Origen;"
        "Etiquetas;Nivel\n"
        "José;Núñez;JOSE@Example.es;j2@x.es, j3@x.es;910 000 001;+34 600 111 222;CTO;es;"
        "Customer;referral;vip, madrid;oro\n"
        "Ana;;ana@x.es;;;;;English;;;;\n"
        ";Solo;;;;612345678;;;;;b2b;plata\n"
    ),
    "account": (
        "Empresa;NIF;Particular;Sector;Tamaño;Web;Correo;Teléfono;Dirección;Ciudad;CP;"
        "Provincia;País;Etapa;Etiquetas;Nivel\n"
        "Talleres Ruiz SL;b-12345674;no;Motor;10-49;https://ruiz.example;INFO@ruiz.es;"
        "910000001;Calle 1;Madrid;28001;Madrid;es;Customer;vip;oro\n"
        "Ana Gil;12345678Z;sí;;;;;;;;;;;;;\n"
    ),
    "lead": (
        "Nombre;Apellidos;Correo;Teléfono;Cargo;Empresa;NIF;Web;Origen;Estado;Puntuación;Notas;"
        "Etiquetas;Nivel\n"
        "Luis;Mar;luis@x.es;600111222;CEO;Mar SL;B12345674;https://mar.example;web;Qualified;"
        "40;Llamar el lunes;feria;oro\n"
        "Eva;;;;;;;;;;;;;\n"
    ),
}
IGNORED = {"id", "uuid", "organization", "organization_id", "owner", "owner_id", "created_at",
           "updated_at"}


def _rows(model) -> list[dict]:
    rows = []
    for record in model.objects.order_by("created_at", "id"):
        data = {f.attname: getattr(record, f.attname) for f in model._meta.concrete_fields
                if f.attname not in IGNORED}
        data["tags"] = sorted(record.tags.values_list("name", flat=True))
        rows.append(data)
    return sorted(rows, key=repr)


def _audit(model) -> list[tuple]:
    entries = []
    for entry in AuditEntry.objects.filter(object_type=model._meta.label_lower):
        changes = {k: v for k, v in entry.changes.items() if k not in IGNORED}
        entries.append((entry.action, entry.actor_label.split(" ")[0], entry.object_repr,
                        repr(sorted(changes.items()))))
    return sorted(entries)


def _import(org, admin, target: str, bulk_threshold: int, monkeypatch) -> tuple[list, list]:
    monkeypatch.setattr(running, "BULK_THRESHOLD", bulk_threshold)
    model = importing.TARGETS[target].model
    with organization_scope(org), acting_as(admin):
        custom_field_create(organization=org, model=target, key="nivel", label="Nivel",
                            type="choice", choices=["oro", "plata"])
        job = importing.import_job_create(
            actor=admin, target=target,
            file=SimpleUploadedFile("f.csv", FILES[target].encode()), dry_run=False)
        job = importing.import_job_execute(job=job, actor=admin)
        assert job.errors == [] and job.created_count == FILES[target].count("\n") - 1
        return _rows(model), _audit(model)


@pytest.mark.parametrize("target", ["contact", "account", "lead"])
def test_bulk_path_equals_service_path(db, target, monkeypatch, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    org_a = Organization.objects.create(name="A", country="ES")
    org_b = Organization.objects.create(name="B", country="ES")
    admin_a = make_user(org_a, Role.ADMIN, "a@a.test")
    admin_b = make_user(org_b, Role.ADMIN, "b@b.test")
    through_services = _import(org_a, admin_a, target, 1000, monkeypatch)
    bulk = _import(org_b, admin_b, target, 0, monkeypatch)
    assert bulk[0] == through_services[0]
    assert bulk[1] == through_services[1]
    assert len(bulk[0]) >= 2 and any(row["tags"] for row in bulk[0])

