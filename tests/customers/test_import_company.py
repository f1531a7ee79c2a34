"""The contact import's company column: each contact joins its account, found by name or tax
id, or created from the name; the preview says which accounts will be created."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from vinculo.core.models import AuditEntry
from vinculo.customers import services
from vinculo.customers.imports import running
from vinculo.customers.imports import services as importing
from vinculo.customers.models import Account, AccountContact, Contact, ImportJob


@pytest.fixture(autouse=True)
def _media_and_tasks(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


def run(actor, content: str, *, dry_run=False, **options) -> ImportJob:
    job = importing.import_job_create(actor=actor, target="contact",
                                      file=SimpleUploadedFile("p.csv", content.encode()),
                                      **options)
    return importing.import_job_start(actor=actor, job=job, dry_run=dry_run)


CONTENT = (
    "Nombre,Correo,Empresa\n"
    "Ana,ana@x.es,B12345674\n"                 # 2: the existing account, by tax id
    "Bea,bea@x.es,Talleres Ruiz S.L.\n"         # 3: the same account, by a close name
    "Carla,carla@x.es,Distribuciones 3000\n"    # 4: new account (2000 is another company)
    "Dora,dora@x.es,distribuciones  3000\n"     # 5: the account line 4 creates
    "Eva,eva@x.es,\n"                           # 6: no company
    "Fran,fran@x.es,B-99999999\n"               # 7: a tax id no account has
)


@pytest.fixture
def accounts(as_admin):
    ruiz = services.account_create(actor=as_admin, data={"name": "Talleres Ruiz SL",
                                                         "tax_id": "B12345674"})
    dos_mil = services.account_create(actor=as_admin, data={"name": "Distribuciones 2000"})
    return ruiz, dos_mil


def test_the_company_column_is_suggested_from_its_header():
    assert importing.suggest_mapping("contact", ["Nombre", "Empresa"]) == {
        "Nombre": "first_name", "Empresa": "company"}
    assert importing.suggest_mapping("contact", ["Company"])["Company"] == "company"


def memberships() -> dict[str, str]:
    return dict(AccountContact.objects.values_list("contact__email", "account__name"))


@pytest.mark.parametrize("bulk_threshold", [1000, 0])
def test_contacts_join_their_account_found_by_tax_id_or_name_or_created(
        as_admin, accounts, bulk_threshold, monkeypatch):
    monkeypatch.setattr(running, "BULK_THRESHOLD", bulk_threshold)
    job = run(as_admin, CONTENT)
    assert [e["text"] for e in job.errors] == [
        "line 7, company: No account has the tax id “B-99999999”. Write the company's name to "
        "create its account."]
    assert job.created_count == 5
    assert job.new_accounts == [{"line": 4, "name": "Distribuciones 3000"}]
    assert memberships() == {"ana@x.es": "Talleres Ruiz SL", "bea@x.es": "Talleres Ruiz SL",
                             "carla@x.es": "Distribuciones 3000",
                             "dora@x.es": "Distribuciones 3000"}
    assert Account.objects.count() == 3
    assert not Contact.objects.filter(email="fran@x.es").exists()
    new = Account.objects.get(name="Distribuciones 3000")
    assert AuditEntry.objects.filter(object_type="customers.account", object_id=new.pk,
                                     action="create").count() == 1
    assert AuditEntry.objects.filter(object_type="customers.accountcontact",
                                     action="create").count() == 4


def test_the_preview_shows_the_accounts_it_would_create_and_writes_nothing(
        as_admin, accounts, page):
    job = run(as_admin, CONTENT, dry_run=True)
    assert job.new_accounts == [{"line": 4, "name": "Distribuciones 3000"}]
    assert (Account.objects.count(), Contact.objects.count(), AccountContact.objects.count()) \
        == (2, 0, 0)
    body = page.get(reverse("customers:import_detail", args=[job.uuid])).content.decode()
    assert "Accounts that will be created" in body
    assert "Distribuciones 3000 <span class=\"text-body-secondary small\">(first on line 4)" \
        in body


def test_all_or_nothing_with_a_bad_company_creates_no_account(as_admin, accounts):
    before = (Account.objects.count(), AuditEntry.objects.count())
    job = run(as_admin, CONTENT, all_or_nothing=True)
    assert len(job.errors) == 1 and job.new_accounts == []
    assert (Account.objects.count(), AuditEntry.objects.count()) == before
    assert Contact.objects.count() == 0


def test_an_updated_contact_joins_its_account_too(as_admin, accounts):
    services.contact_create(actor=as_admin, data={"first_name": "Ana", "email": "ana@x.es"})
    job = run(as_admin, "Nombre,Correo,Empresa\nAna,ana@x.es,Talleres Ruiz SL\n",
              duplicate_mode="update")
    assert (job.updated_count, job.errors) == (1, [])
    assert memberships() == {"ana@x.es": "Talleres Ruiz SL"}


def test_the_api_answers_the_new_accounts(api, admin):
    response = api.post("/api/imports/", {
        "target": "contact", "dry_run": "true",
        "file": SimpleUploadedFile("p.csv", b"Nombre,Correo,Empresa\nAna,ana@x.es,Nueva SL\n")},
        format="multipart")
    assert response.status_code == 201
    assert response.json()["new_accounts"] == [{"line": 2, "name": "Nueva SL"}]
