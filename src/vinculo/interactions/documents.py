"""Documents the customer asked for, e-mailed through the customer's queue.

``sales`` and ``billing`` sit below ``interactions`` and cannot import the mailer: they word
the message and draw the PDF (``quote_email``, ``invoice_email``) and publish ``quote.sent`` /
``invoice.sent`` with the recipients. These subscribers, run inside that transaction, write
the e-mail as an outbound interaction about the document — queued, retried when SMTP fails,
marked transactional (sent whatever the contact's marketing consent: they asked for it) and
on the customer's timeline. A bad address refuses the send with the document unchanged.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.utils import translation

from vinculo.core.events import Occurrence
from vinculo.core.mailqueue import DocumentEmail
from vinculo.core.models import User
from vinculo.interactions.mailing.outbound import OutgoingFile, email_write


def _send(event: Occurrence, compose: Callable[[Any], DocumentEmail]) -> None:
    document = event.record
    actor = User.objects.filter(pk=event.actor_id).first() if event.actor_id else None
    contact = document.contact
    language = ((contact.preferred_language if contact else "")
                or (actor.language if actor else "") or settings.LANGUAGE_CODE)
    with translation.override(language):
        mail = compose(document)
    email_write(organization_id=document.organization_id, actor=actor, subject=mail.subject,
                body=mail.body, to=event.data["to"], contact=contact, account=document.account,
                related=document, transactional=True,
                files=[OutgoingFile(mail.filename, mail.pdf)])


def quote_sent(event: Occurrence) -> None:
    """Subscriber of ``quote.sent`` (in its transaction): e-mail the quote's PDF."""
    from vinculo.sales.documents.services import quote_email

    _send(event, quote_email)


def invoice_sent(event: Occurrence) -> None:
    """Subscriber of ``invoice.sent`` (in its transaction): e-mail the invoice's (or credit
    note's) PDF."""
    from vinculo.billing.services_email import invoice_email

    _send(event, invoice_email)
