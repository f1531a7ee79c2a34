"""Reads of files and comments: a record's, the records they may hang on, the timeline."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.template.defaultfilters import filesizeformat
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from vinculo.attachments.models import RECORDS, Comment, RecordFile
from vinculo.core.models import TenantModel, User
from vinculo.core.roles import role_has


def record_resolve(ref: str, user: User) -> TenantModel | None:
    """The record ``ref`` (``app_label.model:uuid``) names, if files and comments may hang on
    it and ``user`` may read it (its permission and record rule); None otherwise."""
    label, _sep, uuid = (ref or "").partition(":")
    label = label.lower()
    if label not in RECORDS or not role_has(user.role, RECORDS[label]):
        return None
    model = apps.get_model(label)
    try:
        return model.objects.all().restrict(user).filter(uuid=uuid).first()
    except (ValueError, ValidationError):  # a malformed UUID: nothing by that name
        return None


def record_url(record: Any) -> str:
    """The page of a record, by the convention ``<app>:<model>_detail``; '' when none."""
    meta = record._meta
    try:
        return reverse(f"{meta.app_label}:{meta.model_name}_detail",
                       kwargs={"uuid": record.uuid})
    except NoReverseMatch:
        return ""


def record_label(record: Any) -> str:
    """How a page names a record: its kind and its name (``Account Textil Sol SL``)."""
    return f"{record._meta.verbose_name} {record}".strip()


def _of(model: Any, record: Any) -> QuerySet:
    return model.objects.filter(record_type=ContentType.objects.get_for_model(type(record)),
                                record_id=record.pk)


def files_of(record: Any) -> QuerySet:
    """The files attached to ``record``, newest first."""
    return _of(RecordFile, record).select_related("uploaded_by")


def comments_of(record: Any) -> QuerySet:
    """The comments on ``record``, newest first, with who wrote them and whom they mention."""
    return _of(Comment, record).select_related("author").prefetch_related("mentions")


def _about_customer(model: Any, record: Any) -> QuerySet:
    """Rows of ``model`` on ``record`` (an account or contact) or on any record of theirs
    (an opportunity, quote, order or ticket whose ``account``/``contact`` it is): one query,
    a subquery per kind of record."""
    field = record._meta.model_name  # "account" or "contact"
    rule = Q(record_type=ContentType.objects.get_for_model(type(record)), record_id=record.pk)
    for label in RECORDS:
        kind = apps.get_model(label)
        link = next((f for f in kind._meta.concrete_fields
                     if f.name == field and f.is_relation
                     and f.related_model is type(record)), None)
        if link is not None:
            rule |= Q(record_type=ContentType.objects.get_for_model(kind),
                      record_id__in=kind.objects.filter(**{field: record}).values("pk"))
    return model.objects.filter(rule).prefetch_related("record")


def _on(row: Any, record: Any) -> str:
    """`` (Opportunity Trato Sol)`` when ``row`` hangs on another record than ``record``."""
    if (row.record_type_id, row.record_id) == (
            ContentType.objects.get_for_model(type(record)).pk, record.pk) or row.record is None:
        return ""
    return f" ({record_label(row.record)})"


def timeline(record: Any, limit: int) -> list[Any]:
    """Files and comments on an account or contact and on their opportunities, quotes, orders
    and tickets, for the 360° timeline."""
    from vinculo.core.timeline import TimelineItem

    if record._meta.label_lower not in ("customers.account", "customers.contact"):
        return []
    items = []
    for row in _about_customer(RecordFile, record).select_related("uploaded_by")[:limit]:
        detail = filesizeformat(row.size)
        if row.uploaded_by_id:
            detail = f"{row.uploaded_by} · {detail}"
        items.append(TimelineItem(row.created_at, "attachment",
                                  _("File attached: %(name)s") % {"name": row.filename}
                                  + _on(row, record),
                                  reverse("attachments:file_download",
                                          kwargs={"uuid": row.uuid}), detail))
    for comment in _about_customer(Comment, record).select_related("author")[:limit]:
        who = str(comment.author) if comment.author_id else _("Someone")
        items.append(TimelineItem(comment.created_at, "comment",
                                  _("Comment by %(who)s") % {"who": who} + _on(comment, record),
                                  "", comment.body[:300]))
    return items
