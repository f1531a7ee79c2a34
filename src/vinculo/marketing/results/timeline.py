"""The campaign on the customer's 360° timeline: sent, opened, clicked, replied, unsubscribed,
converted — one item per thing that happened, read from the recipient rows of the contact (or
of the account's contacts)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _

from vinculo.core.timeline import TimelineItem, of_customer
from vinculo.marketing.models import CampaignRecipient, RecipientStatus

#: recipient field -> the sentence its item reads, in the user's language.
_MOMENTS = (
    ("sent_at", "sent"), ("opened_at", "opened"), ("clicked_at", "clicked"),
    ("replied_at", "replied"), ("unsubscribed_at", "unsubscribed"),
    ("converted_at", "converted"), ("bounced_at", "bounced"),
)


def _title(kind: str, name: str) -> str:
    titles = {
        "sent": _("Campaign sent: %(name)s"),
        "opened": _("Campaign opened: %(name)s"),
        "clicked": _("Campaign link clicked: %(name)s"),
        "replied": _("Replied to the campaign: %(name)s"),
        "unsubscribed": _("Unsubscribed from the campaign: %(name)s"),
        "converted": _("Converted after the campaign: %(name)s"),
        "bounced": _("Campaign message bounced: %(name)s"),
    }
    return titles[kind] % {"name": name}


def _bounce(kind: str) -> str:
    return {"hard": _("Hard bounce"), "soft": _("Soft bounce")}.get(kind, "")


def timeline(record: Any, limit: int) -> list[TimelineItem]:
    rows = of_customer(CampaignRecipient.objects.filter(
        organization_id=record.organization_id).exclude(status=RecipientStatus.CONTROL),
        record)
    if rows is None:
        return []
    items: list[TimelineItem] = []
    for row in (rows.select_related("campaign").order_by("-id")[:limit]):
        url = reverse("marketing:campaign_results", kwargs={"uuid": row.campaign.uuid})
        for field, kind in _MOMENTS:
            when = getattr(row, field)
            if when is not None:
                detail = _bounce(row.bounce_kind) if kind == "bounced" else ""
                items.append(TimelineItem(when, "campaign", _title(kind, row.campaign.name),
                                          url, detail))
    return items
