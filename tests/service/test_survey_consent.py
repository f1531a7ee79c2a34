"""A satisfaction survey is not a message the customer asked for (issue 17): it needs their
consent to e-mail, says on the ticket why none went out, and otherwise leaves on the
customer's queue — retried when SMTP is down — through a real SMTP server (tests/smtp.py)."""

from __future__ import annotations

import socket

import pytest

from tests.core.factories import as_user
from tests.customers.factories import ContactFactory
from tests.service.factories import (
    BusinessCalendarFactory,
    QueueFactory,
    SlaPolicyFactory,
    TicketFactory,
)
from vinculo.core.tenancy import organization_scope
from vinculo.customers import services as customer_services
from vinculo.interactions import mailing
from vinculo.interactions.models import EmailMessage
from vinculo.service import services
from vinculo.service.models import Survey

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk(admin):
    SlaPolicyFactory(actor=admin, cal=BusinessCalendarFactory(actor=admin))
    return QueueFactory(actor=admin)


def _consent(admin, contact, granted: bool) -> None:
    with as_user(admin):
        customer_services.consent_record(actor=admin, contact=contact, channel="email",
                                         granted=granted)


def _resolve(admin, ticket, capture) -> None:
    with as_user(admin), capture(execute=True):
        services.ticket_set_status(actor=admin, ticket=ticket, status="resolved")


@pytest.mark.parametrize("recorded", [None, False], ids=["never-asked", "withdrawn"])
def test_no_survey_without_consent_and_the_ticket_says_why(
        admin, desk, mail_server, page, api, recorded, django_capture_on_commit_callbacks):
    luis = ContactFactory(actor=admin, first_name="Luis", last_name="Gil",
                          email="luis@cliente.es")
    if recorded is not None:
        _consent(admin, luis, recorded)
    ticket = TicketFactory(actor=admin, contact=luis)
    _resolve(admin, ticket, django_capture_on_commit_callbacks)
    assert mail_server == []
    with organization_scope(admin.organization):
        survey = Survey.objects.get()
        assert not EmailMessage.objects.exists()
    assert survey.sent_at is None
    assert survey.not_sent_reason.startswith(
        "Luis Gil <luis@cliente.es> has not consented to receive e-mail")
    body = page.get(f"/service/tickets/{ticket.uuid}/").content.decode()
    assert 'id="survey-not-sent"' in body and "has not consented to receive e-mail" in body
    answer = api.get(f"/api/tickets/{ticket.uuid}/")
    assert answer.status_code == 200
    assert answer.json()["survey"]["not_sent_reason"] == survey.not_sent_reason


def test_with_consent_the_survey_is_queued_on_the_ticket_and_delivered(
        admin, desk, mail_server, django_capture_on_commit_callbacks):
    luis = ContactFactory(actor=admin, email="luis@cliente.es")
    _consent(admin, luis, True)
    ticket = TicketFactory(actor=admin, contact=luis)
    _resolve(admin, ticket, django_capture_on_commit_callbacks)
    (delivered,) = mail_server
    assert delivered["To"] == "luis@cliente.es"
    assert {part.get_content_type() for part in delivered.walk()} >= {"text/plain", "text/html"}
    with organization_scope(admin.organization):
        message = EmailMessage.objects.get()
        survey = Survey.objects.get()
        ticket.refresh_from_db()
    assert (message.status, message.transactional, message.interaction.related_id) == (
        "sent", False, ticket.pk)
    assert message.interaction.user_id is None  # the system wrote it: no agent's response
    assert survey.sent_at is not None and survey.not_sent_reason == ""
    assert ticket.first_response_at is None


def test_an_smtp_outage_leaves_the_survey_queued_for_retry(
        admin, desk, settings, django_capture_on_commit_callbacks):
    with socket.socket() as probe:  # a port where nothing listens
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    luis = ContactFactory(actor=admin, email="luis@cliente.es")
    _consent(admin, luis, True)
    ticket = TicketFactory(actor=admin, contact=luis)
    with as_user(admin), django_capture_on_commit_callbacks(execute=True):
        services.ticket_set_status(actor=admin, ticket=ticket, status="resolved")
    with organization_scope(admin.organization):
        services.survey_send(ticket.pk)  # the survey task's body (the backend only queued it)
        message = EmailMessage.objects.get()
        assert message.status == "queued" and message.attempts == 0
        mailing.email_deliver(message.pk)  # the delivery task: the server is away
        message.refresh_from_db()
    assert (message.status, message.attempts) == ("queued", 1)
    assert "Connection refused" in message.error or "ConnectionRefused" in message.error
