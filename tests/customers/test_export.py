"""Export of the filtered lists as CSV and XLSX: same rows as the list, visibility, injection."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from vinculo.core.audit import acting_as
from vinculo.core.roles import Role
from vinculo.core.tenancy import organization_scope
from vinculo.customers import services
from vinculo.customers.imports import exporting
from vinculo.customers.imports import services as importing
from vinculo.customers.models import Contact


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def read_csv(response) -> list[list[str]]:
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def read_xlsx(response) -> list[list[str]]:
    content = b"".join(response.streaming_content)
    sheet = load_workbook(io.BytesIO(content), read_only=True).worksheets[0]
    return [["" if v is None else v for v in row] for row in sheet.iter_rows(values_only=True)]


@pytest.fixture
def people(org, users, as_admin):
    rep = users[Role.SALES_REP]
    other_rep = users["sales_rep_south"]
    made = {
        "ana": services.contact_create(actor=as_admin, data={
            "first_name": "Ana", "last_name": "Ruiz", "email": "ana@x.es", "phone": "600111222",
            "lifecycle_stage": "customer", "tags": ["vip"], "owner": rep}),
        "evil": services.contact_create(actor=as_admin, data={
            "first_name": '=HYPERLINK("http://evil.example","x")', "last_name": "@SUM(A1)",
            "title": "-2+3", "email": "evil@x.es", "lifecycle_stage": "customer",
            "owner": other_rep}),
        "bea": services.contact_create(actor=as_admin, data={
            "first_name": "Bea", "email": "bea@x.es", "lifecycle_stage": "prospect"}),
    }
    return made


def test_csv_equals_the_filtered_list(page, people):
    rows = read_csv(page.get(reverse("customers:contact_export"),
                             {"format": "csv", "lifecycle_stage": "customer"}))
    header, body = rows[0], rows[1:]
    assert header[:5] == ["Id", "First name", "Last name", "E-mail", "Other e-mails"]
    # Same order as the list page (by name): the quoted formula sorts before "Ana Ruiz".
    assert [r[0] for r in body] == [str(people["evil"].uuid), str(people["ana"].uuid)]
    ana = body[1]
    assert ana[1:4] == ["Ana", "Ruiz", "ana@x.es"]
    assert ana[header.index("Phone")] == "'+34600111222"  # E.164 starts with "+": quoted
    assert ana[header.index("Lifecycle stage")] == "customer"
    assert ana[header.index("Tags")] == "vip"
    assert ana[header.index("Owner")] == "sales_rep@acme.test"


def test_formula_injection_is_quoted_in_csv_and_xlsx(page, people):
    for fmt, reader in (("csv", read_csv), ("xlsx", read_xlsx)):
        rows = reader(page.get(reverse("customers:contact_export"),
                               {"format": fmt, "q": "evil"}))
        header, (evil,) = rows[0], rows[1:]
        assert evil[header.index("First name")] == '\'=HYPERLINK("http://evil.example","x")'
        assert evil[header.index("Last name")] == "'@SUM(A1)"
        assert evil[header.index("Job title")] == "'-2+3"
    assert exporting.safe_cell("\tcmd") == "'\tcmd"
    assert exporting.safe_cell("\rcmd") == "'\rcmd"
    assert exporting.safe_cell("normal - text") == "normal - text"


def test_xlsx_equals_the_csv(page, people):
    csv_rows = read_csv(page.get(reverse("customers:contact_export"), {"format": "csv"}))
    response = page.get(reverse("customers:contact_export"), {"format": "xlsx"})
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert read_xlsx(response) == csv_rows
    assert len(csv_rows) == 4


def test_sales_rep_exports_only_what_they_may_see(client, users, people):
    rep = users[Role.SALES_REP]
    # Sales reps cannot export at all; their team's manager can, and sees everything.
    client.force_login(rep)
    assert client.get(reverse("customers:contact_export"), {"format": "csv"}).status_code == 403
    client.force_login(users[Role.ANALYST])
    rows = read_csv(client.get(reverse("customers:contact_export"), {"format": "csv"}))
    assert len(rows) == 4


def test_export_uses_record_level_visibility(client, org, users, people, monkeypatch):
    """With a role that both exports and is owner-scoped, only owned rows come out."""
    from vinculo.core import roles

    rep = users[Role.SALES_REP]
    monkeypatch.setitem(roles.PERMISSIONS, "customers.export",
                        roles.PERMISSIONS["customers.export"] | {Role.SALES_REP})
    client.force_login(rep)
    rows = read_csv(client.get(reverse("customers:contact_export"), {"format": "csv"}))
    assert [r[3] for r in rows[1:]] == ["ana@x.es"]


def test_accounts_and_leads_export(page, as_admin):
    services.account_create(actor=as_admin, data={"name": "Talleres Ruiz", "tax_id": "B12345674",
                                                  "industry": "Motor"})
    services.account_create(actor=as_admin, data={"name": "Otra", "industry": "Textil"})
    services.lead_create(actor=as_admin, data={"first_name": "Luis", "company_name": "=cmd",
                                               "score": 30})
    rows = read_csv(page.get(reverse("customers:account_export"),
                             {"format": "csv", "industry": "Motor"}))
    assert [r[1] for r in rows[1:]] == ["Talleres Ruiz"]
    assert rows[1][rows[0].index("Tax id")] == "B12345674"
    rows = read_csv(page.get(reverse("customers:lead_export"), {"format": "csv"}))
    assert rows[1][rows[0].index("Company")] == "'=cmd"
    assert rows[1][rows[0].index("Score")] == "30"


def test_bad_format_and_bad_filter_are_400(page, people):
    url = reverse("customers:contact_export")
    assert page.get(url, {"format": "pdf"}).status_code == 400
    assert page.get(url, {"format": "csv", "lifecycle_stage": "nonsense"}).status_code == 400


def test_read_only_gets_403_and_other_org_sees_nothing(client, users, other_admin, people):
    client.force_login(users[Role.READ_ONLY])
    assert client.get(reverse("customers:contact_export")).status_code == 403
    client.force_login(other_admin)
    rows = read_csv(client.get(reverse("customers:contact_export"), {"format": "csv"}))
    assert rows[1:] == []


def test_export_then_import_round_trip(page, admin, other_admin, people):
    data = b"".join(page.get(reverse("customers:contact_export"),
                             {"format": "csv"}).streaming_content)
    with organization_scope(other_admin.organization), acting_as(other_admin):
        job = importing.import_job_create(actor=other_admin, target="contact",
                                          file=SimpleUploadedFile("export.csv", data))
        assert {k: v for k, v in job.mapping.items() if v} == {
            "First name": "first_name", "Last name": "last_name", "E-mail": "email",
            "Other e-mails": "other_emails", "Phone": "phone", "Mobile": "mobile",
            "Job title": "title", "Preferred language": "preferred_language",
            "Preferred channel": "preferred_channel", "Lifecycle stage": "lifecycle_stage",
            "Source channel": "source", "Tags": "tags"}
        job = importing.import_job_start(actor=other_admin, job=job, dry_run=False)
        assert (job.created_count, job.errors) == (3, [])
        fields = ("first_name", "last_name", "email", "phone", "title", "lifecycle_stage")
        imported = sorted(Contact.objects.values_list(*fields))
    with organization_scope(admin.organization):
        original = sorted(Contact.objects.values_list(*fields))
    assert imported == original
