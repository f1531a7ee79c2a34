"""Suggested actions (one row per account and rule while it stands) and what became of them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from vinculo.core.limits import SHORT_TEXT_MAX_LENGTH
from vinculo.core.models import TenantModel


class SuggestionStatus(models.TextChoices):
    OPEN = "open", _("Suggested")
    ACCEPTED = "accepted", _("Accepted")
    DISMISSED = "dismissed", _("Dismissed")
    EXPIRED = "expired", _("No longer applies")


class SuggestedAction(models.TextChoices):
    CALL = "call", _("Call")
    VISIT = "visit", _("Visit")


class SuggestionOutcome(models.TextChoices):
    PENDING = "", _("Pending")
    HIT = "hit", _("Ordered")
    MISS = "miss", _("No order")


class Suggestion(TenantModel):
    """What a rule of ``actions/rules.py`` suggests doing for one account, with the figures it
    read (``facts``: the reason is written from them in the reader's language), and what the
    owner did: accepted (a task, or enrolment in a campaign), dismissed (with a reason), or it
    expired because the rule no longer fires. An accepted suggestion is a ``hit`` when the
    account orders within ``rules.HIT_DAYS`` days, a ``miss`` when it does not.

    A representative sees the suggestions of the accounts they or their team own."""

    account = models.ForeignKey("customers.Account", on_delete=models.CASCADE,
                                related_name="+", verbose_name=_("account"))
    contact = models.ForeignKey("customers.Contact", on_delete=models.SET_NULL, null=True,
                                blank=True, related_name="+", verbose_name=_("contact"))
    rule = models.CharField(_("rule"), max_length=30)
    action = models.CharField(_("suggested action"), max_length=10,
                              choices=SuggestedAction.choices)
    facts = models.JSONField(default=dict)
    as_of = models.DateField(_("analytics as of"))
    status = models.CharField(_("status"), max_length=10, choices=SuggestionStatus.choices,
                              default=SuggestionStatus.OPEN)
    task = models.ForeignKey("interactions.Task", on_delete=models.SET_NULL, null=True,
                             blank=True, related_name="+", verbose_name=_("task"))
    campaign = models.ForeignKey("marketing.Campaign", on_delete=models.SET_NULL, null=True,
                                 blank=True, related_name="+", verbose_name=_("campaign"))
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+",
                                   verbose_name=_("decided by"))
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    dismiss_reason = models.TextField(_("reason for dismissing"), blank=True,
                                      max_length=SHORT_TEXT_MAX_LENGTH)
    outcome = models.CharField(_("outcome"), max_length=4, choices=SuggestionOutcome.choices,
                               blank=True, default="")
    outcome_at = models.DateTimeField(_("outcome recorded"), null=True, blank=True)

    owner_field = "account__owner"
    team_field = "account__team"

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["account", "rule"],
                                    condition=models.Q(status="open"),
                                    name="suggestion_one_open_per_rule"),
        ]
        indexes = [
            models.Index(fields=["organization", "status", "rule"], name="suggestion_status"),
            models.Index(fields=["account", "status"], name="suggestion_account"),
        ]
        verbose_name = _("suggested action")
        verbose_name_plural = _("suggested actions")

    def __str__(self) -> str:
        return f"{self.get_action_display()}: {self.account_id}"
