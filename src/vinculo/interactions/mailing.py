"""E-mail in and out: templates with merge fields, sending, receiving, threading, polling.

Outbound: ``email_send`` writes the interaction and its message (queued) in the caller's
transaction; the SMTP delivery runs as a background task once it commits, retried with a
back-off, and the message ends ``sent`` or ``failed`` with the error.

Inbound: ``email_receive`` is the one path for a raw message, from the IMAP poller
(``mailbox_poll``) and from the HTTP endpoint alike. A message is matched to a contact by its
sender, threaded by Message-ID / In-Reply-To / References onto the conversation it answers
(or handed to the registered inbound handlers, which may open a ticket), stored with its
attachments and the raw original. What cannot be used is kept raw as a ``RejectedMessage``
with the reason: the poller advances past a message only once it is stored one way or the
other, so nothing is lost and nothing is imported twice.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from email.utils import formataddr, parseaddr
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.mail import EmailMultiAlternatives
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from vinculo.core import crypto, events
from vinculo.core.models import Organization, TenantModel, User
from vinculo.core.services import refuse_unknown, require, versioned_save
from vinculo.customers.models import Account, Contact
from vinculo.interactions.mail.parse import (
    MessageRejected,
    ParsedMessage,
    make_message_id,
    parse_message,
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
    RejectedMessage,
    Thread,
)
from vinculo.interactions.services import (
    email_routers,
    interaction_announce,
    primary_account,
    related_set,
)

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
RETRY_MINUTES = (1, 5, 15, 60)

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


@transaction.atomic
def email_send(*, actor: User, subject: str, body: str, to: Iterable[str] = (),
               cc: Iterable[str] = (), contact: Contact | None = None,
               account: Account | None = None, related: TenantModel | None = None,
               template: EmailTemplate | None = None, mailbox: Mailbox | None = None,
               reply_to_message: EmailMessage | None = None) -> Interaction:
    """Write an outbound e-mail (an interaction, queued) and send it once this commits.

    Recipients default to the contact's address. The message replies into the conversation of
    ``reply_to_message``, else of ``related`` (a ticket's thread), else starts one. With a
    template, its subject and body are rendered over the contact, account, user and related
    record, and ``subject``/``body`` are ignored.
    """
    require(actor, "interactions.add")
    org_id = actor.organization_id
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
    message = EmailMessage.objects.create(
        organization_id=org_id, interaction=interaction, thread=thread, mailbox=mailbox,
        message_id=make_message_id(_domain(sender)),
        in_reply_to=headers.get("In-Reply-To", ""), references=headers.get("References", ""),
        from_address=sender, from_name=actor.get_full_name() or organization.name,
        to=recipients, cc=copies, subject=subject, body_text=body, status=EmailStatus.QUEUED)
    interaction_announce(interaction, actor)
    transaction.on_commit(lambda: _enqueue_delivery(message.pk))
    return interaction


def _enqueue_delivery(message_pk: int, run_after: dt.datetime | None = None) -> None:
    from vinculo.interactions.tasks import email_deliver

    task = email_deliver
    if run_after is not None and task.get_backend().supports_defer:
        task = task.using(run_after=run_after)
    task.enqueue(message_pk)


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
            _enqueue_delivery(message.pk, timezone.now() + dt.timedelta(
                minutes=RETRY_MINUTES[min(attempts, len(RETRY_MINUTES)) - 1]))
        return EmailStatus.FAILED if final else EmailStatus.QUEUED
    EmailMessage.all_objects.filter(pk=message.pk).update(
        attempts=attempts, status=EmailStatus.SENT, sent_at=timezone.now(), error="")
    return EmailStatus.SENT


# ---- inbound --------------------------------------------------------------------------------


@dataclass
class Received:
    """What became of one inbound message."""

    outcome: str  # "stored", "duplicate" or "rejected"
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


# ---- mailboxes ------------------------------------------------------------------------------

MAILBOX_FIELDS = ("name", "address", "imap_host", "imap_port", "imap_ssl", "imap_username",
                  "imap_folder", "processed_folder", "active")


def mailbox_create(*, actor: User, data: dict[str, Any],
                   password: str | None = None) -> Mailbox:
    """A new mailbox; a given ``password`` is stored encrypted."""
    return _mailbox_save(actor=actor, data=data, password=password)


def mailbox_update(*, actor: User, mailbox: Mailbox, data: dict[str, Any],
                   expected_version: int | None, password: str | None = None) -> Mailbox:
    """Change a mailbox; a given ``password`` is stored encrypted (None keeps it).

    Refused (``ConflictError``) when the row is no longer at ``expected_version``.
    """
    return _mailbox_save(actor=actor, data=data, mailbox=mailbox, password=password,
                         expected_version=expected_version)


@transaction.atomic
def _mailbox_save(*, actor: User, data: dict[str, Any], mailbox: Mailbox | None = None,
                  password: str | None = None,
                  expected_version: int | None = None) -> Mailbox:
    require(actor, "interactions.manage")
    refuse_unknown(data, MAILBOX_FIELDS)
    mailbox = mailbox or Mailbox(organization_id=actor.organization_id)
    moved = any(key in data and data[key] != getattr(mailbox, key)
                for key in ("imap_host", "imap_username", "imap_folder"))
    for key, value in data.items():
        setattr(mailbox, key, value.lower() if key == "address" else value)
    if password is not None:
        mailbox.imap_password = crypto.encrypt(password)
    if moved and mailbox.pk:  # another mailbox: read it from its start
        mailbox.uidvalidity, mailbox.last_uid = 0, 0
    mailbox.full_clean(exclude=["organization"], validate_unique=False)
    clash = Mailbox.all_objects.filter(organization_id=mailbox.organization_id,
                                       address=mailbox.address).exclude(pk=mailbox.pk)
    if clash.exists():
        raise ValidationError({"address": _("Another mailbox has this address.")})
    if mailbox.imap_host and not mailbox.imap_username:
        raise ValidationError({"imap_username": _("Give the IMAP user.")})
    if mailbox.pk is None:
        mailbox.save()
        return mailbox
    fields = list(data)
    if password is not None:
        fields.append("imap_password")
    if moved:
        fields += ["uidvalidity", "last_uid"]
    return versioned_save(mailbox, expected_version=expected_version, fields=fields)


@transaction.atomic
def mailbox_token_rotate(*, actor: User, mailbox: Mailbox) -> str:
    """A new secret for the HTTP inbound endpoint of ``mailbox``; shown once."""
    require(actor, "interactions.manage")
    token = Mailbox.generate_token()
    Mailbox.all_objects.filter(pk=mailbox.pk).update(inbound_token_hash=Mailbox.hash_token(token))
    return token


#: What a failed connection test means, by ``ImapError.code``.
IMAP_PROBLEMS = {
    "unreachable": gettext_lazy("The server could not be reached: check the server name and "
                                "port, and that it accepts connections from here."),
    "tls": gettext_lazy("The secure connection failed: check the port and the TLS setting, "
                        "and that the server's certificate is valid for its name."),
    "auth": gettext_lazy("The server refused the user name or password."),
    "folder": gettext_lazy("The folder does not exist on the server."),
    "protocol": gettext_lazy("The server answered something unexpected."),
    "settings": gettext_lazy("Give the IMAP server and user, and save, before testing."),
    "secret": gettext_lazy("The stored password cannot be decrypted (the encryption keys "
                           "changed since it was saved). Enter it again."),
}
#: How long a connection test waits for the server, in seconds (the poller waits longer).
CHECK_TIMEOUT = 15


@dataclass
class ConnectionCheck:
    """What "Test connection" found: ``code`` says what failed (an ``ImapError`` code, or
    "settings" / "secret"), ``problem`` explains it to people, ``detail`` is the server's
    own words."""

    ok: bool
    code: str = ""
    problem: str = ""
    detail: str = ""


def mailbox_check(*, actor: User, mailbox: Mailbox) -> ConnectionCheck:
    """Connect, log in and open the folder with the mailbox's stored settings."""
    from dataclasses import replace

    from vinculo.interactions.mail.imap import ImapError, check_connection

    require(actor, "interactions.manage")

    def failed(code: str, detail: str = "") -> ConnectionCheck:
        return ConnectionCheck(False, code, str(IMAP_PROBLEMS[code]), detail)

    if not (mailbox.imap_host and mailbox.imap_username):
        return failed("settings")
    try:
        check_connection(replace(imap_settings(mailbox), timeout=CHECK_TIMEOUT))
    except ImapError as exc:
        return failed(exc.code if exc.code in IMAP_PROBLEMS else "protocol", str(exc))
    except crypto.SecretUnreadableError:
        return failed("secret")
    return ConnectionCheck(True)


@dataclass
class PollResult:
    fetched: int = 0
    stored: int = 0
    duplicates: int = 0
    rejected: int = 0
    error: str = ""


def imap_settings(mailbox: Mailbox) -> Any:
    from vinculo.interactions.mail.imap import ImapSettings

    return ImapSettings(host=mailbox.imap_host, port=mailbox.imap_port,
                        use_ssl=mailbox.imap_ssl, username=mailbox.imap_username,
                        password=crypto.decrypt(mailbox.imap_password),
                        folder=mailbox.imap_folder or "INBOX")


def mailbox_poll(*, mailbox: Mailbox, batch: int = 100) -> PollResult:
    """Fetch and store the mailbox's new messages; errors end the poll, recorded, not raised.

    The position (``last_uid``) moves in the transaction that stores each message, and the
    message is flagged (or moved) on the server only after that commits.
    """
    from vinculo.interactions.mail.imap import ImapSource

    result = PollResult()
    organization = Organization.objects.get(pk=mailbox.organization_id)
    try:
        with ImapSource(imap_settings(mailbox)) as source:
            if source.uidvalidity != mailbox.uidvalidity:
                mailbox.uidvalidity, mailbox.last_uid = source.uidvalidity, 0
                Mailbox.all_objects.filter(pk=mailbox.pk).update(
                    uidvalidity=mailbox.uidvalidity, last_uid=0)
            uids = source.uids_after(mailbox.last_uid)
            for start in range(0, len(uids), batch):
                done = []
                for uid, raw in source.fetch(uids[start:start + batch]):
                    result.fetched += 1
                    outcome = _receive_one(organization, mailbox, uid, raw)
                    setattr(result, outcome, getattr(result, outcome) + 1)
                    done.append(uid)
                if done:
                    source.mark_processed(done, move_to=mailbox.processed_folder or None)
        error = ""
    except Exception as exc:  # connection, login, server: recorded on the mailbox
        log.warning("polling mailbox %s failed: %s", mailbox.address, exc)
        error = f"{type(exc).__name__}: {exc}"[:2000]
    result.error = error
    Mailbox.all_objects.filter(pk=mailbox.pk).update(last_polled_at=timezone.now(),
                                                     last_error=error)
    return result


def _receive_one(organization: Organization, mailbox: Mailbox, uid: int, raw: bytes) -> str:
    """Store one fetched message and advance the position, in one transaction."""
    try:
        with transaction.atomic():  # on any error all of it rolls back, so no savepoint inside
            received = _receive(organization, raw, mailbox, "imap", uid, savepoint=False)
            Mailbox.all_objects.filter(pk=mailbox.pk).update(last_uid=uid)
    except Exception as exc:  # a fault of ours: keep the message raw, with the reason
        log.exception("storing uid %s of %s failed", uid, mailbox.address)
        with transaction.atomic():
            _reject(organization_id=organization.pk, mailbox=mailbox, raw=raw,
                    reason=_("Could not be stored: %(error)s") % {
                        "error": f"{type(exc).__name__}: {exc}"[:500]},
                    source="imap", uid=uid)
            Mailbox.all_objects.filter(pk=mailbox.pk).update(last_uid=uid)
        return "rejected"
    mailbox.last_uid = uid
    return {"stored": "stored", "duplicate": "duplicates", "rejected": "rejected"}[
        received.outcome]


def mailbox_for_token(token: str) -> Mailbox | None:
    """The mailbox whose HTTP inbound secret is ``token`` (compared by hash)."""
    if not token:
        return None
    return Mailbox.all_objects.filter(inbound_token_hash=Mailbox.hash_token(token),
                                      active=True).first()


def poll_all(*, address: str | None = None) -> list[tuple[Mailbox, PollResult]]:
    """Poll every active IMAP mailbox of every organisation (the periodic job)."""
    from vinculo.core.tenancy import organization_scope

    mailboxes = Mailbox.all_objects.filter(active=True).exclude(imap_host="").order_by("id")
    if address:
        mailboxes = mailboxes.filter(address=address.lower())
    results = []
    for mailbox in mailboxes:
        with organization_scope(mailbox.organization_id):
            results.append((mailbox, mailbox_poll(mailbox=mailbox)))
    return results
