"""Attaching files and writing comments on records; @mentions tell the people named.

Every service checks the actor's role and that the actor can read the record (a file on an
account a representative cannot see is refused as "not found", like the account itself).
"""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.files.base import File
from django.db import transaction
from django.utils.translation import gettext as _

from vinculo.attachments import selectors
from vinculo.attachments.models import RECORDS, Comment, RecordFile
from vinculo.core import events
from vinculo.core.models import TenantModel, User
from vinculo.core.notifications import notify
from vinculo.core.roles import role_has
from vinculo.core.services import PermissionDeniedError, require

MAX_COMMENT = 10_000
EMAIL_MENTION = re.compile(r"@([\w.+-]+@[\w-]+(?:\.[\w-]+)+)")


def _check_record(actor: User, record: TenantModel | None, field: str = "record") -> None:
    """The record may take files and comments and ``actor`` may read it."""
    if record is None:
        raise ValidationError({field: _("Not found.")})
    label = record._meta.label_lower
    visible = (label in RECORDS and record.organization_id == actor.organization_id
               and selectors.record_resolve(f"{label}:{record.uuid}", actor) is not None)
    if not visible:
        raise ValidationError({field: _("Not found.")})


def _link(row: Any, record: TenantModel, actor: User) -> None:
    row.organization_id = actor.organization_id
    row.record_type = ContentType.objects.get_for_model(type(record))
    row.record_id = record.pk


def _may_remove(actor: User, author_id: int | None, domain: str) -> None:
    """``<domain>.delete`` removes what one added; ``<domain>.moderate`` anyone's."""
    require(actor, f"{domain}.delete")
    if author_id != actor.pk and not role_has(actor.role, f"{domain}.moderate"):
        raise PermissionDeniedError(_("Only who added it or a manager may remove it."))


# ---- files ------------------------------------------------------------------------------------


def max_upload_bytes() -> int:
    return int(settings.MAX_UPLOAD_BYTES)


def file_attach(*, actor: User, record: TenantModel, upload: File, filename: str = "",
                content_type: str = "") -> RecordFile:
    """Store ``upload`` on ``record``. A file over ``VINCULO_MAX_UPLOAD_MB`` or an empty one
    is refused naming the ``file`` field, before anything is written."""
    require(actor, "attachments.add")
    _check_record(actor, record)
    name = (filename or getattr(upload, "name", "") or "").rsplit("/", 1)[-1].strip()[:255]
    size = upload.size or 0
    limit = max_upload_bytes()
    if size > limit:
        raise ValidationError({"file": _(
            "The file is %(size)s MB; files may be at most %(limit)s MB.") % {
                "size": f"{size / 2**20:.1f}", "limit": f"{limit / 2**20:g}"}})
    if size == 0:
        raise ValidationError({"file": _("The file is empty.")})
    row = RecordFile(filename=name or _("file"), size=size, uploaded_by=actor,
                     content_type=(content_type or getattr(upload, "content_type", "")
                                   or "")[:150])
    _link(row, record, actor)
    row.file.save(row.filename, upload, save=False)
    stored = row.file.name or ""
    try:
        with transaction.atomic():
            row.save()
            events.publish("attachment.added", record=row, actor=actor, data={
                "record_type": row.record_type.natural_key()[0] + "." + row.record_type.model,
                "record": str(record.uuid), "filename": row.filename, "size": row.size})
    except BaseException:
        if stored:  # nothing half-written: no orphan file either
            row.file.storage.delete(stored)
        raise
    return row


def file_delete(*, actor: User, file: RecordFile) -> None:
    """Remove a file: moderators any, others their own. The stored bytes go once the
    deletion commits."""
    _check_record(actor, file.record)
    _may_remove(actor, file.uploaded_by_id, "attachments")
    stored, storage = file.file.name or "", file.file.storage
    with transaction.atomic():
        file.delete()
        if stored:
            transaction.on_commit(lambda: storage.delete(stored))


# ---- comments ---------------------------------------------------------------------------------


def mentioned_users(actor: User, body: str) -> list[User]:
    """Active colleagues of ``actor``'s organisation that ``body`` names as ``@e-mail`` or
    ``@Full Name`` (case and accents as written on the user)."""
    if actor.organization_id is None:
        return []
    colleagues = list(User.objects.filter(organization_id=actor.organization_id,
                                          is_active=True))
    emails = {m.lower() for m in EMAIL_MENTION.findall(body)}
    found: dict[int, User] = {}
    lowered = body.lower()
    for user in colleagues:
        if user.email and user.email.lower() in emails:
            found[user.pk] = user
            continue
        for name in {user.get_full_name().strip(), user.username}:
            if name and re.search(r"@" + re.escape(name.lower()) + r"(?![\w@.-]*\w)",
                                  lowered):
                found[user.pk] = user
                break
    return list(found.values())


def comment_add(*, actor: User, record: TenantModel, body: str) -> Comment:
    """Write a comment on ``record``; each colleague it @mentions gets a notification."""
    require(actor, "comments.add")
    _check_record(actor, record)
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": _("Write a comment.")})
    if len(body) > MAX_COMMENT:
        raise ValidationError({"body": _(
            "A comment may be at most %(limit)s characters long.") % {"limit": MAX_COMMENT}})
    mentions = mentioned_users(actor, body)
    with transaction.atomic():
        comment = Comment(body=body, author=actor)
        _link(comment, record, actor)
        comment.save()
        comment.mentions.set(mentions)
        events.publish("comment.added", record=comment, actor=actor, data={
            "record": str(record.uuid), "mentions": [str(u.uuid) for u in mentions]})
        _tell_mentioned(actor, record, comment, mentions)
    return comment


def _tell_mentioned(actor: User, record: TenantModel, comment: Comment,
                    mentions: list[User]) -> None:
    url = selectors.record_url(record)
    # the kind of record is named in each recipient's language (notify calls this per person)
    notify([u for u in mentions if u.pk != actor.pk], lambda: (
        _("%(who)s mentioned you on %(record)s") % {
            "who": actor, "record": selectors.record_label(record)},
        comment.body), url=settings.SITE_URL + url if url else "")


def comment_delete(*, actor: User, comment: Comment) -> None:
    """Remove a comment: moderators any, others their own."""
    _check_record(actor, comment.record)
    _may_remove(actor, comment.author_id, "comments")
    with transaction.atomic():
        comment.delete()


def record_deleted(sender: type, instance: TenantModel, **kwargs: Any) -> None:
    """A record's files and comments go with it (``post_delete`` of every kind in
    ``RECORDS``); the stored bytes once the deletion commits."""
    kind = ContentType.objects.get_for_model(sender)
    files = RecordFile.all_objects.filter(record_type=kind, record_id=instance.pk)
    stored = [name for name in files.values_list("file", flat=True) if name]
    files.delete()
    Comment.all_objects.filter(record_type=kind, record_id=instance.pk).delete()
    if stored:
        storage = RecordFile._meta.get_field("file").storage

        def remove() -> None:
            for name in stored:
                storage.delete(name)

        transaction.on_commit(remove)
