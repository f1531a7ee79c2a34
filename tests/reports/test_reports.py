"""Definitions refused naming what is wrong; saved reports private or shared; the API (its
answers checked against the OpenAPI description by tests/openapi.py), the builder's preview,
the sample figures and fill rates of "report first", CSV and XLSX exports; the time limit."""

from __future__ import annotations

import io
import time

import pytest
from django.db import connection
from django.urls import reverse
from openpyxl import load_workbook

from tests.conftest import token_client
from tests.core.factories import as_user
from tests.customers.factories import AccountFactory
from vinculo.core.roles import Role
from vinculo.core.tenancy import organization_scope
from vinculo.reports import query, services
from vinculo.reports.definition import check
from vinculo.reports.models import Report
from vinculo.reports.query import ReportTimeout, statement_timeout

REVENUE = {"dataset": "orders", "group_by": [{"field": "ordered_on", "bucket": "month"}],
           "aggregates": [{"fn": "sum", "field": "total_amount"}, {"fn": "count"}],
           "chart": "bar"}


def refusal(definition, user):
    from django.core.exceptions import ValidationError

    with organization_scope(user.organization), pytest.raises(ValidationError) as caught:
        check(definition, user)
    return caught.value.message_dict


@pytest.mark.django_db
def test_bad_definitions_are_refused_naming_the_part_and_the_field(users):
    admin, agent = users[Role.ADMIN], users[Role.SERVICE_AGENT]
    errors = refusal({"dataset": "orders", "columns": ["number", "colour"]}, admin)
    assert errors == {"definition.columns[1]": ["Unknown field «colour» in Orders."]}
    errors = refusal({"dataset": "orders", "group_by": [{"field": "status", "bucket": "month"}]},
                     admin)
    assert errors == {"definition.group_by[0].bucket": ["«Status» cannot be grouped by «month»."]}
    errors = refusal({"dataset": "orders", "aggregates": [{"fn": "sum", "field": "status"}]},
                     admin)
    assert errors == {"definition.aggregates[0].fn": ["«Status» cannot be aggregated with «Sum»."]}
    errors = refusal({"dataset": "nope"}, admin)
    assert errors == {"definition.dataset": ["Unknown dataset «nope»."]}
    # a service agent reads tickets, and not the analytics: neither the dataset nor the field
    errors = refusal({"dataset": "snapshots", "aggregates": [{"fn": "count"}]}, agent)
    assert errors == {"definition.dataset": ["Your role may not read Analytics snapshots."]}
    errors = refusal({"dataset": "tickets", "columns": ["number", "account.name"],
                      "filters": [{"field": "priority", "op": "gt", "value": 3}]}, users[
                          Role.MARKETING])
    assert "definition.filters[0].op" in errors
    assert errors["definition.filters[0].op"] == ["«Priority» cannot be filtered with «gt»."]


@pytest.mark.django_db
def test_a_field_of_a_dataset_the_role_may_not_read_is_refused(users, monkeypatch):
    """Marketing reads opportunities but not invoices: a payment's invoice fields are both."""
    from vinculo.core import roles

    monkeypatch.setitem(roles.PERMISSIONS, "billing.view",
                        roles.PERMISSIONS["billing.view"] | {Role.MARKETING})
    monkeypatch.setitem(roles.PERMISSIONS, "customers.view",
                        roles.PERMISSIONS["customers.view"] - {Role.MARKETING})
    errors = refusal({"dataset": "payments", "group_by": [{"field": "invoice.account.industry"}]},
                     users[Role.MARKETING])
    assert errors == {"definition.group_by[0].field": [
        "Your role may not read «Invoice · Account · Industry»."]}


@pytest.mark.django_db
def test_reports_are_private_unless_shared(users, book):
    admin, rep, manager = users[Role.ADMIN], users[Role.SALES_REP], users[Role.SALES_MANAGER]
    with organization_scope(admin.organization), as_user(manager):
        private = services.report_create(actor=manager, data={"name": "Mío",
                                                              "definition": REVENUE})
        shared = services.report_create(actor=manager, data={
            "name": "Ventas por mes", "definition": REVENUE, "shared_roles": [Role.SALES_REP]})
    rep_api = token_client(rep)
    listed = {row["name"] for row in rep_api.get("/api/reports/").json()["results"]}
    assert listed == {"Ventas por mes"}
    assert rep_api.get(f"/api/reports/{private.uuid}/").status_code == 404
    # the representative reads the shared report with their own rights: North's orders only
    mine = rep_api.get(f"/api/reports/{shared.uuid}/result/").json()
    everyone = token_client(manager).get(f"/api/reports/{shared.uuid}/result/").json()
    assert sum(row[2] for row in mine["rows"]) == 18
    assert sum(row[2] for row in everyone["rows"]) == 27
    # only the owner changes it
    answer = rep_api.patch(f"/api/reports/{shared.uuid}/", {"name": "x", "version": 1},
                           format="json")
    assert answer.status_code == 403
    # a representative may not share
    answer = rep_api.post("/api/reports/", {"name": "a", "definition": REVENUE,
                                            "shared_roles": ["analyst"]}, format="json")
    assert answer.status_code == 400 and "shared_roles" in answer.json()
    assert not Report.all_objects.filter(name="a").exists()


@pytest.mark.django_db
def test_api_preview_refuses_naming_the_field_and_saves_nothing(users):
    api = token_client(users[Role.ADMIN])
    answer = api.post("/api/reports/", {"name": "Malo", "definition": {
        "dataset": "orders", "group_by": [{"field": "colour"}]}}, format="json")
    assert answer.status_code == 400
    assert answer.json() == {"definition.group_by[0].field": [
        "Unknown field «colour» in Orders."]}
    assert not Report.all_objects.exists()
    fields = api.get("/api/reports/datasets/").json()
    assert {d["key"] for d in fields} >= {"accounts", "contacts", "opportunities", "quotes",
                                          "orders", "order_lines", "invoices", "invoice_lines",
                                          "payments", "tickets", "interactions", "snapshots"}


@pytest.mark.django_db
def test_report_first_sample_and_fill_rates(users):
    """Before any order exists the preview shows sample figures with the report's columns;
    the fields it needs come with their fill rate (industry: 1 of 2 accounts)."""
    admin = users[Role.ADMIN]
    AccountFactory(actor=admin, name="Con sector", industry="Hostelería")
    AccountFactory(actor=admin, name="Sin sector")
    api = token_client(admin)
    orders = api.post("/api/reports/preview/", {"definition": REVENUE}, format="json").json()
    assert orders["sample"] is True
    assert [c["key"] for c in orders["columns"]] == ["ordered_on:month", "sum:total_amount",
                                                     "count"]
    assert len(orders["rows"]) == 6
    assert {f["field"]: f["rate"] for f in orders["fields"]} == {"ordered_on": None,
                                                                 "total_amount": None}
    accounts = api.post("/api/reports/preview/", {"definition": {
        "dataset": "accounts", "group_by": [{"field": "industry"}]}}, format="json").json()
    assert accounts["sample"] is False
    (industry,) = accounts["fields"]
    assert {k: v for k, v in industry.items() if k != "places"} == {
        "field": "industry", "label": "Industry", "filled": 1, "total": 2, "rate": 50.0}
    assert sorted(accounts["rows"]) == [["", 1], ["Hostelería", 1]]
    # where to collect it: the accounts' form and import (not "when the record is saved",
    # which declares only the creation date)
    places = [(p["label"], p["kind"], p["url"]) for p in industry["places"]]
    assert places == [("Account form", "form", reverse("customers:account_create")),
                      ("Import of accounts", "import", reverse("customers:import_start"))]
    # a field reached through a join is captured where it is declared
    lines = api.post("/api/reports/preview/", {"definition": {
        "dataset": "orders", "group_by": [{"field": "account.industry"}]}},
        format="json").json()
    assert [p["label"] for p in lines["fields"][0]["places"]] == ["Account form",
                                                                  "Import of accounts"]


@pytest.mark.django_db
def test_builder_page_preview_save_and_exports(users, book, client):
    admin = users[Role.ADMIN]
    client.force_login(admin)
    assert client.get(reverse("reports:report_create")).status_code == 200
    form = {"name": "Ingresos por trimestre", "dataset": "orders", "shown_dataset": "orders",
            "g0_field": "ordered_on", "g0_bucket": "quarter", "a0_fn": "sum",
            "a0_field": "total_amount", "a1_fn": "count", "chart": "bar", "limit": "500"}
    preview = client.post(reverse("reports:report_preview"), form)
    text = preview.content.decode()
    assert preview.status_code == 200 and "report-figure" in text and "Q1 2025" in text
    # the fields it needs, each with where it is captured
    assert text.count('class="fill-places"') == 2
    assert "Touch point: Accepted quote" in text and "Computed: Numbered and totalled" in text
    bad = client.post(reverse("reports:report_preview"), {**form, "a0_field": "status"})
    assert "«Status» cannot be aggregated with «Sum»." in bad.content.decode()
    saved = client.post(reverse("reports:report_create"), form)
    assert saved.status_code == 302
    report = Report.all_objects.get(name="Ingresos por trimestre")
    page = client.get(reverse("reports:report_detail", kwargs={"uuid": report.uuid}))
    assert reverse("reports:report_result", kwargs={"uuid": report.uuid}) in page.content.decode()
    figures = client.get(reverse("reports:report_result", kwargs={"uuid": report.uuid}))
    assert "Q2 2025" in figures.content.decode() and "report-figure" in figures.content.decode()
    csv_answer = client.get(reverse("reports:report_export", kwargs={"uuid": report.uuid}),
                            {"as": "csv"})
    lines = b"".join(csv_answer.streaming_content).decode("utf-8-sig").splitlines()
    # the book's orders are in euros and dollars: the heading says the sum mixes them
    assert lines[0] == 'Order date (quarter),"Sum · Total (mixes EUR, USD)",Records'
    assert sum(int(line.rsplit(",", 1)[1]) for line in lines[1:]) == 27
    xlsx = client.get(reverse("reports:report_export", kwargs={"uuid": report.uuid}),
                      {"as": "xlsx"})
    sheet = load_workbook(io.BytesIO(b"".join(xlsx.streaming_content))).active
    values = list(sheet.values)
    assert values[1][0] == "Q1 2025" and isinstance(values[1][2], int)
    assert sum(row[2] for row in values[1:]) == 27


@pytest.mark.django_db
def test_a_long_statement_is_stopped_with_a_message(users):
    """The database stops the statement at the limit (PostgreSQL: statement_timeout; SQLite:
    the progress handler), and nothing keeps running."""
    heavy = ("SELECT pg_sleep(3)" if connection.vendor == "postgresql" else
             "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c "
             "WHERE x < 50000000) SELECT count(*) FROM c")
    started = time.monotonic()
    with pytest.raises(ReportTimeout), statement_timeout(200), connection.cursor() as cursor:
        cursor.execute(heavy)
    assert time.monotonic() - started < 2
    with connection.cursor() as cursor:  # the connection is usable afterwards
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)


@pytest.mark.django_db
def test_a_preview_whose_fill_rates_run_long_is_cut_off_with_a_message(users, client, settings):
    """The fill rates count every row of the dataset whatever the report's limit: a list of
    one account reads one row, its fill rates 20,000. They run under the same limit, so the
    preview (page and API) stops with the message instead of counting on."""
    from vinculo.customers.models import Account

    admin = users[Role.ADMIN]
    Account.all_objects.bulk_create(
        [Account(organization=admin.organization, name=f"Cuenta {i}",
                 industry="Hostelería" if i % 3 else "") for i in range(20_000)],
        batch_size=2000)
    settings.VINCULO_REPORT_TIMEOUT_MS = 1
    stopped = "took longer than 0.001 s and was stopped"
    answer = token_client(admin).post("/api/reports/preview/", {"definition": {
        "dataset": "accounts", "columns": ["name", "industry", "email"], "limit": 1}},
        format="json")
    assert answer.status_code == 400 and stopped in answer.json()["non_field_errors"][0]
    client.force_login(admin)
    page = client.post(reverse("reports:report_preview"), {
        "dataset": "accounts", "shown_dataset": "accounts", "columns": ["name", "industry",
                                                                        "email"],
        "limit": "1"}).content.decode()
    assert stopped in page and "fill-places" not in page
    # the limit was the preview's only: the same transaction reads on without it
    assert Account.all_objects.filter(organization=admin.organization).count() == 20_000

@pytest.mark.django_db
def test_a_segment_filters_any_dataset_that_reaches_an_account(users, book):
    """Orders and order lines of the accounts now in a segment (the segments' own list, not
    a filter language of the reports); a segment that does not exist is refused naming it."""
    from vinculo.segments import services as segments
    from vinculo.segments.models import SegmentKind, Subject

    admin = users[Role.ADMIN]
    chosen = book["accounts"][:2]
    with organization_scope(admin.organization), as_user(admin):
        segment = segments.segment_create(actor=admin, name="Dos clientes",
                                          subject=Subject.ACCOUNTS, kind=SegmentKind.STATIC)
        segments.segment_members_add(actor=admin, segment=segment, records=chosen)
        for dataset, count in (("orders", 6), ("order_lines", 12), ("accounts", 2)):
            inside = {"dataset": dataset, "aggregates": [{"fn": "count"}],
                      "filters": [{"field": "segment", "op": "in", "value": [str(segment.uuid)]}]}
            assert query.run(check(inside, admin), admin).rows == [[count]]
            outside = {**inside, "filters": [{**inside["filters"][0], "op": "not_in"}]}
            total = {"orders": 27, "order_lines": 54, "accounts": 9}[dataset]
            assert query.run(check(outside, admin), admin).rows == [[total - count]]
    errors = refusal({"dataset": "orders", "aggregates": [{"fn": "count"}], "filters": [
        {"field": "segment", "op": "in", "value": ["00000000-0000-0000-0000-000000000000"]}]},
        admin)
    assert errors == {"definition.filters[0].value": ["Some of these segments were not found."]}


@pytest.mark.django_db
def test_api_exports_csv_and_xlsx_to_the_roles_that_export(users, book, client):
    """A file of the rows leaves the application: only the roles that may export the customer
    lists get one (reports.export); a representative reads the shared report, with their own
    rights, but exports nothing, by the API or the page."""
    manager, rep = users[Role.SALES_MANAGER], users[Role.SALES_REP]
    with organization_scope(manager.organization), as_user(manager):
        shared = services.report_create(actor=manager, data={
            "name": "Ventas por mes", "definition": REVENUE, "shared_roles": [Role.SALES_REP]})
    assert token_client(rep).get(f"/api/reports/{shared.uuid}/export/").status_code == 403
    client.force_login(rep)
    page = client.get(reverse("reports:report_detail", kwargs={"uuid": shared.uuid}))
    assert page.status_code == 200 and "?as=csv" not in page.content.decode()
    assert client.get(reverse("reports:report_export", kwargs={"uuid": shared.uuid})
                      ).status_code == 403
    answer = token_client(manager).get(f"/api/reports/{shared.uuid}/export/")
    assert answer["Content-Type"] == "text/csv"
    lines = b"".join(answer.streaming_content).decode("utf-8-sig").splitlines()
    assert lines[0] == 'Order date (month),"Sum · Total (mixes EUR, USD)",Records'
    assert sum(int(line.rsplit(",", 1)[1]) for line in lines[1:]) == 27
    xlsx = token_client(manager).get(f"/api/reports/{shared.uuid}/export/", {"as": "xlsx"})
    sheet = load_workbook(io.BytesIO(b"".join(xlsx.streaming_content))).active
    assert sum(row[2] for row in list(sheet.values)[1:]) == 27
