"""The one duplicate rule for names: numbers that differ make two records, everywhere it is used
(import, lead conversion, a record's possible duplicates and its API)."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.customers.factories import AccountFactory, LeadFactory
from vinculo.customers import selectors, services
from vinculo.customers.imports import services as importing
from vinculo.customers.models import Account, ImportStatus


@pytest.fixture(autouse=True)
def _media_and_tasks(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


def run(actor, content: str, **options):
    job = importing.import_job_create(actor=actor, target="account",
                                      file=SimpleUploadedFile("a.csv", content.encode()),
                                      **options)
    return importing.import_job_start(actor=actor, job=job, dry_run=False)


@pytest.mark.parametrize(("a", "b"), [
    ("textil sol 0000000 s.l.", "textil sol 0000001 s.l."),
    ("distribuciones 2000", "distribuciones 3000"),
    ("hotel 7 mares", "hotel 8 mares"),
    ("talleres ruiz 2 sl", "talleres ruiz sl"),
])
def test_names_that_differ_in_their_numbers_are_not_alike(a, b):
    assert selectors.name_similarity(a, b) == 0
    assert selectors.names_alike(a, b) is None


@pytest.mark.parametrize(("a", "b"), [
    ("talleres ruiz sl", "talleres ruiz s.l."),
    ("distribuciones 2000 sl", "distribuciones 2000 s.l."),
    ("construcciones garcia 21", "construcciones garcía 21"),
])
def test_true_duplicates_are_still_alike(a, b):
    assert selectors.names_alike(a, b) is not None


@pytest.mark.django_db
def test_import_of_10000_companies_differing_only_in_digits_keeps_all_of_them(
        as_admin, django_capture_on_commit_callbacks):
    names = [f"Textil Sol {n:07d} S.L." for n in range(10_000)]
    with django_capture_on_commit_callbacks(execute=True):  # the background task runs it
        job = run(as_admin, "Empresa\n" + "\n".join(names) + "\n", duplicate_mode="skip")
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE, job.errors
    assert (job.created_count, job.skipped_count, job.errors) == (10_000, 0, [])
    assert Account.objects.count() == 10_000
    assert set(Account.objects.values_list("name", flat=True)) == set(names)


@pytest.mark.django_db
def test_import_still_catches_true_duplicates_by_name(as_admin):
    services.account_create(actor=as_admin, data={"name": "Distribuciones 2000 S.L."})
    content = ("Empresa\nDistribuciones 3000 S.L.\nDistribuciones 2000 SL\n"
               "Textil Sol 0000000 S.L.\nTextil Sol 0000000 SL\n")
    job = run(as_admin, content, duplicate_mode="skip")
    assert (job.created_count, job.skipped_count, job.errors) == (2, 2, [])
    assert sorted(Account.objects.values_list("name", flat=True)) == [
        "Distribuciones 2000 S.L.", "Distribuciones 3000 S.L.", "Textil Sol 0000000 S.L."]


@pytest.mark.django_db
def test_possible_duplicates_on_the_page_and_the_api_follow_the_rule(as_admin, page, api):
    dos_mil = AccountFactory(actor=as_admin, name="Distribuciones 2000")
    tres_mil = AccountFactory(actor=as_admin, name="Distribuciones 3000")
    same = AccountFactory(actor=as_admin, name="Distribuciones 2000 S.L.")
    found = [c.record for c in selectors.account_duplicates(dos_mil)]
    assert found == [same]
    body = page.get(reverse("customers:account_detail", args=[dos_mil.uuid])).content.decode()
    assert "Distribuciones 2000 S.L." in body and "Distribuciones 3000" not in body
    response = api.get(f"/api/accounts/{dos_mil.uuid}/duplicates/")
    assert [row["id"] for row in response.json()] == [str(same.uuid)]
    assert tres_mil.uuid not in [row["id"] for row in response.json()]


@pytest.mark.django_db
def test_lead_conversion_does_not_join_a_company_with_other_numbers(as_admin):
    existing = AccountFactory(actor=as_admin, name="Distribuciones 2000")
    lead = LeadFactory(actor=as_admin, company_name="Distribuciones 3000")
    account, _contact = services.lead_convert(actor=as_admin, lead=lead)
    assert account != existing and account.name == "Distribuciones 3000"
    lead = LeadFactory(actor=as_admin, company_name="Distribuciones 2000 ")
    account, _contact = services.lead_convert(actor=as_admin, lead=lead)
    assert account == existing
