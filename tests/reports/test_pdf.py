"""PDF export of a saved report (with its chart), and the warning when a money column adds up
several currencies: the PDF is read back with a real parser (pypdf) and must carry the
report's figures, in the reader's language, against an independent count; a schedule sends it
through the real SMTP server."""

from __future__ import annotations

import datetime as dt
import io
from collections import defaultdict
from csv import reader
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation
from pypdf import PdfReader

from tests.conftest import token_client
from vinculo.core.formats import format_number
from vinculo.core.roles import Role
from vinculo.core.tenancy import organization_scope
from vinculo.reports import services
from vinculo.reports.models import ReportSchedule
from vinculo.reports.schedules import schedule_set, schedules_send
from vinculo.sales.models import Order

REVENUE = {"dataset": "orders", "chart": "bar",
           "filters": [{"field": "status", "op": "ne", "value": "cancelled"}],
           "group_by": [{"field": "ordered_on", "bucket": "year"}],
           "aggregates": [{"fn": "sum", "field": "total_amount"}, {"fn": "count"}]}
MONDAY_8 = dt.datetime(2026, 12, 7, 7, 0, tzinfo=dt.UTC)


def pdf_text(content: bytes) -> tuple[int, str]:
    reader = PdfReader(io.BytesIO(content))
    text = " ".join(page.extract_text() for page in reader.pages)
    return len(reader.pages), " ".join(text.split())


def by_year(**filters) -> dict[int, tuple[Decimal, int]]:
    """The independent count: a pass over the orders in Python."""
    totals: dict[int, list] = defaultdict(lambda: [Decimal(0), 0])
    for order in Order.objects.filter(**filters).exclude(status="cancelled"):
        totals[order.ordered_on.year][0] += order.total_amount
        totals[order.ordered_on.year][1] += 1
    return {year: (total, count) for year, (total, count) in totals.items()}


@pytest.fixture
def revenue(book, users):
    manager = users[Role.SALES_MANAGER]
    manager.language = "es"
    manager.save(update_fields=["language"])
    manager.organization.time_zone = "Europe/Madrid"  # the PDF dates itself in this zone
    manager.organization.save(update_fields=["time_zone"])
    with organization_scope(manager.organization):
        report = services.report_create(actor=manager, data={
            "name": "Ventas por año", "description": "Pedidos no cancelados",
            "definition": REVENUE, "shared_roles": [Role.SALES_REP]})
        expected = by_year()
    return report, expected


@pytest.mark.django_db
def test_pdf_from_the_page_carries_title_filters_figures_in_spanish_and_page_numbers(
        revenue, users, client):
    report, expected = revenue
    client.force_login(users[Role.SALES_MANAGER])
    answer = client.get(reverse("reports:report_export", kwargs={"uuid": report.uuid})
                        + "?as=pdf")
    assert answer.status_code == 200 and answer["Content-Type"] == "application/pdf"
    assert 'filename="ventas-por-ano.pdf"' in answer["Content-Disposition"]
    pages, text = pdf_text(answer.content)
    assert pages >= 1 and f"Página 1 de {pages}" in text
    assert "Ventas por año" in text and "Pedidos no cancelados" in text
    assert "Estado no es Cancelado" in text  # the filter in words, in Spanish
    assert "Generado el" in text and "Europe/Madrid" in text
    with translation.override("es"):
        for year, (total, count) in expected.items():
            assert f"{year} {format_number(total, 2)} {count}" in text
    # a sum of euros and dollars is flagged, not passed off as one amount
    assert "suma importes en varias monedas (EUR, USD)" in text
    # the role that may not export gets no file
    rep = users[Role.SALES_REP]
    client.force_login(rep)
    assert client.get(reverse("reports:report_export", kwargs={"uuid": report.uuid})
                      + "?as=pdf").status_code == 403


@pytest.mark.django_db
def test_every_chart_kind_exports_through_the_api(revenue, users):
    report, _expected = revenue
    manager = users[Role.SALES_MANAGER]
    api = token_client(manager)
    two = [{"field": "ordered_on", "bucket": "year"}, {"field": "currency"}]
    for chart, groups in (("line", REVENUE["group_by"]), ("area", two), ("pie", REVENUE[
            "group_by"]), ("pivot", two), ("table", two)):
        with organization_scope(manager.organization):
            report.definition = {**REVENUE, "chart": chart, "group_by": groups}
            report.save(update_fields=["definition"])
        answer = api.get(f"/api/reports/{report.uuid}/export/?as=pdf")
        assert answer.status_code == 200, (chart, answer.content[:300])
        assert answer["Content-Type"] == "application/pdf"
        _pages, text = pdf_text(answer.content)
        assert "Ventas por año" in text and "Page 1 of" in text, chart  # the API speaks English
        # grouped by currency as well: no group mixes currencies, so no warning
        assert ("several currencies" in text) is (groups is REVENUE["group_by"]), chart
    with organization_scope(manager.organization):
        eur = by_year(currency="EUR")
    _year, (total, _count) = next(iter(eur.items()))
    assert format_number(total, 2) in text  # the pivot's EUR cell of that year


@pytest.mark.django_db
def test_the_warning_on_the_page_the_api_and_the_csv(revenue, users, client):
    report, _expected = revenue
    manager = users[Role.SALES_MANAGER]
    manager.language = "en"
    manager.save(update_fields=["language"])
    client.force_login(manager)
    page = client.get(reverse("reports:report_result", kwargs={"uuid": report.uuid}))
    assert ("«Sum · Total» adds up amounts in several currencies (EUR, USD) as if they were "
            "one") in page.content.decode()
    csv = client.get(reverse("reports:report_export", kwargs={"uuid": report.uuid}))
    header = next(reader(b"".join(csv.streaming_content).decode("utf-8-sig").splitlines()))
    assert header == ["Order date (year)", "Sum · Total (mixes EUR, USD)", "Records"]
    api = token_client(manager)
    assert "EUR, USD" in api.get(f"/api/reports/{report.uuid}/result/").json()["warnings"][0]
    # one currency after a filter: no warning
    with organization_scope(manager.organization):
        report.definition = {**REVENUE, "filters": [
            {"field": "currency", "op": "eq", "value": "EUR"}]}
        report.save(update_fields=["definition"])
    assert api.get(f"/api/reports/{report.uuid}/result/").json()["warnings"] == []


@pytest.mark.django_db
def test_a_schedule_sends_the_pdf_through_smtp(
        revenue, users, mail_server, django_capture_on_commit_callbacks):
    report, _expected = revenue
    manager = users[Role.SALES_MANAGER]
    org = manager.organization
    api = token_client(manager)
    url = f"/api/reports/{report.uuid}/schedule/"
    base = {"frequency": "daily", "time": "08:00", "timezone": "Europe/Madrid",
            "recipients": [str(manager.uuid)]}
    # bad formats: refused naming the field, nothing written
    for formats in ([], ["doc"], "pdf"):
        answer = api.put(url, {**base, "formats": formats}, format="json")
        assert answer.status_code == 400 and "formats" in answer.json(), answer.content
    with organization_scope(org):
        assert not ReportSchedule.objects.exists()
    with organization_scope(org):
        schedule = schedule_set(actor=manager, report=report, now=MONDAY_8, data={
            **base, "formats": ["pdf"]})
        assert schedule.formats == ["pdf"]
        expected = by_year()
        schedule.next_run_at = MONDAY_8
        schedule.save()
        with django_capture_on_commit_callbacks(execute=True):
            assert schedules_send(organization_id=org.pk, now=MONDAY_8).emails == 1
    [message] = mail_server
    files = {part.get_filename(): part.get_payload(decode=True)
             for part in message.walk() if part.get_filename()}
    assert set(files) == {"ventas-por-ano.pdf"}
    _pages, text = pdf_text(files["ventas-por-ano.pdf"])
    with translation.override("es"):
        for year, (total, count) in expected.items():
            assert f"{year} {format_number(total, 2)} {count}" in text
    assert "EUR, USD" in message.get_payload()[0].get_payload(decode=True).decode()
