"""The outgoing e-mail queue for messages to the organisation's own people.

Password resets, invitations and notifications are written as an ``OutgoingEmail`` row
(queued) and sent by a background task once the caller's transaction commits. A failed
delivery (SMTP down, refused, time-out) is kept on the row and retried after 1, 5, 15 and 60
minutes — the same policy as the e-mail to customers (``interactions.mailing``, which takes
its constants from here); the fifth failure leaves the row ``failed`` with the error. Nobody
is told "sent" while the message sits only in a log.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.utils import timezone

from vinculo.core.models import EmailStatus, OutgoingEmail, OutgoingEmailAttachment

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DocumentEmail:
    """What a document's app says to send with it (a quote, an invoice): the app that owns the
    document words the message and draws the PDF; ``interactions``, a layer above, sends it on
    the customer's queue (retried, on the timeline) when the document's ``*.sent`` event is
    published — the lower app cannot import the mailer."""

    subject: str
    body: str
    filename: str
    pdf: bytes

MAX_ATTEMPTS = 5
RETRY_MINUTES = (1, 5, 15, 60)


def retry_delay(attempts: int) -> dt.timedelta:
    """How long to wait after the ``attempts``-th failure before trying again."""
    return dt.timedelta(minutes=RETRY_MINUTES[min(attempts, len(RETRY_MINUTES)) - 1])


def enqueue(task: Any, *args: Any, run_after: dt.datetime | None = None) -> None:
    """Enqueue ``task``, deferred to ``run_after`` where the task backend can defer."""
    if run_after is not None and task.get_backend().supports_defer:
        task = task.using(run_after=run_after)
    task.enqueue(*args)


def email_queue(*, to: str, subject: str, body: str, html_body: str = "",
                organization_id: int | None = None,
                attachments: Sequence[tuple[str, bytes, str]] = ()) -> OutgoingEmail:
    """Queue one e-mail; it is sent once the current transaction commits. ``attachments`` are
    ``(filename, content, mimetype)``, stored with the row so every retry sends them."""
    from vinculo.core.tasks import outgoing_email_deliver

    message = OutgoingEmail.objects.create(
        organization_id=organization_id, to=to, subject=" ".join(subject.split())[:300],
        body=body, html_body=html_body)
    if attachments:
        OutgoingEmailAttachment.objects.bulk_create(
            OutgoingEmailAttachment(email=message, filename=name[:200], content=content,
                                    mimetype=mimetype[:120])
            for name, content, mimetype in attachments)
    transaction.on_commit(lambda: enqueue(outgoing_email_deliver, message.pk))
    return message


def email_deliver(message_pk: int) -> str:
    """Send a queued message (the background task); returns its new status."""
    from vinculo.core.tasks import outgoing_email_deliver

    message = OutgoingEmail.objects.filter(pk=message_pk).first()
    if message is None or message.status != EmailStatus.QUEUED:
        return message.status if message else "missing"
    attempts = message.attempts + 1
    email = EmailMultiAlternatives(subject=message.subject, body=message.body,
                                   from_email=settings.DEFAULT_FROM_EMAIL, to=[message.to])
    if message.html_body:
        email.attach_alternative(message.html_body, "text/html")
    for file in message.files.all():
        email.attach(file.filename, bytes(file.content), file.mimetype)
    try:
        email.send()
    except Exception as exc:  # SMTP, network, DNS: every failure is kept on the row
        log.warning("e-mail %s to %s failed (attempt %d): %s", message.pk, message.to,
                    attempts, exc)
        final = attempts >= MAX_ATTEMPTS
        OutgoingEmail.objects.filter(pk=message.pk).update(
            attempts=attempts, error=f"{type(exc).__name__}: {exc}"[:2000],
            status=EmailStatus.FAILED if final else EmailStatus.QUEUED)
        if not final:
            enqueue(outgoing_email_deliver, message.pk,
                    run_after=timezone.now() + retry_delay(attempts))
        return EmailStatus.FAILED if final else EmailStatus.QUEUED
    OutgoingEmail.objects.filter(pk=message.pk).update(
        attempts=attempts, error="", status=EmailStatus.SENT, sent_at=timezone.now())
    return EmailStatus.SENT
