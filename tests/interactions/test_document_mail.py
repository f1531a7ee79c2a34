"""Quotes and invoices the customer asked for go out on the customer's e-mail queue (issue 17):
retried when SMTP is down, with their PDF, marked transactional (sent whatever the contact's
consent) and on the customer's timeline — through a real SMTP server (tests/smtp.py)."""

from __future__ import annotations

import datetime as dt
import socket
from email.header import decode_header, make_header

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from tests.billing.factories import InvoiceFactory
from tests.conftest import token_client
from tests.core.factories import as_user
from tests.customers.factories import AccountFactory, ContactFactory
from tests.sales.factories import free_line
from tests.smtp import smtp_server
from vinculo.billing import services as billing
from vinculo.billing import services_email
from vinculo.billing.models import Invoice
from vinculo.core import events, timeline
from vinculo.core.mailqueue import RETRY_MINUTES
from vinculo.core.models import AuditEntry, Role
from vinculo.core.services import PermissionDeniedError
from vinculo.core.tenancy import organization_scope
from vinculo.customers import services as customer_services
from vinculo.interactions.models import EmailMessage, Interaction
from vinculo.sales.documents import services as documents


def _withdrawn(admin, **fields):
    """A contact who withdrew consent to e-mail: only what they asked for may reach them."""
    contact = ContactFactory(actor=admin, **fields)
    with as_user(admin):
        customer_services.consent_record(actor=admin, contact=contact, channel="email",
                                         granted=False)
    return contact


def _pdfs(message) -> list[bytes]:
    return [part.get_payload(decode=True) for part in message.walk()
            if part.get_content_type() == "application/pdf"]


@pytest.mark.django_db(transaction=True)  # the real worker commits and closes connections
def test_a_quote_waits_out_an_smtp_outage_and_is_on_the_timeline_as_transactional(
        admin, settings, task_queue):
    with socket.socket() as probe:  # a port where nothing listens yet
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    ines = _withdrawn(admin, first_name="Inés", last_name="Pérez", email="ines@sol.es")
    account = AccountFactory(actor=admin, name="Ferretería Sol")
    with as_user(admin):
        customer_services.contact_link_account(actor=admin, contact=ines, account=account,
                                               is_primary=True)
        quote = documents.quote_create(actor=admin, account=account, contact=ines,
                                       lines=[free_line("Tornillos", "10", "2.00")])
        documents.quote_send(actor=admin, quote=quote)

    task_queue.run()
    with organization_scope(admin.organization):
        message = EmailMessage.objects.get()
        quote.refresh_from_db()
    assert quote.status == "sent"  # sent by us; the message waits for the server
    assert (message.status, message.attempts, message.transactional) == ("queued", 1, True)
    assert "Connection refused" in message.error or "ConnectionRefused" in message.error
    (retry,) = task_queue.waiting()
    assert retry - timezone.now() <= dt.timedelta(minutes=RETRY_MINUTES[0])

    with smtp_server() as (up_port, inbox):
        settings.EMAIL_PORT = up_port
        task_queue.make_due()
        task_queue.run()
    with organization_scope(admin.organization):
        message.refresh_from_db()
        items = timeline.for_record(account)
    assert (message.status, message.attempts, message.error) == ("sent", 2, "")
    (delivered,) = inbox
    assert delivered["To"] == "ines@sol.es" and quote.number in delivered["Subject"]
    (pdf,) = _pdfs(delivered)
    assert pdf.startswith(b"%PDF")
    (item,) = [i for i in items if i.kind == "interaction-email"]
    assert "Transactional" in item.detail and quote.number in item.title


@pytest.mark.django_db
def test_an_issued_invoice_is_sent_by_the_api_with_its_pdf_transactional_and_audited(
        admin, api, mail_server, django_capture_on_commit_callbacks):
    ines = _withdrawn(admin, first_name="Inés", email="ines@sol.es")
    invoice = InvoiceFactory(actor=admin, contact=ines, issued=True)
    with django_capture_on_commit_callbacks(execute=True), events.recording() as published:
        response = api.post(f"/api/invoices/{invoice.uuid}/send/", {}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["sent_at"] is not None
    (delivered,) = mail_server
    assert delivered["To"] == "ines@sol.es" and invoice.number in delivered["Subject"]
    assert _pdfs(delivered)[0].startswith(b"%PDF")
    (sent,) = [o for o in published if o.name == "invoice.sent"]
    assert sent.data["to"] == ["ines@sol.es"] and sent.data["number"] == invoice.number
    with organization_scope(admin.organization):
        message = EmailMessage.objects.get()
        interaction = message.interaction
        assert AuditEntry.objects.filter(object_uuid=invoice.uuid, action="update",
                                         changes__has_key="sent_at").exists()
        assert message.attachments.get().filename == f"{invoice.number}.pdf"
    assert (message.status, message.transactional) == ("sent", True)
    assert (interaction.related_id, interaction.account_id) == (invoice.pk, invoice.account_id)


@pytest.mark.django_db
def test_a_credit_note_is_sent_from_its_page_to_the_address_given(
        admin, page, mail_server, django_capture_on_commit_callbacks):
    invoice = InvoiceFactory(actor=admin, issued=True)
    with as_user(admin):
        note = billing.credit_note_create(actor=admin, invoice=invoice, reason="Precio")
    detail = page.get(f"/billing/invoices/{note.uuid}/").content.decode()
    assert 'id="invoice-send"' in detail
    with django_capture_on_commit_callbacks(execute=True):
        response = page.post(f"/billing/invoices/{note.uuid}/send/",
                             {"to": "pagos@cliente.es"}, follow=True)
    assert response.status_code == 200
    assert "The e-mail is queued" in response.content.decode()
    (delivered,) = mail_server
    assert delivered["To"] == "pagos@cliente.es"
    subject = str(make_header(decode_header(delivered["Subject"])))
    assert subject == f"Credit note {note.number} from Acme Ibérica"


@pytest.mark.django_db
def test_a_draft_or_an_address_that_is_not_one_is_refused_and_nothing_is_written(
        admin, api, page):
    draft = InvoiceFactory(actor=admin)
    with pytest.raises(ValidationError) as refused, as_user(admin):
        services_email.invoice_send(actor=admin, invoice=draft, to=["x@cliente.es"])
    assert "Issue the invoice before sending it" in refused.value.messages[0]
    issued = InvoiceFactory(actor=admin, issued=True)
    response = api.post(f"/api/invoices/{issued.uuid}/send/", {"to": ["no-es-correo"]},
                        format="json")
    assert response.status_code == 400 and "to" in response.json()
    response = page.post(f"/billing/invoices/{issued.uuid}/send/", {"to": "no-es-correo"},
                         follow=True)
    assert "Enter a valid email address." in response.content.decode()
    with organization_scope(admin.organization):
        assert not Interaction.objects.exists() and not EmailMessage.objects.exists()
        assert not Invoice.objects.filter(sent_at__isnull=False).exists()


@pytest.mark.django_db
def test_sending_an_invoice_needs_billing_change_and_the_record_rule(admin, users, client):
    rep, other = users[Role.SALES_REP], users["sales_rep_south"]
    theirs = InvoiceFactory(actor=admin, issued=True,
                            account=AccountFactory(actor=admin, owner=other, team=other.team))
    for user in (rep, users[Role.ANALYST]):
        response = token_client(user).post(f"/api/invoices/{theirs.uuid}/send/", {},
                                           format="json")
        assert response.status_code == 403
        client.force_login(user)
        assert client.post(f"/billing/invoices/{theirs.uuid}/send/").status_code == 403
    # the service holds both rules on its own: the role, and the account's record rule
    with pytest.raises(PermissionDeniedError), as_user(rep):
        services_email.invoice_send(actor=rep, invoice=theirs)
    with organization_scope(admin.organization):
        assert Invoice.objects.restrict(rep).filter(pk=theirs.pk).count() == 0
        assert not EmailMessage.objects.exists()
        assert Invoice.objects.get(pk=theirs.pk).sent_at is None
