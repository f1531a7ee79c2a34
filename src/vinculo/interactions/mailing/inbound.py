"""E-mail in: ``email_receive`` is the one path for a raw message, from the IMAP poller
(``mailbox_poll``) and from the HTTP endpoint alike.

A message is matched to a contact by its sender, threaded by Message-ID / In-Reply-To /
References onto the conversation it answers (or handed to the registered inbound handlers,
which may open a ticket), stored with its attachments and the raw original. What cannot be
used is kept raw as a ``RejectedMessage`` with the reason.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from vinculo.core import events
from vinculo.core.models import Organization
from vinculo.customers.models import Account, Contact
from vinculo.interactions.mail.message import MessageRejected, ParsedMessage
from vinculo.interactions.mail.parse import parse_message
from vinculo.interactions.mailing.outbound import _thread_for
from vinculo.interactions.models import (
    Attachment,
    Channel,
    Direction,
    EmailMessage,
    EmailStatus,
    Interaction,
    Mailbox,
    RejectedMessage,
    Thread,
)
from vinculo.interactions.services import (
    email_routers,
    inbound_filters,
    interaction_announce,
    primary_account,
    related_set,
)

log = logging.getLogger(__name__)


# ---- inbound --------------------------------------------------------------------------------


@dataclass
class Received:
    """What became of one inbound message."""

    outcome: str  # "stored", "duplicate", "rejected" or "handled" (by an inbound filter)
    message: EmailMessage | None = None
    rejected: RejectedMessage | None = None
    notes: list[str] = field(default_factory=list)


def _store_raw(organization_id: int, raw: bytes, now: dt.datetime) -> str:
    digest = hashlib.sha256(raw).hexdigest()
    return default_storage.save(
        f"mail/{organization_id}/{now:%Y/%m}/{digest[:32]}.eml", ContentFile(raw))


def _reject(*, organization_id: int, mailbox: Mailbox | None, raw: bytes, reason: str,
            source: str, uid: int | None) -> Received:
    now = timezone.now()
    path = _store_raw(organization_id, raw, now)
    log.warning("inbound e-mail rejected (%s, uid %s): %s", source, uid, reason)
    rejected = RejectedMessage.all_objects.create(
        organization_id=organization_id, mailbox=mailbox, source=source, uid=uid,
        reason=reason, raw_path=path, size=len(raw))
    return Received("rejected", rejected=rejected)


def _parent(organization_id: int, parsed: ParsedMessage) -> EmailMessage | None:
    candidates = [i for i in [parsed.in_reply_to, *reversed(parsed.references)] if i]
    if not candidates:
        return None
    found = {m.message_id: m for m in EmailMessage.all_objects.filter(
        organization_id=organization_id, message_id__in=candidates).select_related("thread")}
    return next((found[c] for c in candidates if c in found), None)


def _sender_records(organization_id: int, address: str) -> tuple[Contact | None,
                                                                   Account | None]:
    contact = Contact.all_objects.filter(organization_id=organization_id, email=address,
                                         merged_into__isnull=True).order_by("id").first()
    account = primary_account(contact)
    if account is None:
        account = Account.all_objects.filter(organization_id=organization_id, email=address,
                                             merged_into__isnull=True).order_by("id").first()
    return contact, account


def email_receive(*, organization: Organization, raw: bytes, mailbox: Mailbox | None = None,
                  source: str = "http", uid: int | None = None) -> Received:
    """Store one inbound message (or keep it as rejected, with the reason); idempotent."""
    return _receive(organization, raw, mailbox, source, uid, savepoint=True)


def _receive(organization: Organization, raw: bytes, mailbox: Mailbox | None, source: str,
             uid: int | None, *, savepoint: bool) -> Received:
    """``email_receive``; ``savepoint=False`` for a caller whose own transaction is rolled back
    whole when this raises (the poller), which spares two statements per message."""
    org_id = organization.pk
    try:
        parsed = parse_message(raw, max_message_bytes=settings.MAIL_MAX_MESSAGE_BYTES,
                               max_attachment_bytes=settings.MAIL_MAX_ATTACHMENT_BYTES)
    except MessageRejected as exc:
        return _reject(organization_id=org_id, mailbox=mailbox, raw=raw, reason=exc.reason,
                       source=source, uid=uid)
    for inbound_filter in inbound_filters():  # a bounce report is not the customer's e-mail
        note = inbound_filter(organization=organization, mailbox=mailbox, parsed=parsed, raw=raw)
        if note:
            return Received("handled", notes=[note])
    same_id = EmailMessage.all_objects.filter(organization_id=org_id,
                                              message_id=parsed.message_id)
    # A narrow query for every message; the row itself only for a duplicate.
    existing = same_id.first() if same_id.exists() else None
    if existing is not None:
        return Received("duplicate", message=existing)
    written: list[str] = []
    try:
        with transaction.atomic(savepoint=savepoint):
            message = _store_inbound(organization, parsed, raw, mailbox, written)
    except Exception:
        for path in written:  # the rows rolled back: remove the files they pointed at
            default_storage.delete(path)
        raise
    return Received("stored", message=message, notes=list(parsed.defects))


def _store_inbound(organization: Organization, parsed: ParsedMessage, raw: bytes,
                   mailbox: Mailbox | None, written: list[str]) -> EmailMessage:
    org_id = organization.pk
    now = timezone.now()
    contact, account = _sender_records(org_id, parsed.from_address)
    parent = _parent(org_id, parsed)
    thread = parent.thread if parent is not None else None
    related = thread.related if thread is not None else None
    if thread is None:
        for router in email_routers():
            related = router(organization=organization, mailbox=mailbox, parsed=parsed,
                              contact=contact, account=account)
            if related is not None:
                break
        thread = _thread_for(org_id, related)
    if related is not None:
        account = account or getattr(related, "account", None)
        contact = contact or getattr(related, "contact", None)
    if thread is None:
        thread = Thread(organization_id=org_id, subject=parsed.subject[:300], account=account,
                        contact=contact)
        related_set(thread, related)
    thread.last_message_at = now
    thread.save()
    path = _store_raw(org_id, raw, now)
    written.append(path)
    occurred = min(parsed.date, now) if parsed.date else now
    interaction = Interaction(
        organization_id=org_id, channel=Channel.EMAIL, direction=Direction.INBOUND,
        subject=parsed.subject[:300], notes=parsed.text, account=account, contact=contact,
        thread=thread, occurred_at=occurred)
    related_set(interaction, related)
    interaction.save()
    message = EmailMessage.all_objects.create(
        organization_id=org_id, interaction=interaction, thread=thread, mailbox=mailbox,
        message_id=parsed.message_id[:255], in_reply_to=parsed.in_reply_to[:255],
        references=" ".join(parsed.references), from_address=parsed.from_address[:254],
        from_name=parsed.from_name[:200], to=parsed.to, cc=parsed.cc,
        subject=parsed.subject[:300], body_text=parsed.text, body_html=parsed.html,
        status=EmailStatus.RECEIVED, raw_path=path, defects=list(parsed.defects),
        auto_submitted=parsed.auto_submitted, sent_at=parsed.date)
    for item in parsed.attachments:
        attachment = Attachment(organization_id=org_id, message=message,
                                filename=(item.filename or "attachment")[:255],
                                content_type=item.content_type[:150], size=item.size,
                                dropped_reason=item.dropped_reason[:300])
        if item.data is not None:
            attachment.sha256 = hashlib.sha256(item.data).hexdigest()
            attachment.file.save(item.filename or "attachment", ContentFile(item.data),
                                 save=False)
            written.append(attachment.file.name)
        attachment.save()
    interaction_announce(interaction)
    events.publish("email.received", record=message, data={
        "from": message.from_address, "subject": message.subject,
        "thread": str(thread.uuid)})
    return message
