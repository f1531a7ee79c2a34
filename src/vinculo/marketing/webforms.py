"""The web-form channel: a campaign names one of interactions' public web forms, and the
submissions it brings are attributed to it.

A submission is attributed (a ``CampaignSubmission`` row, which the ``results`` conversions
count) to the web-form campaign of its form that

1. the form's address named: ``/f/<form uuid>/?campaign=<campaign uuid>`` (``form_url``; the
   links a campaign publishes carry it) — ``matched_by = "key"``; else
2. was running when it arrived: started (``started_at`` set), not finished or cancelled, and
   today between ``starts_on`` and ``ends_on`` (an open end runs until the campaign finishes);
   with several, the one started last — ``matched_by = "dates"``.

A submission is attributed once. ``recipient`` is the campaign's recipient row of the
submitter's contact (matched by e-mail when the form was sent), when they were in the
audience. ``deliver(campaign)`` checks the campaign has an active form and marks the audience
``sent`` (the published form is the message), so the lift over the control group can be
measured as for any channel.
"""

from __future__ import annotations

import logging
from typing import Any
from uuid import UUID

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from vinculo.core.models import User
from vinculo.core.services import require
from vinculo.interactions.models import Interaction, WebForm, WebFormSubmission
from vinculo.marketing.models import (
    Campaign,
    CampaignChannel,
    CampaignRecipient,
    CampaignStatus,
    CampaignSubmission,
    RecipientStatus,
    SubmissionMatch,
)

logger = logging.getLogger(__name__)

#: A campaign in these states takes no more submissions by its dates.
CLOSED = (CampaignStatus.DRAFT, CampaignStatus.FINISHED, CampaignStatus.CANCELLED)


@transaction.atomic
def campaign_web_form_set(*, actor: User, campaign: Campaign,
                          web_form: WebForm | None) -> Campaign:
    """Name the public form of a web-form campaign (None: none)."""
    require(actor, "marketing.change")
    if campaign.channel != CampaignChannel.WEB_FORM:
        raise ValidationError({"web_form": _("Only a web-form campaign takes a form.")})
    if web_form is not None and web_form.organization_id != campaign.organization_id:
        raise ValidationError({"web_form": _("Not found.")})
    campaign.web_form = web_form
    campaign.save(update_fields=["web_form", "updated_at"])
    return campaign


def form_url(campaign: Campaign) -> str:
    """The address of the campaign's form that carries its key."""
    if campaign.web_form_id is None:
        return ""
    assert campaign.web_form is not None
    path = reverse("public_web_form", kwargs={"uuid": campaign.web_form.uuid})
    return f"{settings.SITE_URL}{path}?{urlencode({'campaign': str(campaign.uuid)})}"


@transaction.atomic
def deliver(campaign: Campaign) -> int:
    """Publish the form to the audience: refuse without an active form, mark them sent."""
    campaign = Campaign.objects.select_related("web_form").get(pk=campaign.pk)
    if campaign.web_form is None or not campaign.web_form.active:
        raise ValidationError({"web_form": _("Choose an active web form for the campaign.")})
    return CampaignRecipient.objects.filter(
        campaign=campaign, status=RecipientStatus.PENDING).update(
        status=RecipientStatus.SENT, sent_at=timezone.now())


def _by_key(reference: str, form: WebForm) -> Campaign | None:
    try:
        key = UUID(reference.strip())
    except (ValueError, AttributeError):
        return None
    return Campaign.objects.filter(uuid=key, web_form=form,
                                   channel=CampaignChannel.WEB_FORM).first()


def _by_dates(form: WebForm) -> Campaign | None:
    today = timezone.localdate()
    return (Campaign.objects.filter(web_form=form, channel=CampaignChannel.WEB_FORM,
                                    started_at__isnull=False)
            .exclude(status__in=CLOSED)
            .filter(Q(starts_on__isnull=True) | Q(starts_on__lte=today))
            .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=today))
            .order_by("-started_at", "-id").first())


def submission_attribute(occurrence: Any) -> CampaignSubmission | None:
    """``web_form.submitted`` subscriber (inside the submitting transaction, so the row
    commits with the submission): attribute it to its campaign (see the module), or to none.
    A database error here is logged and rolled back to a savepoint: the visitor's lead or
    ticket is never lost for want of its attribution."""
    try:
        with transaction.atomic():
            return _attribute(occurrence)
    except DatabaseError:
        logger.exception("web-form submission not attributed to a campaign")
        return None


def _attribute(occurrence: Any) -> CampaignSubmission | None:
    form = occurrence.record
    interaction = Interaction.all_objects.filter(
        organization_id=form.organization_id, uuid=occurrence.data.get("interaction")).first()
    submission = WebFormSubmission.all_objects.filter(form=form,
                                                      interaction=interaction).first()
    if interaction is None or submission is None:
        return None
    campaign = _by_key(occurrence.data.get("reference") or "", form)
    matched_by = SubmissionMatch.KEY
    if campaign is None:
        campaign, matched_by = _by_dates(form), SubmissionMatch.DATES
    if campaign is None:
        return None
    recipient = (CampaignRecipient.objects.filter(campaign=campaign,
                                                  contact_id=interaction.contact_id).first()
                 if interaction.contact_id else None)
    return CampaignSubmission.objects.create(
        organization_id=form.organization_id, campaign=campaign, submission=submission,
        interaction=interaction, contact_id=interaction.contact_id, recipient=recipient,
        matched_by=matched_by, submitted_at=submission.created_at)
