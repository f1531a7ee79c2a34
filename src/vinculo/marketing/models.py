"""Campaigns, their variants and recipients (the control group included), and the addresses
that must not be written to again."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from vinculo.core.limits import BODY_MAX_LENGTH, TEXT_MAX_LENGTH
from vinculo.core.models import TenantModel

MONEY = {"max_digits": 14, "decimal_places": 2}


class CampaignChannel(models.TextChoices):
    EMAIL = "email", _("E-mail")
    LETTER = "letter", _("Letter")
    PHONE = "phone", _("Phone call")
    VISIT = "visit", _("Visit")
    WEB_FORM = "web_form", _("Web form")


class CampaignStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SCHEDULED = "scheduled", _("Scheduled")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    PAUSED = "paused", _("Paused")
    FINISHED = "finished", _("Finished")
    CANCELLED = "cancelled", _("Cancelled")


class Campaign(TenantModel):
    """A direct campaign: to whom (a segment), on which channel, when, at what cost, and the
    share of the audience held out as the control group."""

    name = models.CharField(_("name"), max_length=200)
    objective = models.TextField(_("objective"), blank=True, max_length=TEXT_MAX_LENGTH)
    segment = models.ForeignKey("segments.Segment", on_delete=models.PROTECT, null=True,
                                blank=True, related_name="campaigns", verbose_name=_("segment"))
    channel = models.CharField(_("channel"), max_length=10, choices=CampaignChannel.choices,
                               default=CampaignChannel.EMAIL)
    status = models.CharField(_("status"), max_length=10, choices=CampaignStatus.choices,
                              default=CampaignStatus.DRAFT, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                              blank=True, related_name="+", verbose_name=_("owner"))
    starts_on = models.DateField(_("starts"), null=True, blank=True)
    ends_on = models.DateField(_("ends"), null=True, blank=True)
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    budget = models.DecimalField(_("budget"), null=True, blank=True, **MONEY)
    fixed_cost = models.DecimalField(_("fixed costs"), default=0, **MONEY)
    cost_per_message = models.DecimalField(_("cost per message"), default=0, max_digits=10,
                                           decimal_places=4)
    control_share = models.PositiveSmallIntegerField(
        _("control group (%)"), default=10,
        help_text=_("Share of the segment held out and never contacted, to measure the lift."))
    attribution_days = models.PositiveSmallIntegerField(
        _("attribution window (days)"), default=30)
    # A web-form campaign's public form (marketing/webforms.py): its submissions are attributed.
    web_form = models.ForeignKey("interactions.WebForm", on_delete=models.SET_NULL, null=True,
                                 blank=True, related_name="+", verbose_name=_("web form"))
    messages_per_minute = models.PositiveIntegerField(
        _("messages per minute"), default=0,
        help_text=_("The most e-mails sent per minute, for the company's mail server; 0: no "
                    "limit."))
    # The one sender of a campaign's e-mail at a time (``marketing.sending``): who holds it
    # and when it last said it was alive; a stale lease is taken over by the resume job.
    send_lease = models.CharField(max_length=64, blank=True, editable=False)
    send_heartbeat = models.DateTimeField(null=True, blank=True, editable=False)
    started_at = models.DateTimeField(_("started"), null=True, blank=True, editable=False)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")

    def __str__(self) -> str:
        return self.name

    def get_status_display(self) -> str:
        """The status in words that fit the channel: a started call list is "Calling", not
        "Sending" (the stored value stays ``sending`` for every channel)."""
        label = STATUS_BY_CHANNEL.get((self.channel, self.status))
        return str(label if label is not None else CampaignStatus(self.status).label)

    @classmethod
    def history_display(cls, name: str, value: Any) -> str | None:
        """The change history knows the field, not the row's channel: ``sending`` reads as
        what it is on any channel (``core.history``)."""
        if name == "status" and value == CampaignStatus.SENDING:
            return str(SENDING_ANY_CHANNEL)
        return None


#: ``sending`` where the channel is not known (the list's filter, the change history).
SENDING_ANY_CHANNEL = _("Sending or in progress")
#: (channel, status) -> the status's words on that channel, where "Sending" would not fit.
STATUS_BY_CHANNEL = {
    (CampaignChannel.PHONE, CampaignStatus.SENDING): _("Calling"),
    (CampaignChannel.VISIT, CampaignStatus.SENDING): _("Visiting"),
    (CampaignChannel.WEB_FORM, CampaignStatus.SENDING): _("Form open"),
    (CampaignChannel.LETTER, CampaignStatus.SENDING): _("In progress"),
}


class CampaignVariant(TenantModel):
    """One version of the message (A/B): what an e-mail says, or the script of a call."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="variants")
    name = models.CharField(_("name"), max_length=50, default="A")
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = models.TextField(_("body"), blank=True, max_length=BODY_MAX_LENGTH)
    share = models.PositiveSmallIntegerField(_("share of recipients (%)"), default=100)

    class Meta:
        ordering = ["campaign", "name"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "name"], name="variant_unique_name")
        ]
        verbose_name = _("variant")
        verbose_name_plural = _("variants")

    def __str__(self) -> str:
        return self.name


class RecipientStatus(models.TextChoices):
    CONTROL = "control", _("Control group")
    PENDING = "pending", _("Pending")
    SENDING = "sending", _("Being sent")
    SENT = "sent", _("Sent")
    SKIPPED = "skipped", _("Not sent")
    FAILED = "failed", _("Failed")


class CampaignRecipient(models.Model):
    """One member of a campaign's audience: sent to, or held out in the control group, with what
    happened after. Written in bulk when a campaign starts, so not a ``TenantModel``; the
    ``token`` is the random, unguessable key of its tracking links."""

    organization = models.ForeignKey("core.Organization", on_delete=models.CASCADE,
                                     related_name="+", db_index=False)
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="recipients",
                                 db_index=False)
    variant = models.ForeignKey(CampaignVariant, on_delete=models.SET_NULL, null=True,
                                blank=True, related_name="+")
    contact = models.ForeignKey("customers.Contact", on_delete=models.CASCADE,
                                related_name="campaign_receipts")
    account = models.ForeignKey("customers.Account", on_delete=models.SET_NULL, null=True,
                                blank=True, related_name="+")
    token = models.CharField(max_length=32, unique=True)
    status = models.CharField(_("status"), max_length=10, choices=RecipientStatus.choices,
                              default=RecipientStatus.PENDING)
    skipped_reason = models.CharField(_("reason not sent"), max_length=200, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    bounced_at = models.DateTimeField(_("bounced"), null=True, blank=True)
    bounce_kind = models.CharField(_("bounce"), max_length=4, blank=True)  # hard / soft
    opened_at = models.DateTimeField(_("first opened"), null=True, blank=True)
    clicked_at = models.DateTimeField(_("first clicked"), null=True, blank=True)
    replied_at = models.DateTimeField(_("replied"), null=True, blank=True)
    unsubscribed_at = models.DateTimeField(_("unsubscribed"), null=True, blank=True)
    converted_at = models.DateTimeField(_("converted"), null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "contact"],
                                    name="recipient_unique_contact"),
        ]
        indexes = [
            models.Index(fields=["campaign", "status", "id"], name="recipient_campaign_status"),
        ]
        verbose_name = _("recipient")
        verbose_name_plural = _("recipients")

    def __str__(self) -> str:
        return f"{self.campaign_id}: {self.contact_id}"


class SuppressionReason(models.TextChoices):
    HARD_BOUNCE = "bounce", _("Hard bounce")
    COMPLAINT = "complaint", _("Complaint")
    UNSUBSCRIBED = "unsubscribed", _("Unsubscribed")


class Suppression(TenantModel):
    """An address no campaign writes to again: bounced hard, complained, or unsubscribed."""

    email = models.EmailField(_("e-mail"))
    reason = models.CharField(_("reason"), max_length=12, choices=SuppressionReason.choices)
    campaign = models.ForeignKey(Campaign, on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="+", verbose_name=_("campaign"))
    detail = models.CharField(_("detail"), max_length=500, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "email"],
                                    name="suppression_unique_email")
        ]
        verbose_name = _("suppressed address")
        verbose_name_plural = _("suppressed addresses")

    def __str__(self) -> str:
        return self.email


# The non-e-mail channels and the next-best action keep their tables in their own modules.
from vinculo.marketing.actions.models import Suggestion  # noqa: E402, F401
from vinculo.marketing.models_channels import (  # noqa: E402, F401
    CallAssignment,
    CallOutcome,
    CampaignLetters,
    CampaignSubmission,
    SubmissionMatch,
)
