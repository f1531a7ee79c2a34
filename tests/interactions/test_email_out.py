"""Outbound e-mail: templates with merge fields, sending after commit through a real SMTP
server, threading of replies, retries and failure recorded when the server is away."""

from __future__ import annotations

import socket
from email.header import decode_header, make_header

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from tests.core.factories import as_user
from tests.customers.factories import AccountFactory, ContactFactory
from vinculo.core.tenancy import organization_scope
from vinculo.customers import services as customer_services
from vinculo.interactions import mailing
from vinculo.interactions.models import EmailMessage, EmailTemplate, Interaction


def consenting(user, contact):
    """The contact, having consented to e-mail (a message to them is not refused)."""
    with as_user(user):
        customer_services.consent_record(actor=user, contact=contact, channel="email",
                                         granted=True)
    return contact


def template(user, **data):
    with as_user(user):
        return mailing.email_template_create(actor=user, data={
            "name": "Bienvenida", "language": "es",
            "subject": "Hola {{ contact.first_name }}, bienvenida a {{ organization.name }}",
            "body": "Hola {{ contact.first_name|default:'cliente' }}:\n\nSoy "
                    "{{ user.full_name }}, su gestora en {{ account.name }}.", **data})


@pytest.mark.django_db
def test_a_template_is_rendered_for_the_contact_and_sent_after_commit(
        admin, mail_server, django_capture_on_commit_callbacks):
    account = AccountFactory(actor=admin, name="Ferretería Sol")
    person = consenting(admin, ContactFactory(actor=admin, first_name="Inés", email="ines@sol.es"))
    with as_user(admin):
        customer_services.contact_link_account(actor=admin, contact=person, account=account)
        with django_capture_on_commit_callbacks(execute=False) as pending:
            interaction = mailing.email_send(actor=admin, contact=person, subject="", body="",
                                             template=template(admin))
        assert mail_server == []  # nothing leaves before the transaction commits
        for callback in pending:
            callback()
    (sent,) = mail_server
    subject = str(make_header(decode_header(sent["Subject"])))
    assert subject == "Hola Inés, bienvenida a Acme Ibérica"
    assert f"Soy {admin.get_full_name()}, su gestora en Ferretería Sol." in sent.get_payload()
    with organization_scope(admin.organization):
        stored = EmailMessage.objects.get()
    assert stored.status == "sent" and stored.message_id == sent["Message-ID"]
    assert interaction.account == account and interaction.channel == "email"


@pytest.mark.django_db
@pytest.mark.parametrize(("field", "text", "error"), [
    ("body", "Hola {{ contact.shoe_size }}", "Unknown merge field"),
    ("subject", "Hola {{ secrets.key }}", "Unknown merge field"),
    ("body", "Hola {% if %}", "The template has an error"),
    ("body", "{% include '/etc/passwd' %}", "The template has an error"),
    ("body", "{% load static %}", "The template has an error"),
])
def test_templates_that_would_fail_or_leak_are_refused(admin, field, text, error):
    with pytest.raises(ValidationError) as refused:
        template(admin, **{field: text})
    assert error in refused.value.message_dict[field][0]
    with organization_scope(admin.organization):
        assert not EmailTemplate.objects.exists()


@pytest.mark.django_db
def test_a_reply_threads_onto_the_first_message(admin, mail_server,
                                                django_capture_on_commit_callbacks):
    person = consenting(admin, ContactFactory(actor=admin, email="ines@sol.es"))
    with as_user(admin), django_capture_on_commit_callbacks(execute=True):
        first = mailing.email_send(actor=admin, contact=person, subject="Oferta", body="…")
        mailing.email_send(actor=admin, contact=person, subject="Re: Oferta", body="¿Y bien?",
                           reply_to_message=first.email)
    one, two = mail_server
    assert two["In-Reply-To"] == one["Message-ID"] == first.email.message_id
    with organization_scope(admin.organization):
        assert Interaction.objects.values("thread").distinct().count() == 1


@pytest.mark.django_db(transaction=True)  # the real worker commits and closes connections
def test_an_unreachable_server_is_retried_then_recorded_as_failed(admin, settings, task_queue):
    with socket.socket() as probe:  # a port where nothing listens
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    person = consenting(admin, ContactFactory(actor=admin, email="ines@sol.es"))
    with as_user(admin):
        mailing.email_send(actor=admin, contact=person, subject="Hola", body="…")
    waits = []
    for _attempt in range(mailing.MAX_ATTEMPTS):
        task_queue.run()
        waits += [round((when - timezone.now()).total_seconds() / 60)
                  for when in task_queue.waiting()]
        task_queue.make_due()
    assert waits == list(mailing.RETRY_MINUTES)  # each retry deferred by the back-off
    with organization_scope(admin.organization):
        stored = EmailMessage.objects.get()
    assert (stored.status, stored.attempts) == ("failed", mailing.MAX_ATTEMPTS)
    assert "Connection refused" in stored.error or "ConnectionRefused" in stored.error
    assert task_queue.waiting() == []


@pytest.mark.django_db
def test_sending_needs_an_address(admin):
    person = ContactFactory(actor=admin, email="")
    with pytest.raises(ValidationError) as refused, as_user(admin):
        mailing.email_send(actor=admin, contact=person, subject="Hola", body="…")
    assert "to" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused, as_user(admin):
        mailing.email_send(actor=admin, to=["no es una dirección"], subject="Hola", body="…")
    assert "to" in refused.value.message_dict
    with organization_scope(admin.organization):
        assert not Interaction.objects.exists()


@pytest.mark.django_db
def test_compose_page_previews_a_template_and_sends(page, admin, mail_server,
                                                    django_capture_on_commit_callbacks):
    person = consenting(admin, ContactFactory(actor=admin, first_name="Inés", email="ines@sol.es"))
    chosen = template(admin)
    preview = page.get("/interactions/email/preview/", {
        "template": str(chosen.uuid), "contact": str(person.uuid)})
    assert "Hola Inés" in preview.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        sent = page.post("/interactions/email/new/", {
            "contact": str(person.uuid), "subject": "Hola Inés", "body": "Texto"})
    assert sent.status_code == 302
    assert mail_server[0]["To"] == "ines@sol.es"
