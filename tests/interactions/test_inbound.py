"""Inbound e-mail end to end, against a real IMAP server (dovecot) and a real SMTP server:
a message opens a ticket, the desk replies, the customer's answer is delivered into the
mailbox and the poller threads it onto the ticket; malformed messages are kept or rejected
with a reason and the poller never loses one; the HTTP endpoint takes the same path."""

from __future__ import annotations

import email
from email.message import EmailMessage as Mime
from email.utils import make_msgid

import pytest
from django.core.files.storage import default_storage
from django.test import override_settings

from tests import imap
from tests.core.factories import as_user
from tests.customers.factories import ContactFactory
from tests.service.factories import (
    BusinessCalendarFactory,
    QueueFactory,
    SlaPolicyFactory,
    TicketFactory,
)
from vinculo.core.tenancy import organization_scope
from vinculo.interactions import mailing
from vinculo.interactions.models import (
    Attachment,
    EmailMessage,
    Interaction,
    Mailbox,
    RejectedMessage,
)
from vinculo.service import services
from vinculo.service.models import Ticket

dovecot, mail_user = imap.dovecot, imap.mail_user


def message(*, sender="ana@cliente.es", to="soporte@acme.test", subject="Pedido sin llegar",
            body="Hola, el pedido 123 no ha llegado.", in_reply_to="", attachment=None,
            message_id=None) -> bytes:
    mime = Mime()
    mime["From"] = f"Ana Cliente <{sender}>"
    mime["To"] = to
    mime["Subject"] = subject
    mime["Message-ID"] = message_id or make_msgid(domain="cliente.es")
    mime["Date"] = "Mon, 07 Dec 2026 10:00:00 +0100"
    if in_reply_to:
        mime["In-Reply-To"] = in_reply_to
        mime["References"] = in_reply_to
    mime.set_content(body)
    if attachment:
        name, data = attachment
        mime.add_attachment(data, maintype="application", subtype="pdf", filename=name)
    return mime.as_bytes()


@pytest.fixture
def support(admin, mail_user):
    """A queue whose mailbox is the dovecot user's INBOX (password stored encrypted)."""
    with as_user(admin):
        mailbox = mailing.mailbox_create(actor=admin, password=mail_user.password, data={
            "name": "Soporte", "address": mail_user.address, "imap_host": "127.0.0.1",
            "imap_port": mail_user.server.imap_port, "imap_ssl": False,
            "imap_username": mail_user.address, "processed_folder": "Procesados"})
    SlaPolicyFactory(actor=admin, cal=BusinessCalendarFactory(actor=admin))
    queue = QueueFactory(actor=admin, mailbox=mailbox)
    assert mail_user.password not in Mailbox.all_objects.get(pk=mailbox.pk).imap_password
    return mailbox, queue


def poll(mailbox: Mailbox) -> mailing.PollResult:
    with organization_scope(mailbox.organization_id):
        mailbox.refresh_from_db()
        return mailing.mailbox_poll(mailbox=mailbox)


@pytest.mark.django_db
def test_round_trip_opens_a_ticket_replies_and_threads_the_answer(
        admin, support, mail_user, mail_server, django_capture_on_commit_callbacks):
    mailbox, queue = support
    customer = ContactFactory(actor=admin, email="ana@cliente.es", first_name="Ana")
    mail_user.deliver(message())
    result = poll(mailbox)
    assert (result.fetched, result.stored, result.rejected, result.error) == (1, 1, 0, "")
    with organization_scope(admin.organization):
        ticket = Ticket.objects.get()
    assert (ticket.queue, ticket.contact, ticket.channel) == (queue, customer, "email")
    assert ticket.requester_email == "ana@cliente.es" and ticket.subject == "Pedido sin llegar"

    # the desk answers through the real SMTP server
    with as_user(admin), django_capture_on_commit_callbacks(execute=True):
        services.ticket_reply(actor=admin, ticket=ticket, body="Lo reenviamos hoy.")
    (sent,) = mail_server
    assert sent["To"] == "ana@cliente.es" and f"[#{ticket.number}]" in sent["Subject"]
    assert sent["Reply-To"] == mailbox.address
    ticket.refresh_from_db()
    assert ticket.status == "waiting" and ticket.first_response_at is not None

    # the customer answers (with an attachment); her mail server delivers it into the mailbox
    mail_user.deliver(message(subject=f"Re: {sent['Subject']}", body="Gracias, adjunto albarán.",
                              in_reply_to=sent["Message-ID"],
                              attachment=("albaran.pdf", b"%PDF-1.4 albaran")))
    assert poll(mailbox).stored == 1
    ticket.refresh_from_db()
    assert ticket.status == "open"  # the customer answered: the clock runs again
    with organization_scope(admin.organization):
        answer = Interaction.objects.filter(direction="inbound").latest("occurred_at", "id")
        assert answer.related == ticket and answer.contact == customer
        assert answer.thread_id == EmailMessage.objects.get(
            message_id=sent["Message-ID"]).thread_id
        attachment = Attachment.objects.get()
    assert attachment.file.read() == b"%PDF-1.4 albaran"
    assert Ticket.all_objects.count() == 1  # threaded, not a new ticket

    # processed mail was moved out of the INBOX on the server, and nothing is read twice
    with mail_user.client() as client:
        client.select_folder("INBOX")
        assert client.search("ALL") == []
        client.select_folder("Procesados")
        assert len(client.search("SEEN")) == 2
    assert poll(mailbox).fetched == 0


@pytest.mark.django_db
def test_the_ticket_number_in_the_subject_threads_a_message_without_headers(
        admin, support, mail_user):
    mailbox, _queue = support
    ticket = TicketFactory(actor=admin, requester_email="luis@otro.es")
    mail_user.deliver(message(sender="luis@otro.es",
                              subject=f"RE: [#{ticket.number}] No llega el pedido"))
    assert poll(mailbox).stored == 1
    with organization_scope(admin.organization):
        assert Interaction.objects.get().related == ticket
        assert Ticket.objects.count() == 1


@pytest.mark.django_db
@override_settings(MAIL_MAX_ATTACHMENT_BYTES=50_000)
def test_malformed_messages_are_kept_or_rejected_with_a_reason_and_none_is_lost(
        admin, support, mail_user, caplog):
    mailbox, _queue = support
    bad_charset = (b"From: x@cliente.es\r\nTo: soporte@acme.test\r\nSubject: Precio\r\n"
                   b"Message-ID: <charset@cliente.es>\r\n"
                   b"Content-Type: text/plain; charset=x-unknown\r\n\r\nPrecio \xe9\xf1\r\n")
    no_headers = b"From: y@cliente.es\r\n\r\nSolo cuerpo, sin asunto ni fecha ni id.\r\n"
    huge = message(sender="z@cliente.es", subject="Factura",
                   attachment=("grande.pdf", b"%PDF" + b"0" * 120_000))
    no_sender = (b"To: soporte@acme.test\r\nSubject: sin remitente\r\n"
                 b"Message-ID: <nosender@x>\r\n\r\ncuerpo\r\n")
    for raw in (bad_charset, no_headers, huge):
        mail_user.deliver(raw)
    mail_user.deliver(no_sender, sender="")  # no From and an empty envelope sender either
    result = poll(mailbox)
    assert (result.fetched, result.stored, result.rejected, result.error) == (4, 3, 1, "")
    with organization_scope(admin.organization):
        stored = {m.from_address: m for m in EmailMessage.objects.all()}
        rejected = RejectedMessage.objects.get()
    assert "Precio" in stored["x@cliente.es"].body_text and stored["x@cliente.es"].defects
    assert stored["y@cliente.es"].message_id.endswith("@generated.vinculo.invalid>")
    dropped = Attachment.all_objects.get(message=stored["z@cliente.es"])
    assert not dropped.file and dropped.filename == "grande.pdf" and dropped.dropped_reason
    assert "sender" in rejected.reason.lower()
    with default_storage.open(rejected.raw_path, "rb") as handle:
        kept = handle.read().replace(b"\r\n", b"\n")
    assert kept.endswith(no_sender.replace(b"\r\n", b"\n"))  # after the server's trace headers
    assert any("rejected" in record.getMessage() for record in caplog.records)
    mailbox.refresh_from_db()
    assert mailbox.last_uid == 4 and poll(mailbox).fetched == 0


@pytest.mark.django_db
def test_a_wrong_password_is_recorded_on_the_mailbox_not_raised(admin, support, mail_user):
    mailbox, _queue = support
    mail_user.deliver(message())
    with as_user(admin):
        mailing.mailbox_update(actor=admin, mailbox=mailbox, data={}, expected_version=None,
                               password="wrong")
    result = poll(mailbox)
    mailbox.refresh_from_db()
    assert result.fetched == 0 and result.error and mailbox.last_error == result.error
    assert mailbox.last_uid == 0  # the message waits for the next poll


@pytest.mark.django_db
def test_a_new_uidvalidity_reads_again_without_importing_twice(admin, support, mail_user):
    mailbox, _queue = support
    mail_user.deliver(message(message_id="<once@cliente.es>"))
    assert poll(mailbox).stored == 1
    Mailbox.all_objects.filter(pk=mailbox.pk).update(uidvalidity=1)  # as if the folder changed
    again = poll(mailbox)
    assert (again.fetched, again.stored, again.duplicates) == (0, 0, 0)  # already moved away
    with mail_user.client() as client:  # put it back in the INBOX
        client.select_folder("Procesados")
        client.copy(client.search("ALL"), "INBOX")
    Mailbox.all_objects.filter(pk=mailbox.pk).update(uidvalidity=1, last_uid=0)
    again = poll(mailbox)
    assert (again.fetched, again.stored, again.duplicates) == (1, 0, 1)
    with organization_scope(admin.organization):
        assert EmailMessage.objects.count() == 1


@pytest.mark.django_db
def test_http_endpoint_takes_the_same_path(admin, support, client):
    mailbox, _queue = support
    with as_user(admin):
        token = mailing.mailbox_token_rotate(actor=admin, mailbox=mailbox)
    raw = message(message_id="<http@cliente.es>")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    answer = client.post("/inbound/email/", raw, content_type="message/rfc822", **auth)
    assert answer.status_code == 202 and answer.json()["outcome"] == "stored"
    again = client.post("/inbound/email/", raw, content_type="message/rfc822", **auth)
    assert again.status_code == 200 and again.json()["outcome"] == "duplicate"
    assert client.post("/inbound/email/", raw, content_type="message/rfc822",
                       HTTP_AUTHORIZATION="Bearer nope").status_code == 401
    with override_settings(MAIL_MAX_MESSAGE_BYTES=100):
        too_big = client.post("/inbound/email/", message(message_id="<big@x>"),
                              content_type="message/rfc822", **auth)
    assert too_big.status_code == 413
    garbage = client.post("/inbound/email/", b"\x00\x01\x02 not mail",
                          content_type="message/rfc822", **auth)
    assert garbage.status_code == 200 and garbage.json()["outcome"] == "rejected"
    with organization_scope(admin.organization):
        assert Ticket.objects.count() == 1 and EmailMessage.objects.count() == 1
        assert RejectedMessage.objects.count() == 1


@pytest.mark.django_db
def test_an_auto_reply_opens_no_ticket_and_does_not_reopen_one(admin, support, mail_user):
    mailbox, _queue = support
    auto = email.message_from_bytes(message(subject="Fuera de la oficina"))
    auto["Auto-Submitted"] = "auto-replied"
    mail_user.deliver(auto.as_bytes())
    assert poll(mailbox).stored == 1
    with organization_scope(admin.organization):
        assert not Ticket.objects.exists()
        assert EmailMessage.objects.get().auto_submitted

    # an out-of-office answering a ticket waiting on the customer leaves it waiting
    ticket = TicketFactory(actor=admin, queue=_queue, requester_email="ana@cliente.es")
    with as_user(admin):
        services.ticket_set_status(actor=admin, ticket=ticket, status="waiting")
    away = email.message_from_bytes(message(subject=f"Re: [#{ticket.number}] Pedido"))
    away["Auto-Submitted"] = "auto-replied"
    mail_user.deliver(away.as_bytes())
    assert poll(mailbox).stored == 1
    ticket.refresh_from_db()
    with organization_scope(admin.organization):
        assert Interaction.objects.filter(direction="inbound").latest("occurred_at", "id").related \
            == ticket  # threaded onto the ticket
    assert ticket.status == "waiting"
