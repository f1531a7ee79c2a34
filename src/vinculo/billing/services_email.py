"""Sending an issued invoice (or credit note) to the customer by e-mail, with its PDF.

The customer asked for it, so it goes out whatever their consent to marketing e-mail and is
marked transactional. ``billing`` is below the mailer (``interactions``): ``invoice_send``
records ``sent_at`` and publishes ``invoice.sent`` with the recipients, and the interactions
subscriber writes the e-mail in this same transaction — queued, retried when SMTP fails, on
the customer's timeline — so a refused address leaves the invoice unsent.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from vinculo.billing.models import Invoice, InvoiceStatus
from vinculo.billing.services import _document_data
from vinculo.core import events
from vinculo.core.mailqueue import DocumentEmail
from vinculo.core.models import User
from vinculo.core.services import PermissionDeniedError, require, versioned_save


def invoice_email(invoice: Invoice) -> DocumentEmail:
    """The e-mail an invoice or credit note is sent with, in the active language."""
    from vinculo.billing.pdf import invoice_pdf

    values = {"number": invoice.number, "company": invoice.organization.name}
    if invoice.is_credit_note:
        subject = _("Credit note %(number)s from %(company)s") % values
        body = _("Please find attached our credit note %(number)s.") % values
    else:
        subject = _("Invoice %(number)s from %(company)s") % values
        body = _("Please find attached our invoice %(number)s.") % values
    return DocumentEmail(subject=subject, body=body, filename=f"{invoice.number}.pdf",
                         pdf=invoice_pdf(invoice))


@transaction.atomic
def invoice_send(*, actor: User, invoice: Invoice, to: list[str] | None = None) -> Invoice:
    """E-mail an issued invoice or credit note with its PDF and record when (``sent_at``).

    Recipients default to the invoice's contact, then the account's e-mail. Needs
    ``billing.change`` and the invoice's account within the actor's record rule.
    """
    require(actor, "billing.change")
    invoice = (Invoice.objects.restrict(actor).select_for_update(of=("self",))
               .select_related("contact", "account", "organization").filter(pk=invoice.pk)
               .first())
    if invoice is None:
        raise PermissionDeniedError(_("You cannot send this invoice."))
    if invoice.status == InvoiceStatus.DRAFT:
        raise ValidationError(_("Issue the invoice before sending it: a draft has no number."))
    recipients = [r.strip() for r in (to or []) if r and r.strip()]
    if not recipients:
        email = (invoice.contact.email if invoice.contact else "") or invoice.account.email
        recipients = [email] if email else []
    if not recipients:
        raise ValidationError({"to": _("Give an e-mail address: the invoice's contact and "
                                       "account have none.")})
    invoice.sent_at = timezone.now()
    versioned_save(invoice, expected_version=None, fields=["sent_at"])
    events.publish("invoice.sent", record=invoice, actor=actor, data={
        **_document_data(invoice), "kind": invoice.kind, "to": recipients})
    return invoice
