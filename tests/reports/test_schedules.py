"""Scheduled reports: sent through a real SMTP server with the CSV and XLSX attached, each
recipient's copy counted with their own rights; a schedule whose owner lost the right stops and
says why; bad input refused naming the field, nothing written."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from tests.conftest import token_client
from vinculo.core.models import OutgoingEmail
from vinculo.core.roles import Role
from vinculo.core.tenancy import organization_scope
from vinculo.reports import services
from vinculo.reports.models import ReportSchedule
from vinculo.reports.schedules import next_run, schedule_set, schedules_send
from vinculo.sales.models import Order

COUNT_BY_MONTH = {"dataset": "orders", "aggregates": [{"fn": "count"}],
                  "group_by": [{"field": "ordered_on", "bucket": "month"}], "chart": "table"}
MONDAY_8 = dt.datetime(2026, 12, 7, 7, 0, tzinfo=dt.UTC)  # 08:00 in Madrid, a Monday


def attachments(message):
    return {part.get_filename(): part.get_payload(decode=True)
            for part in message.walk() if part.get_filename()}


def xlsx_total(content: bytes) -> int:
    sheet = load_workbook(io.BytesIO(content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][-1]  # the header names the measure
    return sum(row[-1] for row in rows[1:])


@pytest.mark.django_db
def test_schedule_sends_each_recipient_their_own_figures_then_stops_when_owner_loses_right(
        book, users, mail_server, client, django_capture_on_commit_callbacks):
    manager, rep = users[Role.SALES_MANAGER], users[Role.SALES_REP]
    org = manager.organization
    api = token_client(manager)
    with organization_scope(org):
        report = services.report_create(actor=manager, data={
            "name": "Pedidos por mes", "definition": COUNT_BY_MONTH,
            "shared_roles": [Role.SALES_REP]})
    answer = api.put(f"/api/reports/{report.uuid}/schedule/", {
        "frequency": "weekly", "weekday": 0, "time": "08:00", "timezone": "Europe/Madrid",
        "recipients": [str(manager.uuid), str(rep.uuid)]}, format="json")
    assert answer.status_code == 200, answer.content
    assert answer.json()["next_run_at"].startswith("2026-")
    with organization_scope(org):
        schedule = ReportSchedule.objects.get(report=report)
        schedule.next_run_at = MONDAY_8
        schedule.save()
        assert next_run(schedule, MONDAY_8) == MONDAY_8 + dt.timedelta(days=7)
        with django_capture_on_commit_callbacks(execute=True):
            sent = schedules_send(organization_id=org.pk, now=MONDAY_8)
        assert (sent.reports, sent.emails) == (1, 2)
        with django_capture_on_commit_callbacks(execute=True):  # claimed: never twice
            assert schedules_send(organization_id=org.pk, now=MONDAY_8).emails == 0
        # independent counts: every order for the manager, the team North's for the rep
        everything = Order.objects.count()
        north = Order.objects.filter(account__team=rep.team).count()
    assert 0 < north < everything
    by_recipient = {m["To"]: m for m in mail_server}
    assert set(by_recipient) == {manager.email, rep.email}
    for email, expected in ((manager.email, everything), (rep.email, north)):
        files = attachments(by_recipient[email])
        assert set(files) == {"pedidos-por-mes.csv", "pedidos-por-mes.xlsx"}
        assert xlsx_total(files["pedidos-por-mes.xlsx"]) == expected
        csv_rows = files["pedidos-por-mes.csv"].decode("utf-8").strip().splitlines()
        assert sum(int(line.rsplit(",", 1)[1]) for line in csv_rows[1:]) == expected

    # an owner whose role no longer reads the dataset: the schedule stops, says why, tells them
    mail_server.clear()
    analyst = users[Role.ANALYST]
    with organization_scope(org):
        private = services.report_create(actor=analyst, data={
            "name": "Fotos", "definition": {"dataset": "snapshots",
                                            "aggregates": [{"fn": "count"}]}})
        schedule = schedule_set(actor=analyst, report=private, now=MONDAY_8, data={
            "frequency": "daily", "time": "09:30", "timezone": "Europe/Madrid",
            "recipients": [str(analyst.uuid)]})
    analyst.role = Role.SERVICE_AGENT
    analyst.save(update_fields=["role"])
    later = MONDAY_8 + dt.timedelta(days=1)
    with organization_scope(org), django_capture_on_commit_callbacks(execute=True):
        sent = schedules_send(organization_id=org.pk, now=later)
    assert (sent.stopped, sent.emails) == (1, 0)
    with organization_scope(org):
        schedule.refresh_from_db()
    assert not schedule.active
    assert schedule.stopped_reason == "Your role may not read Analytics snapshots."
    assert [m["To"] for m in mail_server] == [analyst.email]
    assert "stopped" in mail_server[0]["Subject"]
    assert schedule.stopped_reason in mail_server[0].get_payload()
    client.force_login(analyst)
    page = client.get(reverse("reports:report_detail", kwargs={"uuid": private.uuid}))
    assert "Stopped:" in page.content.decode()
    assert schedule.stopped_reason in page.content.decode()


@pytest.mark.django_db
def test_bad_schedules_are_refused_naming_the_field(users, other_admin, client):
    manager, agent = users[Role.SALES_MANAGER], users[Role.SERVICE_AGENT]
    with organization_scope(manager.organization):
        report = services.report_create(actor=manager, data={
            "name": "Pedidos", "definition": COUNT_BY_MONTH})
    api = token_client(manager)
    url = f"/api/reports/{report.uuid}/schedule/"
    base = {"frequency": "daily", "time": "08:00", "timezone": "Europe/Madrid",
            "recipients": [str(manager.uuid)]}
    cases = [({"timezone": "Marte/Olimpo"}, "timezone", "Unknown time zone «Marte/Olimpo»."),
             ({"recipients": [str(other_admin.uuid)]}, "recipients",
              "Some recipients are not users of your organisation."),
             ({"frequency": "monthly", "day": 31}, "day",
              "Choose a day of the month from 1 to 28.")]
    for change, field, message in cases:
        answer = api.put(url, {**base, **change}, format="json")
        assert answer.status_code == 400 and answer.json()[field] == [message], answer.content
    # a private report: a colleague who cannot open it is not a recipient
    answer = api.put(url, {**base, "recipients": [str(agent.uuid)]}, format="json")
    assert answer.status_code == 400 and "may not open" in answer.json()["recipients"][0]
    assert api.get(url).status_code == 404
    # the page refuses the same way, in the field's place
    client.force_login(manager)
    page = client.post(reverse("reports:report_schedule", kwargs={"uuid": report.uuid}),
                       {**base, "timezone": "Marte/Olimpo"})
    assert page.status_code == 400 and "Unknown time zone" in page.content.decode()
    # only the owner schedules
    assert token_client(agent).put(url, base, format="json").status_code == 404
    with organization_scope(manager.organization):
        assert not ReportSchedule.objects.exists() and not OutgoingEmail.objects.exists()
