"""Files and comments attached to any record (an account, a lead, an order, a ticket…).

Both point at their record through a generic relation (content type + id), as interactions
do: this app sits above every app whose records it decorates and imports none of them, and
one indexed column pair serves "files of this record" for every kind of record, where a
foreign key per model would add a column (and a migration here) for each new kind. What a
row may be attached to, and which permission reads it, is ``RECORDS``; a row is visible to a
user exactly when its record is (``RecordLinkQuerySet.restrict``), so a representative who
cannot see an account cannot see or download its files.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager

from vinculo.core.files import UnguessableName
from vinculo.core.links import TenantLink, TenantManyToManyField
from vinculo.core.models import TenantModel, TenantQuerySet
from vinculo.core.roles import role_has

#: The records that take files and comments, and the permission that reads each.
RECORDS: dict[str, str] = {
    "customers.account": "customers.view",
    "customers.contact": "customers.view",
    "customers.lead": "customers.view",
    "sales.opportunity": "sales.view",
    "sales.quote": "sales.view",
    "sales.order": "sales.view",
    "service.ticket": "service.view",
}


class RecordLinkQuerySet(TenantQuerySet):
    def restrict(self, user: Any, action: str = "view") -> RecordLinkQuerySet:
        """Rows whose record ``user`` may read: the record's permission and its record rule.

        One query: per kind of record, the rows of that type whose id is among the records
        the user sees (a subquery on the record's primary key)."""
        rule = Q(pk__in=[])
        for label, permission in RECORDS.items():
            if not role_has(getattr(user, "role", None), permission):
                continue
            model = apps.get_model(label)
            kind = Q(record_type=ContentType.objects.get_for_model(model))
            # always through the records the user sees: a row never outlives its record's
            # visibility, whatever the record rule (or its absence) says
            visible = model.objects.all().restrict(user)
            rule |= kind & Q(record_id__in=visible.values("pk"))
        return self.filter(rule)


RecordLinkManager = models.Manager.from_queryset(RecordLinkQuerySet)


class RecordLink(TenantModel):
    """The record a file or comment belongs to."""

    record_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    record_id = models.BigIntegerField()
    record = GenericForeignKey("record_type", "record_id")

    objects = ScopedManager(organization="organization", _manager_class=RecordLinkManager)
    all_objects = RecordLinkManager()

    class Meta:
        abstract = True
        base_manager_name = "all_objects"


class RecordFile(RecordLink):
    """A file someone attached to a record."""

    file = models.FileField(_("file"), upload_to=UnguessableName("files"), max_length=200)
    filename = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("type"), max_length=150, blank=True)
    size = models.PositiveBigIntegerField(_("size"))
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                    null=True, related_name="+", verbose_name=_("uploaded by"))

    # the stored path is an internal name; the audit log names the file by ``filename``
    audit_exclude = (*TenantModel.audit_exclude, "file")

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("file")
        verbose_name_plural = _("files")
        indexes = [models.Index(fields=["organization", "record_type", "record_id",
                                        "-created_at"], name="recordfile_record")]

    def __str__(self) -> str:
        return self.filename


class Comment(RecordLink):
    """A note someone wrote on a record; ``@`` mentions name colleagues who are told."""

    body = models.TextField(_("comment"), max_length=10_000)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                               related_name="+", verbose_name=_("author"))
    mentions = TenantManyToManyField(settings.AUTH_USER_MODEL, through="CommentMention",
                                     blank=True, related_name="+", verbose_name=_("mentions"))

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        indexes = [models.Index(fields=["organization", "record_type", "record_id",
                                        "-created_at"], name="comment_record")]

    def __str__(self) -> str:
        return self.body[:60]


class CommentMention(TenantLink):
    """A colleague named in a comment (with the organisation: ``core.links``)."""

    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="+")

    class Meta:
        db_table = "attachments_comment_mentions"
        unique_together = [("comment", "user")]
