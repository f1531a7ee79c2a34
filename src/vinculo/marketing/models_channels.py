"""Tables of the channels that are not e-mail: the printed letters of a letter campaign, the
call or visit list of a phone or visit campaign, and the web-form submissions attributed to a
web-form campaign (``marketing/letters.py``, ``calls.py``, ``webforms.py``)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from vinculo.core.files import UnguessableName
from vinculo.core.models import TenantModel


class CampaignLetters(TenantModel):
    """The mail-merged PDF of a letter campaign: one page per member with a postal address and
    post consent. Stored under an unguessable name and served only by
    ``marketing:campaign_letters`` (``core.files.serve``)."""

    campaign = models.OneToOneField("marketing.Campaign", on_delete=models.CASCADE,
                                    related_name="letters", verbose_name=_("campaign"))
    file = models.FileField(upload_to=UnguessableName("letters"), verbose_name=_("file"))
    pages = models.PositiveIntegerField(_("letters"), default=0)
    skipped = models.PositiveIntegerField(_("not printed"), default=0)

    audited = False

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("campaign letters")
        verbose_name_plural = _("campaign letters")

    def __str__(self) -> str:
        return str(self.campaign_id)


class CallOutcome(models.TextChoices):
    REACHED = "reached", _("Reached")
    NO_ANSWER = "no_answer", _("No answer")
    INTERESTED = "interested", _("Interested")
    NOT_INTERESTED = "not_interested", _("Not interested")
    CALLBACK = "callback", _("Call back")


class CallAssignment(TenantModel):
    """One line of a phone or visit campaign's list: whom to call or visit, who does it (the
    account's owner, or the agent queue's next person), the task on their agenda and, once
    logged, the outcome and the interaction on the contact's timeline.

    A representative sees the lines assigned to them or on the accounts they own."""

    campaign = models.ForeignKey("marketing.Campaign", on_delete=models.CASCADE,
                                 related_name="calls", verbose_name=_("campaign"))
    recipient = models.OneToOneField("marketing.CampaignRecipient", on_delete=models.CASCADE,
                                     related_name="call")
    contact = models.ForeignKey("customers.Contact", on_delete=models.CASCADE,
                                related_name="+", verbose_name=_("contact"))
    account = models.ForeignKey("customers.Account", on_delete=models.SET_NULL, null=True,
                                blank=True, related_name="+", verbose_name=_("account"))
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                 null=True, blank=True, related_name="+",
                                 verbose_name=_("assigned to"))
    task = models.ForeignKey("interactions.Task", on_delete=models.SET_NULL, null=True,
                             blank=True, related_name="+", verbose_name=_("task"))
    outcome = models.CharField(_("outcome"), max_length=15, choices=CallOutcome.choices,
                               blank=True)
    outcome_at = models.DateTimeField(_("logged"), null=True, blank=True)
    interaction = models.ForeignKey("interactions.Interaction", on_delete=models.SET_NULL,
                                    null=True, blank=True, related_name="+")

    owner_field = ("assignee", "account__owner")
    team_field = "account__team"

    class Meta:
        ordering = ["campaign", "id"]
        indexes = [models.Index(fields=["campaign", "assignee", "id"], name="call_assignee")]
        verbose_name = _("call or visit")
        verbose_name_plural = _("calls and visits")

    def __str__(self) -> str:
        return str(self.contact_id)


class SubmissionMatch(models.TextChoices):
    KEY = "key", _("Campaign link")
    DATES = "dates", _("During the campaign")


class CampaignSubmission(TenantModel):
    """A web-form submission attributed to a web-form campaign: it carried the campaign's key
    in the form's address (``?campaign=<campaign uuid>``, ``matched_by=key``) or arrived
    between the campaign's start and end (``dates``). The ``results`` conversions count these
    rows (``submitted_at`` is when; ``recipient`` is set when the sender was in the
    audience)."""

    campaign = models.ForeignKey("marketing.Campaign", on_delete=models.CASCADE,
                                 related_name="submissions", verbose_name=_("campaign"))
    submission = models.OneToOneField("interactions.WebFormSubmission", on_delete=models.CASCADE,
                                      related_name="+")
    interaction = models.ForeignKey("interactions.Interaction", on_delete=models.SET_NULL,
                                    null=True, blank=True, related_name="+")
    contact = models.ForeignKey("customers.Contact", on_delete=models.SET_NULL, null=True,
                                blank=True, related_name="+", verbose_name=_("contact"))
    recipient = models.ForeignKey("marketing.CampaignRecipient", on_delete=models.SET_NULL,
                                  null=True, blank=True, related_name="+")
    matched_by = models.CharField(_("attributed by"), max_length=5,
                                  choices=SubmissionMatch.choices)
    submitted_at = models.DateTimeField(_("submitted"))

    audited = False

    class Meta:
        ordering = ["-submitted_at", "-id"]
        indexes = [models.Index(fields=["campaign", "submitted_at"], name="submission_campaign")]
        verbose_name = _("campaign submission")
        verbose_name_plural = _("campaign submissions")

    def __str__(self) -> str:
        return f"{self.campaign_id}: {self.submitted_at:%Y-%m-%d}"
