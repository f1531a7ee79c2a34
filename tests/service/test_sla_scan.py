"""The periodic SLA scan: about-to-breach warnings, breaches escalated (reassigned, priority
raised, people told by e-mail), breaches with nobody to tell reported to the administrators,
and resolved tickets closed after a week."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import CommandError, call_command

from tests.conftest import make_user
from tests.core.factories import as_user
from tests.service.factories import (
    BusinessCalendarFactory,
    QueueFactory,
    SlaPolicyFactory,
    TicketFactory,
)
from vinculo.core.services import ConflictError
from vinculo.core.tenancy import organization_scope
from vinculo.service import services
from vinculo.service.models import Ticket, TicketEntry
from vinculo.service.services import ScanResult
from vinculo.service.services import scan as scan_module

MADRID = ZoneInfo("Europe/Madrid")


def madrid(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=MADRID)


def scan(at: dt.datetime, capture) -> services.ScanResult:
    with time_machine.travel(at, tick=False), capture(execute=True):
        return services.sla_scan()


@pytest.fixture
def scene(admin):
    cal = BusinessCalendarFactory(actor=admin)
    SlaPolicyFactory(actor=admin, cal=cal)
    agent = make_user(admin.organization, "service_agent", "agente@acme.test")
    lead = make_user(admin.organization, "service_agent", "jefa@acme.test")
    escalating = QueueFactory(actor=admin, name="Soporte", escalate_to=lead)
    silent = QueueFactory(actor=admin, name="Sin escalado")
    with time_machine.travel(madrid(2026, 12, 7, 9, 0), tick=False):
        watched = TicketFactory(actor=admin, queue=escalating, priority="high", assignee=agent)
        orphan = TicketFactory(actor=admin, queue=silent, priority="high")
        calm = TicketFactory(actor=admin, queue=escalating, priority="low", assignee=agent)
    return {"agent": agent, "lead": lead, "watched": watched, "orphan": orphan, "calm": calm}


@pytest.mark.django_db(transaction=True)  # the real worker commits and closes connections
def test_warn_then_escalate_once(task_queue, queued_mail_server, admin, scene,
                                 django_capture_on_commit_callbacks):
    """The scan's e-mails go through the task backend under test (`make test` runs this on the
    database backend and on RQ), which is set up before the scene (its notices queue there)."""
    watched, orphan = scene["watched"], scene["orphan"]
    mail_server = queued_mail_server
    task_queue.run()  # the set-up's notices: two tickets assigned to the agent
    assert [m["To"] for m in mail_server] == ["agente@acme.test"] * 2
    mail_server.clear()
    # high: first response in 60 business minutes, warned at 80 % (09:48)
    assert scan(madrid(2026, 12, 7, 9, 40), django_capture_on_commit_callbacks).warned == 0
    warned = scan(madrid(2026, 12, 7, 9, 50), django_capture_on_commit_callbacks)
    assert mail_server == []  # queued, for the worker
    task_queue.run()
    assert (warned.warned, warned.breached) == (2, 0)
    watched.refresh_from_db()
    assert watched.first_response_state == "warning"
    assert [m["To"] for m in mail_server] == ["agente@acme.test"]  # the orphan has nobody
    assert "about to breach" in mail_server[0]["Subject"]

    breached = scan(madrid(2026, 12, 7, 10, 1), django_capture_on_commit_callbacks)
    task_queue.run()
    assert (breached.breached, breached.escalated, breached.unhandled) == (2, 1, 1)
    watched.refresh_from_db()
    orphan.refresh_from_db()
    assert (watched.first_response_state, watched.priority, watched.assignee,
            watched.escalation_level) == ("breached", "urgent", scene["lead"], 1)
    assert (orphan.priority, orphan.assignee, orphan.escalation_level) == ("urgent", None, 1)
    recipients = sorted(m["To"] for m in mail_server[1:])
    assert recipients == ["admin@acme.test", "agente@acme.test", "jefa@acme.test"]
    admin_mail = next(m for m in mail_server if m["To"] == "admin@acme.test")
    assert orphan.number in admin_mail.get_payload()
    with organization_scope(admin.organization):
        event = TicketEntry.objects.get(ticket=watched, kind="event")
        assert "Reassigned to" in event.body and "High → Urgent" in event.body
        from vinculo.core.models import AuditEntry

        audit = AuditEntry.objects.get(object_type="service.ticket", object_id=watched.pk,
                                       action="update", changes__has_key="escalation_level")
        assert audit.changes["priority"] == ["high", "urgent"]

    again = scan(madrid(2026, 12, 7, 10, 5), django_capture_on_commit_callbacks)
    task_queue.run()
    assert (again.warned, again.breached, again.escalated) == (0, 0, 0)
    assert len(mail_server) == 4
    scene["calm"].refresh_from_db()
    assert scene["calm"].first_response_state == "ok"


@pytest.mark.django_db
def test_a_ticket_waiting_on_the_customer_is_not_flagged(admin, scene,
                                                         django_capture_on_commit_callbacks):
    with time_machine.travel(madrid(2026, 12, 7, 9, 10), tick=False), \
            as_user(admin):
        services.ticket_set_status(actor=admin, ticket=scene["watched"], status="waiting")
    result = scan(madrid(2026, 12, 7, 10, 30), django_capture_on_commit_callbacks)
    scene["watched"].refresh_from_db()
    assert scene["watched"].first_response_state == "ok"
    assert scene["watched"].first_response_due is None
    assert result.breached == 1  # only the orphan's first response, its clock still running


@pytest.mark.django_db
def test_resolved_tickets_close_after_a_week(admin, scene, django_capture_on_commit_callbacks):
    with time_machine.travel(madrid(2026, 12, 7, 11, 0), tick=False), \
            as_user(admin):
        services.ticket_set_status(actor=admin, ticket=scene["calm"], status="resolved")
    assert scan(madrid(2026, 12, 13, 11, 0), django_capture_on_commit_callbacks).closed == 0
    assert scan(madrid(2026, 12, 14, 11, 1), django_capture_on_commit_callbacks).closed == 1
    scene["calm"].refresh_from_db()
    assert scene["calm"].status == "closed"


@pytest.mark.django_db
def test_the_operator_command_scans(admin, scene, capsys):
    with time_machine.travel(madrid(2026, 12, 7, 10, 1), tick=False):
        call_command("service_sla_scan")
    out = capsys.readouterr().out
    assert "breached 2" in out and "escalated 1" in out and "nobody to escalate to 1" in out
    with organization_scope(admin.organization):
        assert Ticket.objects.filter(first_response_state="breached").count() == 2


@pytest.mark.django_db
def test_a_failing_organisation_is_rolled_back_reported_and_the_others_still_scanned(
        admin, scene, other_admin, monkeypatch, caplog, django_capture_on_commit_callbacks):
    SlaPolicyFactory(actor=other_admin, cal=BusinessCalendarFactory(actor=other_admin))
    with time_machine.travel(madrid(2026, 12, 7, 9, 0), tick=False):
        theirs = TicketFactory(actor=other_admin, queue=QueueFactory(actor=other_admin),
                               priority="high")
    escalate = scan_module._escalate

    def failing_for_acme(tickets: list[Ticket], clock: str, result: ScanResult) -> None:
        if tickets[0].organization_id == admin.organization_id:
            raise RuntimeError("mail relay down")
        return escalate(tickets, clock, result)

    monkeypatch.setattr(scan_module, "_escalate", failing_for_acme)
    result = scan(madrid(2026, 12, 7, 10, 1), django_capture_on_commit_callbacks)

    assert result.errors == [
        f"organisation {admin.organization_id}: RuntimeError: mail relay down"]
    assert "SLA scan of organisation" in caplog.text and "mail relay down" in caplog.text
    scene["watched"].refresh_from_db()  # nothing of Acme's scan was kept
    assert (scene["watched"].first_response_state, scene["watched"].priority,
            scene["watched"].escalation_level) == ("ok", "high", 0)
    theirs.refresh_from_db()  # Globex was scanned all the same
    assert (theirs.first_response_state, theirs.escalation_level) == ("breached", 1)

    with time_machine.travel(madrid(2026, 12, 7, 10, 2), tick=False), \
            pytest.raises(CommandError, match="mail relay down"):
        call_command("service_sla_scan")  # the operator's command fails loudly


@pytest.mark.django_db
def test_an_edit_opened_before_an_escalation_is_refused_as_stale(
        admin, scene, django_capture_on_commit_callbacks):
    watched = scene["watched"]
    read_version = watched.version  # the agent opens the ticket's edit page
    scan(madrid(2026, 12, 7, 10, 1), django_capture_on_commit_callbacks)
    with as_user(admin), pytest.raises(ConflictError):
        services.ticket_update(actor=admin, ticket=watched, data={"priority": "high"},
                               expected_version=read_version)
    watched.refresh_from_db()
    assert (watched.priority, watched.assignee) == ("urgent", scene["lead"])
