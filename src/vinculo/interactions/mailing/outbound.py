"""E-mail out: templates with merge fields and sending.

``email_send`` writes the interaction and its message (queued) in the caller's transaction;
the SMTP delivery runs as a background task once it commits, retried with a back-off, and the
message ends ``sent`` or ``failed`` with the error.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from email.utils import formataddr, parseaddr
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.mail import EmailMultiAlternatives
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from vinculo.core.mailqueue import MAX_ATTEMPTS, enqueue, retry_delay
from vinculo.core.mailqueue import RETRY_MINUTES as RETRY_MINUTES  # re-exported by mailing
from vinculo.core.models import Organization, TenantModel, User
from vinculo.core.services import require, versioned_save
from vinculo.customers import selectors as customer_selectors
from vinculo.customers.models import Account, Contact
from vinculo.customers.models import Channel as ConsentChannel
from vinculo.interactions.mail.headers import (
    make_message_id,
    reply_headers,
)
from vinculo.interactions.merge_fields import render_merge, template_check
from vinculo.interactions.models import (
    Attachment,
    Channel,
    Direction,
    EmailMessage,
    EmailStatus,
    EmailTemplate,
    Interaction,
    Mailbox,
    Thread,
)
from vinculo.interactions.services import (
    interaction_announce,
    primary_account,
    related_set,
)

log = logging.getLogger(__name__)

# The retry policy of every outgoing e-mail (``core.mailqueue``): MAX_ATTEMPTS, RETRY_MINUTES.


def email_template_create(*, actor: User, data: dict[str, Any]) -> EmailTemplate:
    """A new template; its merge fields must exist and it must parse."""
    return _email_template_save(actor=actor, data=data)


def email_template_update(*, actor: User, template: EmailTemplate, data: dict[str, Any],
                          expected_version: int | None) -> EmailTemplate:
    """Change a template; refused (``ConflictError``) when it is no longer at
    ``expected_version``."""
    return _email_template_save(actor=actor, data=data, template=template,
                                expected_version=expected_version)


@transaction.atomic
def _email_template_save(*, actor: User, data: dict[str, Any],
                         template: EmailTemplate | None = None,
                         expected_version: int | None = None) -> EmailTemplate:
    require(actor, "interactions.manage")
    allowed = {"name", "language", "subject", "body", "active"}
    unknown = set(data) - allowed
    if unknown:
        raise ValidationError({name: _("This field cannot be set.") for name in sorted(unknown)})
    template = template or EmailTemplate(organization_id=actor.organization_id)
    for key, value in data.items():
        setattr(template, key, value)
    template.full_clean(exclude=["organization"], validate_unique=False)
    template_check(template.subject, field_name="subject")
    template_check(template.body, field_name="body")
    clash = EmailTemplate.objects.filter(name=template.name, language=template.language)
    if clash.exclude(pk=template.pk).exists():
        raise ValidationError({"name": _("A template with this name and language exists.")})
    if template.pk is None:
        template.save()
        return template
    return versioned_save(template, expected_version=expected_version, fields=list(data))


# ---- outbound -------------------------------------------------------------------------------


def _addresses(values: Iterable[str], field_name: str) -> list[str]:
    clean = []
    for value in values:
        _name, address = parseaddr(str(value or "").strip())
        address = address.lower()
        if not address:
            continue
        try:
            validate_email(address)
        except ValidationError:
            raise ValidationError({field_name: _("%(address)s is not a valid e-mail address.")
                                   % {"address": value}}) from None
        if address not in clean:
            clean.append(address)
    return clean


def default_mailbox(organization_id: int) -> Mailbox | None:
    return Mailbox.all_objects.filter(organization_id=organization_id, active=True).order_by(
        "id").first()


def _thread_for(organization_id: int, related: TenantModel | None) -> Thread | None:
    if related is None:
        return None
    from django.contrib.contenttypes.models import ContentType

    return Thread.all_objects.filter(
        organization_id=organization_id,
        related_type=ContentType.objects.get_for_model(type(related)),
        related_id=related.pk).order_by("-last_message_at", "-id").first()


def _last_message(thread: Thread) -> EmailMessage | None:
    return thread.messages.order_by("-created_at", "-id").first()


def _domain(address: str) -> str:
    return address.rpartition("@")[2] or "localhost"


@dataclass(frozen=True)
class OutgoingFile:
    """A file sent with an outbound message (a quote's or an invoice's PDF)."""

    filename: str
    content: bytes
    content_type: str = "application/pdf"


@transaction.atomic
def email_send(*, actor: User, subject: str, body: str, to: Iterable[str] = (),
               cc: Iterable[str] = (), contact: Contact | None = None,
               account: Account | None = None, related: TenantModel | None = None,
               template: EmailTemplate | None = None, mailbox: Mailbox | None = None,
               reply_to_message: EmailMessage | None = None,
               transactional: bool = False) -> Interaction:
    """Write an outbound e-mail (an interaction, queued) and send it once this commits.

    The contact's consent rules it: a message to a contact (the ``contact`` or one whose
    address is among the recipients) who has not consented to e-mail, or withdrew it, is
    refused — unless it is ``transactional``, a message the customer's own request calls for
    (a ticket reply, a quote or invoice they asked for), which is marked as such.

    Recipients default to the contact's address. The message replies into the conversation of
    ``reply_to_message``, else of ``related`` (a ticket's thread), else starts one. With a
    template, its subject and body are rendered over the contact, account, user and related
    record, and ``subject``/``body`` are ignored.
    """
    require(actor, "interactions.add")
    return email_write(
        organization_id=actor.organization_id, actor=actor, subject=subject, body=body, to=to,
        cc=cc, contact=contact, account=account, related=related, template=template,
        mailbox=mailbox, reply_to_message=reply_to_message, transactional=transactional)


@transaction.atomic
def email_write(*, organization_id: int, actor: User | None, subject: str, body: str,
                html_body: str = "", to: Iterable[str] = (), cc: Iterable[str] = (),
                contact: Contact | None = None, account: Account | None = None,
                related: TenantModel | None = None, template: EmailTemplate | None = None,
                mailbox: Mailbox | None = None, reply_to_message: EmailMessage | None = None,
                transactional: bool = False,
                files: Iterable[OutgoingFile] = ()) -> Interaction:
    """``email_send`` for a caller that checked its own permission: a quote or an invoice sent
    by whoever may change it (``sales.change``, ``billing.change``), a satisfaction survey sent
    by the system (``actor`` None: then no agent's first response). Same consent rule, same
    queue and retries, and the message is on the customer's timeline like any other."""
    org_id = organization_id
    for name, record in (("contact", contact), ("account", account), ("template", template),
                         ("mailbox", mailbox), ("related", related)):
        if record is not None and record.organization_id != org_id:
            raise ValidationError({name: _("Not found.")})
    recipients = _addresses(to, "to")
    if not recipients and contact is not None and contact.email:
        recipients = [contact.email]
    if not recipients:
        raise ValidationError({"to": _("Give an e-mail address: the contact has none.")})
    copies = [a for a in _addresses(cc, "cc") if a not in recipients]
    if not transactional:
        _check_consent(org_id, contact, recipients + copies)
    if account is None:
        account = primary_account(contact)
    organization = Organization.objects.get(pk=org_id)
    if template is not None:
        objects = {"contact": contact, "account": account, "user": actor,
                   "organization": organization, "related": related}
        subject = render_merge(template.subject, objects)
        body = render_merge(template.body, objects)
    subject = " ".join((subject or "").split())[:300]
    if not subject:
        raise ValidationError({"subject": _("Give the e-mail a subject.")})
    if not (body or "").strip():
        raise ValidationError({"body": _("Write the message.")})

    thread = reply_to_message.thread if reply_to_message is not None else \
        _thread_for(org_id, related)
    parent = reply_to_message or (_last_message(thread) if thread is not None else None)
    if thread is None:
        thread = Thread(organization_id=org_id, subject=subject, account=account,
                        contact=contact)
        related_set(thread, related)
    thread.last_message_at = timezone.now()
    thread.save()
    mailbox = mailbox or default_mailbox(org_id)
    sender = mailbox.address if mailbox else parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
    headers = reply_headers(parent.message_id, parent.references.split()) if parent else {}

    interaction = Interaction(
        organization_id=org_id, channel=Channel.EMAIL, direction=Direction.OUTBOUND,
        subject=subject, notes=body, account=account, contact=contact, user=actor,
        thread=thread, occurred_at=timezone.now())
    related_set(interaction, related if related is not None else thread.related)
    interaction.save()
    from_name = (actor.get_full_name() if actor is not None else "") or organization.name
    message = EmailMessage.objects.create(
        organization_id=org_id, interaction=interaction, thread=thread, mailbox=mailbox,
        message_id=make_message_id(_domain(sender)),
        in_reply_to=headers.get("In-Reply-To", ""), references=headers.get("References", ""),
        from_address=sender, from_name=from_name[:200], to=recipients, cc=copies,
        subject=subject, body_text=body, body_html=html_body, status=EmailStatus.QUEUED,
        transactional=transactional)
    for item in files:
        attachment = Attachment(organization_id=org_id, message=message,
                                filename=item.filename[:255],
                                content_type=item.content_type[:150], size=len(item.content),
                                sha256=hashlib.sha256(item.content).hexdigest())
        attachment.file.save(item.filename, ContentFile(item.content), save=False)
        attachment.save()
    interaction_announce(interaction, actor)
    transaction.on_commit(lambda: _enqueue_delivery(message.pk))
    return interaction


CONSENT_CHANNEL = ConsentChannel.EMAIL


def _check_consent(org_id: int, contact: Contact | None, addresses: list[str]) -> None:
    """Refuse a non-transactional message to any contact who has not consented to e-mail."""
    refused = customer_selectors.contacts_without_consent(
        organization_id=org_id, channel=CONSENT_CHANNEL, contacts=[contact] if contact else [],
        addresses=addresses)
    if refused:
        names = ", ".join(f"{c} <{c.email}>" if c.email else str(c) for c in refused)
        raise ValidationError({"to": _(
            "%(names)s has not consented to receive e-mail (or withdrew it): record their "
            "consent on the contact before writing to them.") % {"names": names}})


def _enqueue_delivery(message_pk: int, run_after: dt.datetime | None = None) -> None:
    from vinculo.interactions.tasks import email_deliver

    enqueue(email_deliver, message_pk, run_after=run_after)


def _build(message: EmailMessage) -> EmailMultiAlternatives:
    reply_to = [message.mailbox.address] if message.mailbox else []
    headers = {"Message-ID": message.message_id}
    if message.in_reply_to:
        headers["In-Reply-To"] = message.in_reply_to
    if message.references:
        headers["References"] = message.references
    email = EmailMultiAlternatives(
        subject=message.subject, body=message.body_text,
        from_email=formataddr((message.from_name, message.from_address)),
        to=message.to, cc=message.cc, reply_to=reply_to, headers=headers)
    if message.body_html:
        email.attach_alternative(message.body_html, "text/html")
    for attachment in message.attachments.exclude(file=""):
        with attachment.file.open("rb") as handle:
            email.attach(attachment.filename, handle.read(), attachment.content_type)
    return email


def email_deliver(message_pk: int) -> str:
    """Send a queued message through SMTP (the background task); returns its new status.

    A failure is retried after 1, 5, 15 and 60 minutes; after the fifth attempt the message
    is ``failed`` and the error is kept on it.
    """
    message = EmailMessage.all_objects.select_related("mailbox").get(pk=message_pk)
    if message.status != EmailStatus.QUEUED:
        return message.status
    attempts = message.attempts + 1
    try:
        _build(message).send()
    except Exception as exc:  # SMTP, network, DNS: every failure is recorded on the message
        log.warning("e-mail %s failed (attempt %d): %s", message.message_id, attempts, exc)
        final = attempts >= MAX_ATTEMPTS
        EmailMessage.all_objects.filter(pk=message.pk).update(
            attempts=attempts, error=f"{type(exc).__name__}: {exc}"[:2000],
            status=EmailStatus.FAILED if final else EmailStatus.QUEUED)
        if not final:
            _enqueue_delivery(message.pk, timezone.now() + retry_delay(attempts))
        return EmailStatus.FAILED if final else EmailStatus.QUEUED
    EmailMessage.all_objects.filter(pk=message.pk).update(
        attempts=attempts, status=EmailStatus.SENT, sent_at=timezone.now(), error="")
    return EmailStatus.SENT
