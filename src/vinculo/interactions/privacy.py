"""What interactions holds about a contact (``core/privacy.py``): the interactions whose
contact they are (with their e-mails and attachments), threads, tasks about them, and the web
forms they sent. After an erasure their interactions stay as dated events of the channel
(counted by the cost to serve) without subject, notes, addresses, bodies or files; mentions of
the person anywhere else in the timeline go too, also from the stored raw messages (of e-mails
that name them, and of inbound messages rejected before they became an interaction)."""

from __future__ import annotations

import contextlib
import posixpath
import uuid
from collections.abc import Iterable
from email import policy
from email.parser import BytesHeaderParser, BytesParser
from email.utils import getaddresses
from typing import Any

from django.conf import settings
from django.db.models import Q, TextField
from django.db.models.functions import Cast

from vinculo.core.privacy import (
    MARK,
    Subject,
    delete_files_on_commit,
    file_replace,
    mentioning,
    plain,
    redact,
    scrub_org,
    stored_bytes,
)
from vinculo.interactions.models import (
    Attachment,
    Channel,
    EmailMessage,
    Interaction,
    RejectedMessage,
    Task,
    Thread,
    WebFormSubmission,
)

EMAIL_TEXT = ("from_address", "from_name", "to", "cc", "subject", "body_text", "body_html")
#: The headers that say whom a message is from or to.
ADDRESS_HEADERS = frozenset({
    "from", "sender", "reply-to", "return-path", "to", "cc", "bcc", "delivered-to",
    "resent-from", "resent-sender", "resent-to", "resent-cc", "resent-bcc"})


def _theirs(model: Any, subject: Subject) -> Any:
    return model.all_objects.filter(organization_id=subject.organization_id,
                                    contact_id=subject.contact.pk)


def _emails(subject: Subject) -> Any:
    """Their interactions' e-mails, and e-mails from or to their addresses."""
    condition = Q(interaction__contact_id=subject.contact.pk)
    for address in subject.emails:
        condition |= Q(from_address__iexact=address)
    by_text = mentioning(EmailMessage.all_objects.filter(
        organization_id=subject.organization_id), ("to", "cc"), subject)
    return EmailMessage.all_objects.filter(
        Q(pk__in=by_text.values("pk")) | condition, organization_id=subject.organization_id)


#: The channels whose interactions are messages exchanged with the person (their subject and
#: text were sent to them or came from them); what staff log of other channels (a call, a
#: visit) is their own note, left out of the person's self-service download.
MESSAGE_CHANNELS = (Channel.EMAIL, Channel.WEB_FORM)


def export_interactions(subject: Subject, *, internal: bool = True) -> list[dict[str, Any]]:
    emails = {e.interaction_id: e for e in _emails(subject).prefetch_related("attachments")}
    found = Interaction.all_objects.filter(
        Q(contact_id=subject.contact.pk) | Q(pk__in=list(emails)),
        organization_id=subject.organization_id).order_by("occurred_at", "id")
    result = []
    for item in found:
        row: dict[str, Any] = {"date": item.occurred_at, "channel": item.channel,
                               "direction": item.direction}
        if internal:
            row.update(subject=item.subject, notes=item.notes, outcome=item.outcome)
        elif item.channel in MESSAGE_CHANNELS:
            row.update(subject=item.subject, notes=item.notes)
        email = emails.get(item.pk)
        if email is not None:
            row["email"] = {name: getattr(email, name) for name in
                            ("from_address", "from_name", "to", "cc", "subject", "body_text")}
            row["email"]["attachments"] = [a.filename for a in email.attachments.all()]
        result.append(plain(row))
    return result


def export_interactions_for_customer(subject: Subject) -> list[dict[str, Any]]:
    """The person's own download: every interaction's date and channel, the messages
    exchanged with them (e-mails, web forms) in full, and none of staff's notes or outcomes
    of calls, visits and the like."""
    return export_interactions(subject, internal=False)


def export_tasks(subject: Subject) -> list[dict[str, Any]]:
    return [plain({"title": t.title, "due": t.due_at, "status": t.status, "notes": t.notes})
            for t in _theirs(Task, subject).order_by("created_at", "id")]


def export_web_forms(subject: Subject) -> list[dict[str, Any]]:
    """The submissions they sent: logged on their contact, or carrying one of their e-mail
    addresses as a value. Not every submission that mentions their name or phone: those are
    other people's (erasure still scrubs the mention from them)."""
    condition = Q(interaction__contact_id=subject.contact.pk)
    for address in subject.emails:
        if address:
            condition |= Q(_privacy_data__icontains=f'"{address}"')
    found = WebFormSubmission.all_objects.filter(
        organization_id=subject.organization_id).annotate(
        _privacy_data=Cast("data", TextField())).filter(condition)
    return [plain({"date": s.created_at, "form": s.form.name, "data": s.data})
            for s in found.select_related("form").order_by("created_at", "id")]


def erase_interactions(subject: Subject) -> None:
    """Their interactions, e-mails (raw message and attachments too) and threads lose their
    text; tasks about them their title and notes; mentions elsewhere go, also from the raw
    messages of other e-mails and of rejected ones (:func:`erase_raw_messages`)."""
    org = subject.organization_id
    emails = _emails(subject)
    email_ids = list(emails.values_list("pk", flat=True))
    naming = list(mentioning(EmailMessage.all_objects.filter(organization_id=org),
                             EMAIL_TEXT, subject).exclude(pk__in=email_ids)
                  .exclude(raw_path="").values_list("pk", "raw_path"))
    files = Attachment.all_objects.filter(message_id__in=email_ids)
    delete_files_on_commit([*files.values_list("file", flat=True),
                            *emails.values_list("raw_path", flat=True)])
    files.delete()
    EmailMessage.all_objects.filter(pk__in=email_ids).update(
        from_address="", from_name="", to=[], cc=[], subject=MARK, body_text="", body_html="",
        raw_path="", references="")
    interactions = Interaction.all_objects.filter(
        Q(contact_id=subject.contact.pk) | Q(email__in=email_ids), organization_id=org)
    subject.mark(Interaction, interactions.values_list("pk", flat=True),
                 fields=("subject", "notes"))
    interactions.update(subject=MARK, notes="")
    _theirs(Thread, subject).update(subject=MARK)
    tasks = _theirs(Task, subject)
    subject.mark(Task, tasks.values_list("pk", flat=True), fields=("title", "notes"))
    tasks.update(title=MARK, notes="")
    scrub_org(subject, Interaction, "subject", "notes")
    scrub_org(subject, EmailMessage, *EMAIL_TEXT)
    scrub_org(subject, Attachment, "filename")
    scrub_org(subject, Thread, "subject")
    scrub_org(subject, Task, "title", "notes")
    scrub_org(subject, RejectedMessage, "reason")
    erase_raw_messages(subject, EmailMessage, naming)
    erase_raw_messages(subject, RejectedMessage, RejectedMessage.all_objects.filter(
        organization_id=org).exclude(raw_path="").order_by("id").values_list("pk", "raw_path"))


# ---- stored raw messages ----------------------------------------------------------------------


def erase_raw_messages(subject: Subject, model: Any, found: Iterable[tuple[int, str]]) -> None:
    """The stored raw messages ``(pk, raw_path)`` of ``model`` (``EmailMessage`` or
    ``RejectedMessage``) without the person.

    A message from or to one of their addresses is theirs: its raw file is deleted (after
    commit), not scrubbed, and the row keeps no path. A raw message is the sender's bytes as
    they came — headers in RFC 2047 encoded words, bodies in base64 or quoted-printable,
    often broken (a rejected message is one the product could not read) — so replacing text
    in it cannot prove that every trace of them is gone; and nothing depends on it: an
    accepted e-mail keeps its parsed text on its row (blanked for theirs), and a rejected
    message never became an interaction, so its row stays (date, mailbox, source, size, the
    reason scrubbed) as the record that something came and was refused.

    Someone else's message that only names them keeps its raw file, written again with every
    plain occurrence of their identifiers replaced by ``***``; when it still shows them once
    decoded (a mention inside an encoded part), it is deleted too. A message larger than the
    inbound limit (``MAIL_MAX_MESSAGE_BYTES``), refused for its size, is not decoded again:
    only its plain text is searched. A raw file that cannot be read is logged and left
    (``Subject.not_reached``); the erasure goes on."""
    gone: list[int] = []
    moved: dict[int, str] = {}
    for pk, path in found:
        try:  # no query in here: a database error must not be swallowed (PostgreSQL)
            raw = stored_bytes(path)
            if raw is None:
                continue
            without = _raw_without(raw, subject)
            if without is None:
                gone.append(pk)
                delete_files_on_commit([path])
            elif without != raw:
                fresh = posixpath.join(posixpath.dirname(path), f"{uuid.uuid4().hex}.eml")
                moved[pk] = file_replace(subject, path, fresh, without)
        except Exception as exc:  # a storage that fails to read or write
            subject.not_reached(f"{model._meta.label} {pk} (raw message {path})",
                                f"{type(exc).__name__}: {exc}"[:200])
    model.all_objects.filter(pk__in=gone).update(raw_path="")
    for pk, path in moved.items():
        model.all_objects.filter(pk=pk).update(raw_path=path)


def _raw_without(raw: bytes, subject: Subject) -> bytes | None:
    """The raw message with the person's identifiers replaced, or None when it must go whole
    (from or to them, or naming them where the bytes do not show it)."""
    if _addressed(raw, subject.emails):
        return None
    needles = subject.needles
    if not needles:
        return raw
    # surrogateescape: any bytes round-trip, and UTF-8 text is searched as text
    scrubbed = redact(raw.decode("utf-8", "surrogateescape"), needles).encode(
        "utf-8", "surrogateescape")
    if len(raw) <= settings.MAIL_MAX_MESSAGE_BYTES and any(
            redact(text, needles) != text for text in _decoded(scrubbed)):
        return None
    return scrubbed


def _addressed(raw: bytes, emails: Iterable[str]) -> bool:
    """Whether the message's address headers (read leniently) hold one of ``emails``."""
    wanted = {e.lower() for e in emails if e}
    if not wanted:
        return False
    head = BytesHeaderParser(policy=policy.compat32).parsebytes(raw)
    values = [str(value) for name, value in head.raw_items() if name.lower() in ADDRESS_HEADERS]
    return any(address.lower() in wanted for _name, address in getaddresses(values))


def _decoded(raw: bytes) -> list[str]:
    """The message's headers and text parts as a reader sees them (encoded words, base64,
    quoted-printable and charsets undone), as far as each decodes."""
    try:
        parts = list(BytesParser(policy=policy.default).parsebytes(raw).walk())
    except Exception:  # nested too deeply, or a parser bug on hostile input
        return []
    texts: list[str] = []
    for part in parts:
        with contextlib.suppress(Exception):
            texts.extend(str(value) for _name, value in part.items())
        with contextlib.suppress(Exception):
            if part.get_content_maintype() == "text":
                texts.append(part.get_content())
    return texts


def erase_web_forms(subject: Subject) -> None:
    scrub_org(subject, WebFormSubmission, "data")
