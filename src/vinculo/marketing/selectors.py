"""Reads over campaigns: where a campaign stands (its recipients by status and response)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q

from vinculo.marketing.models import Campaign, CampaignRecipient, RecipientStatus


@dataclass(frozen=True)
class Progress:
    """A campaign's recipients by status, its responses so far and the cost to date."""

    control: int
    pending: int
    sending: int
    sent: int
    skipped: int
    failed: int
    opened: int
    clicked: int
    unsubscribed: int
    cost: Decimal

    @property
    def to_send(self) -> int:
        return self.pending + self.sending + self.sent + self.failed

    @property
    def done(self) -> int:
        return self.sent + self.failed

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.to_send) if self.to_send else 0

    @property
    def total(self) -> int:
        return self.to_send + self.control + self.skipped


def campaign_progress(campaign: Campaign) -> Progress:
    """One aggregate over the campaign's recipients (indexed by campaign and status)."""
    statuses = {s: Count("id", filter=Q(status=s)) for s in RecipientStatus.values}
    row = CampaignRecipient.objects.filter(campaign_id=campaign.pk).aggregate(
        **statuses, opened=Count("id", filter=Q(opened_at__isnull=False)),
        clicked=Count("id", filter=Q(clicked_at__isnull=False)),
        unsubscribed=Count("id", filter=Q(unsubscribed_at__isnull=False)))
    cost = campaign.fixed_cost + campaign.cost_per_message * row[RecipientStatus.SENT]
    return Progress(control=row["control"], pending=row["pending"], sending=row["sending"],
                    sent=row["sent"], skipped=row["skipped"], failed=row["failed"],
                    opened=row["opened"], clicked=row["clicked"],
                    unsubscribed=row["unsubscribed"], cost=cost.quantize(Decimal("0.01")))
