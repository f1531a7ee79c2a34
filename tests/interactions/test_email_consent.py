"""Outgoing e-mail follows the contact's consent: refused without it (or once withdrawn),
except transactional messages (a ticket reply), which are sent and marked as such — through a
real SMTP server (tests/smtp.py)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from tests.core.factories import as_user
from tests.customers.factories import ContactFactory
from tests.service.factories import (
    BusinessCalendarFactory,
    QueueFactory,
    SlaPolicyFactory,
    TicketFactory,
)
from vinculo.core import timeline
from vinculo.core.tenancy import organization_scope
from vinculo.customers import services as customer_services
from vinculo.interactions import mailing
from vinculo.interactions.models import EmailMessage, Interaction
from vinculo.service import services as service_services

pytestmark = pytest.mark.django_db

REFUSAL = ("Inés Pérez <ines@sol.es> has not consented to receive e-mail (or withdrew it): "
           "record their consent on the contact before writing to them.")


@pytest.fixture
def ines(admin):
    return ContactFactory(actor=admin, first_name="Inés", last_name="Pérez", email="ines@sol.es")


def consent(admin, contact, granted: bool) -> None:
    with as_user(admin):
        customer_services.consent_record(actor=admin, contact=contact, channel="email",
                                         granted=granted)


def nothing_written(admin) -> bool:
    with organization_scope(admin.organization):
        return not Interaction.objects.exists() and not EmailMessage.objects.exists()


@pytest.mark.parametrize("recorded", [None, False], ids=["never-asked", "withdrawn"])
def test_a_contact_without_consent_is_not_written_to(admin, ines, mail_server, recorded,
                                                     django_capture_on_commit_callbacks):
    if recorded is not None:
        consent(admin, ines, recorded)
    with pytest.raises(ValidationError) as refused, as_user(admin), \
            django_capture_on_commit_callbacks(execute=True):
        mailing.email_send(actor=admin, contact=ines, subject="Oferta", body="…")
    assert refused.value.message_dict == {"to": [REFUSAL]}
    assert mail_server == [] and nothing_written(admin)


def test_the_address_of_a_contact_without_consent_is_refused_too(admin, ines, mail_server):
    with pytest.raises(ValidationError) as refused, as_user(admin):
        mailing.email_send(actor=admin, to=["INES@sol.es"], subject="Oferta", body="…")
    assert refused.value.message_dict == {"to": [REFUSAL]}
    with pytest.raises(ValidationError), as_user(admin):  # in copy as well
        mailing.email_send(actor=admin, to=["otra@sol.es"], cc=["ines@sol.es"],
                           subject="Oferta", body="…")
    assert mail_server == [] and nothing_written(admin)


def test_with_consent_the_message_is_sent_and_not_marked_transactional(
        admin, ines, mail_server, django_capture_on_commit_callbacks):
    consent(admin, ines, True)
    with as_user(admin), django_capture_on_commit_callbacks(execute=True):
        interaction = mailing.email_send(actor=admin, contact=ines, subject="Oferta", body="…")
    assert [m["To"] for m in mail_server] == ["ines@sol.es"]
    with organization_scope(admin.organization):
        assert EmailMessage.objects.get(interaction=interaction).transactional is False


def test_a_ticket_reply_is_transactional_sent_without_consent_and_marked_on_the_timeline(
        admin, ines, mail_server, page, django_capture_on_commit_callbacks):
    consent(admin, ines, False)  # even after withdrawing: they asked for this answer
    calendar = BusinessCalendarFactory(actor=admin)
    SlaPolicyFactory(actor=admin, cal=calendar)
    QueueFactory(actor=admin)
    ticket = TicketFactory(actor=admin, contact=ines)
    with as_user(admin), django_capture_on_commit_callbacks(execute=True):
        interaction = service_services.ticket_reply(actor=admin, ticket=ticket,
                                                    body="Lo miramos ya.")
    assert [m["To"] for m in mail_server] == ["ines@sol.es"]
    with organization_scope(admin.organization):
        assert EmailMessage.objects.get(interaction=interaction).transactional is True
        items = timeline.for_record(ines)
    (item,) = [i for i in items if i.kind == "interaction-email"]
    assert item.detail == f"{admin} · Transactional · Lo miramos ya."
    body = page.get(f"/customers/contacts/{ines.uuid}/").content.decode()
    assert "Transactional · Lo miramos ya." in body


def test_the_api_and_the_compose_page_say_why(admin, ines, api, page, mail_server):
    response = api.post("/api/emails/", {"contact": str(ines.uuid), "subject": "Oferta",
                                         "body": "…"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"to": [REFUSAL]}
    response = page.post("/interactions/email/new/", {
        "contact": str(ines.uuid), "subject": "Oferta", "body": "Texto"})
    assert response.status_code == 400
    assert "has not consented to receive e-mail" in response.content.decode()
    assert mail_server == [] and nothing_written(admin)
