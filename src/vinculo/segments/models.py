"""Segments and their members, with the history of who entered and left when."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager

from vinculo.core.limits import TEXT_MAX_LENGTH
from vinculo.core.models import Organization, TenantManager, TenantModel


class Subject(models.TextChoices):
    """What a segment's members are."""

    ACCOUNTS = "accounts", _("Accounts")
    CONTACTS = "contacts", _("Contacts")


class SegmentKind(models.TextChoices):
    RULE = "rule", _("Rule-based")
    STATIC = "static", _("Static list")


class Segment(TenantModel):
    """A saved rule (JSON, the rule language of ``segments/rules``) or a hand-picked list."""

    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True, max_length=TEXT_MAX_LENGTH)
    subject = models.CharField(_("members are"), max_length=10, choices=Subject.choices,
                               default=Subject.CONTACTS)
    kind = models.CharField(_("kind"), max_length=10, choices=SegmentKind.choices,
                            default=SegmentKind.RULE)
    rule = models.JSONField(_("rule"), default=dict, blank=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                              blank=True, related_name="+", verbose_name=_("owner"))
    refreshed_at = models.DateTimeField(_("members computed"), null=True, blank=True,
                                        editable=False)
    member_count = models.PositiveIntegerField(_("members"), default=0, editable=False)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="segment_unique_name")
        ]
        verbose_name = _("segment")
        verbose_name_plural = _("segments")

    def __str__(self) -> str:
        return self.name


class MemberSource(models.TextChoices):
    RULE = "rule", _("Rule")
    MANUAL = "manual", _("Added by hand")
    IMPORT = "import", _("Imported")


class SegmentMember(models.Model):
    """One stay of an account or contact in a segment: ``left_at`` is empty while it lasts.

    Leaving closes the row and entering again opens a new one, so "who entered *At risk* this
    week" is a query on ``entered_at``. Rows are written in bulk by the refresh (a million at a
    time), so this is not a ``TenantModel``: no public id, version or audit row per member.
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+",
                                     db_index=False)
    segment = models.ForeignKey(Segment, on_delete=models.CASCADE, related_name="memberships",
                                db_index=False)
    account = models.ForeignKey("customers.Account", on_delete=models.CASCADE, null=True,
                                blank=True, related_name="segment_memberships",
                                verbose_name=_("account"))
    contact = models.ForeignKey("customers.Contact", on_delete=models.CASCADE, null=True,
                                blank=True, related_name="segment_memberships",
                                verbose_name=_("contact"))
    entered_at = models.DateTimeField(_("entered"))
    left_at = models.DateTimeField(_("left"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=10, choices=MemberSource.choices,
                              default=MemberSource.RULE)

    objects = ScopedManager(organization="organization", _manager_class=TenantManager)
    all_objects = TenantManager()

    class Meta:
        base_manager_name = "all_objects"
        ordering = ["-entered_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(account__isnull=False, contact__isnull=True)
                | Q(account__isnull=True, contact__isnull=False),
                name="segmentmember_one_kind",
            ),
            models.UniqueConstraint(fields=["segment", "account"], condition=Q(left_at=None),
                                    name="segmentmember_current_account"),
            models.UniqueConstraint(fields=["segment", "contact"], condition=Q(left_at=None),
                                    name="segmentmember_current_contact"),
        ]
        indexes = [
            models.Index(fields=["segment", "left_at"], name="segmentmember_current"),
            models.Index(fields=["segment", "entered_at"], name="segmentmember_entered"),
        ]
        verbose_name = _("segment member")
        verbose_name_plural = _("segment members")

    def __str__(self) -> str:
        return f"{self.segment_id}: {self.account_id or self.contact_id}"
