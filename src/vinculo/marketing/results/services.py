"""Writes of the results: what a bounce, a complaint or a reply says about a recipient, and
each recipient's ``converted_at``.

They are the system's doing (``actor=None``): the inbound mail path and the results job call
them, never a person, so no permission is checked; ``conversions_mark`` takes the actor who
asked for it on the page and checks ``marketing.change``.
"""

from __future__ import annotations

import logging
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import DateTimeField, ExpressionWrapper, F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from vinculo.core import events
from vinculo.core.models import Organization, User
from vinculo.core.services import require
from vinculo.marketing.identifiers import token_from_message_id
from vinculo.marketing.models import (
    Campaign,
    CampaignRecipient,
    RecipientStatus,
    Suppression,
    SuppressionReason,
)
from vinculo.marketing.results import attribution, reports

log = logging.getLogger(__name__)


def _recipient(organization_id: int, token: str) -> CampaignRecipient | None:
    return (CampaignRecipient.objects.select_for_update()
            .filter(organization_id=organization_id, token=token)
            .exclude(status=RecipientStatus.CONTROL).first())


def _suppress(recipient: CampaignRecipient, address: str, reason: str, detail: str) -> None:
    address = (recipient.email or address or "").strip().lower()
    if not address:
        return
    Suppression.all_objects.get_or_create(
        organization_id=recipient.organization_id, email=address,
        defaults={"reason": reason, "campaign_id": recipient.campaign_id,
                  "detail": detail[:500]})


def report_record(*, organization_id: int, report: reports.Report) -> CampaignRecipient | None:
    """Record what a DSN or a complaint report says: a bounce (``bounced_at``, hard or soft;
    a hard bounce suppresses the address), a delivery (``delivered_at``), or a complaint
    (suppressed). Idempotent: a report read twice changes nothing more."""
    with transaction.atomic():
        recipient = _recipient(organization_id, report.token)
        if recipient is None:
            return None
        now = timezone.now()
        changed: list[str] = []
        if report.kind == "delivered" and recipient.delivered_at is None:
            recipient.delivered_at, changed = now, ["delivered_at"]
        elif report.kind == "bounce":
            if recipient.bounced_at is None:
                recipient.bounced_at = now
                changed.append("bounced_at")
            if recipient.bounce_kind != "hard" and recipient.bounce_kind != report.bounce:
                recipient.bounce_kind = report.bounce  # a hard bounce is final
                changed.append("bounce_kind")
            if report.bounce == "hard":
                _suppress(recipient, report.recipient, SuppressionReason.HARD_BOUNCE,
                          f"{report.status} {report.detail}".strip())
        elif report.kind == "complaint":
            _suppress(recipient, report.recipient, SuppressionReason.COMPLAINT, report.detail)
        if changed:
            recipient.save(update_fields=changed)
        if report.kind in ("bounce", "complaint"):
            name = "bounced" if report.kind == "bounce" else "complained"
            events.publish(f"campaign_recipient.{name}", record=recipient.campaign, data={
                "recipient": recipient.token, "kind": report.bounce,
                "status": report.status})
        return recipient


def inbound_report(*, organization: Organization, raw: bytes, **_: Any) -> str | None:
    """The inbound filter (``interactions.inbound_filters``): a bounce or complaint report
    about a campaign message is recorded here and not stored as the customer's e-mail."""
    report = reports.read(raw)
    if report is None:
        return None
    recipient = report_record(organization_id=organization.pk, report=report)
    if recipient is None:
        return None  # not one of this organisation's messages: the ordinary path keeps it
    return f"campaign report: {report.kind} {report.bounce}".strip()


def reply_record(occurrence: events.Occurrence) -> None:
    """``email.received`` (in its transaction): a message answering a campaign e-mail — its
    In-Reply-To or References carry the campaign's Message-ID — sets ``replied_at``. The
    message itself stays where the inbound path put it, on the contact's timeline."""
    message = occurrence.record
    tokens = {token for value in [message.in_reply_to, *message.references.split()]
              if (token := token_from_message_id(value))}
    if not tokens:
        return
    received = message.sent_at or timezone.now()
    updated = (CampaignRecipient.objects
               .filter(organization_id=message.organization_id, token__in=tokens,
                       replied_at__isnull=True)
               .exclude(status=RecipientStatus.CONTROL).update(replied_at=received))
    if updated:
        log.info("reply %s marked %d campaign recipient(s)", message.message_id, updated)


def conversions_mark(*, campaign: Campaign, actor: User | None = None,
                     model: str = attribution.LAST_TOUCH) -> int:
    """Store each recipient's first attributed conversion in ``converted_at`` (None for those
    who did not convert, or whose conversion another campaign now takes). Returns how many
    converted. The figures on the page are computed on demand; this keeps the column, which
    the API and the timeline read, in step."""
    if actor is not None:
        require(actor, "marketing.change")
    rows = (attribution.outcomes(campaign, model=model)
            .filter(status=RecipientStatus.SENT)
            .values("id", "converted_at", "lead_at", "opportunity_at", "order_on", "form_at"))
    changes: list[CampaignRecipient] = []
    converted = 0
    for row in rows.iterator(chunk_size=2000):
        when = attribution.converted_at(row)
        converted += when is not None
        if when != row["converted_at"]:
            changes.append(CampaignRecipient(id=row["id"], converted_at=when))
    with transaction.atomic():
        CampaignRecipient.objects.bulk_update(changes, ["converted_at"], batch_size=1000)
    return converted


def _touching(organization_id: int, when: Any, match: Q) -> Campaign | None:
    """The campaign whose send last reached the customer before ``when`` with its window still
    open (last touch; the older campaign on a tie)."""
    end = ExpressionWrapper(Coalesce(F("clicked_at"), F("sent_at")) + attribution._days(
        "campaign__attribution_days"), output_field=DateTimeField())
    row = (CampaignRecipient.objects.filter(match, organization_id=organization_id,
                                            status=RecipientStatus.SENT, sent_at__lte=when)
           .annotate(_end=end).filter(_end__gte=when)
           .order_by("-sent_at", "campaign_id").select_related("campaign").first())
    return row.campaign if row is not None else None


def origin_record(occurrence: events.Occurrence) -> None:
    """``lead.created`` / ``opportunity.created`` (in their transaction): record the campaign
    that brought the record in (last touch), as its generic ``origin``, so the conversion
    funnel can show the campaign as a source without sales or customers importing marketing.
    An opportunity made from a lead keeps the lead's origin."""
    record = occurrence.record
    campaign: Campaign | None = None
    if occurrence.name == "lead.created":
        match = Q(contact_id=record.converted_contact_id) if record.converted_contact_id else Q()
        if record.email:
            match = (match | Q(contact__email=record.email)) if match else Q(
                contact__email=record.email)
        if match:
            campaign = _touching(record.organization_id, record.created_at, match)
    else:
        lead = record.lead
        if lead is not None and lead.origin_id is not None:
            type(record).all_objects.filter(pk=record.pk).update(
                origin_type_id=lead.origin_type_id, origin_id=lead.origin_id)
            return
        match = Q(account_id=record.account_id)
        if record.contact_id:
            match |= Q(contact_id=record.contact_id)
        campaign = _touching(record.organization_id, record.created_at, match)
    if campaign is None:
        return
    kind = ContentType.objects.get_for_model(Campaign)
    type(record).all_objects.filter(pk=record.pk).update(origin_type=kind, origin_id=campaign.pk)
    record.origin_type, record.origin_id = kind, campaign.pk
