"""Reads of a campaign's results: the funnel, the lift over the control group, the return on
margin, the A/B winner — each one aggregate over ``attribution.outcomes``."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, F, Q, QuerySet, Sum
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from vinculo.core.models import User
from vinculo.marketing.models import (
    Campaign,
    CampaignChannel,
    CampaignRecipient,
    RecipientStatus,
)
from vinculo.marketing.results import attribution, costs, stats
from vinculo.marketing.results.attribution import CONVERTED, LAST_TOUCH

#: The metrics an A/B winner can be chosen by; the first is the default.
METRICS = {
    "conversion_rate": _("Conversion rate"),
    "click_rate": _("Click rate"),
    "open_rate": _("Open rate"),
    "revenue_per_recipient": _("Revenue per recipient"),
}
#: metric -> the funnel step it is the rate of.
METRIC_STEP = {"conversion_rate": "converted", "click_rate": "clicked", "open_rate": "opened"}


def visible_campaigns(user: User) -> QuerySet:
    return Campaign.objects.all().restrict(user)


def _funnel_aggregates() -> dict[str, Count]:
    sent = Q(status=RecipientStatus.SENT)
    return {
        "sent": Count("id", filter=sent),
        "delivered": Count("id", filter=sent & Q(bounced_at__isnull=True)),
        "opened": Count("id", filter=sent & Q(opened_at__isnull=False)),
        "clicked": Count("id", filter=sent & Q(clicked_at__isnull=False)),
    }


def _money(value: Any) -> Decimal:
    return Decimal(value or 0).quantize(Decimal("0.01"))


@dataclass
class Step:
    key: str
    label: str
    count: int
    rate: float | None  # share of the sent, in %


@dataclass
class Group:
    """The figures of one variant (or the whole campaign)."""

    name: str
    steps: list[Step]
    converted: int
    orders: int
    revenue: Decimal
    margin: Decimal

    def count(self, key: str) -> int:
        return next((s.count for s in self.steps if s.key == key), 0)

    def rate(self, key: str) -> float | None:
        sent = self.count("sent")
        if key == "revenue_per_recipient":
            return float(self.revenue) / sent if sent else None
        return 100 * self.count(key) / sent if sent else None


#: The funnel's steps; the labels name how many recipients reached each.
STEPS = (("sent", pgettext_lazy("campaign funnel", "Sent")),
         ("delivered", pgettext_lazy("campaign funnel", "Delivered")),
         ("opened", pgettext_lazy("campaign funnel", "Opened")),
         ("clicked", pgettext_lazy("campaign funnel", "Clicked")),
         ("converted", pgettext_lazy("campaign funnel", "Converted")))


#: The steps only e-mail tracks (a bounce, the pixel, the signed link): a letter, a call or a
#: web form shows sent and converted, not a row of zeros that reads as "nobody opened".
EMAIL_ONLY_STEPS = ("delivered", "opened", "clicked")
ALL_STEPS = tuple(key for key, _label in STEPS)


def channel_steps(channel: str) -> tuple[str, ...]:
    """The funnel's steps that mean something on ``channel``."""
    return tuple(key for key, _label in STEPS
                 if channel == CampaignChannel.EMAIL or key not in EMAIL_ONLY_STEPS)


def _group(name: str, counts: dict[str, int], money: dict[str, Any],
           keys: tuple[str, ...] = ALL_STEPS) -> Group:
    counts = {**counts, "converted": money.get("n_converted") or 0}
    sent = counts["sent"]
    steps = [Step(key, str(label), counts[key],
                  round(100 * counts[key] / sent, 1) if sent else None)
             for key, label in STEPS if key in keys]
    revenue = _money(money.get("revenue_sum"))
    return Group(name, steps, counts["converted"], money.get("n_orders") or 0, revenue,
                 revenue - _money(money.get("cogs_sum")))


def _money_by_variant(attributed: QuerySet) -> dict[int | None, dict[str, Any]]:
    """Conversions, orders, revenue and cost of goods of the sent, per variant: the costly
    aggregate (the attribution's subqueries) runs once, GROUP BY variant; totals add up."""
    rows = (attributed.filter(status=RecipientStatus.SENT).values("variant_id")
            .order_by("variant_id").annotate(
                n_converted=Count("id", filter=CONVERTED), n_orders=Sum("orders"),
                revenue_sum=Sum("revenue"), cogs_sum=Sum("cogs")))
    return {row["variant_id"]: row for row in rows}


def _add(rows: list[dict[str, Any]], keys: tuple[str, ...]) -> dict[str, Any]:
    return {key: sum((row.get(key) or 0) for row in rows) for key in keys}


@dataclass
class Lift:
    """Treated (sent to) versus the control group, per member of each."""

    treated: int
    control: int
    treated_converted: int
    control_converted: int
    conversion: stats.Interval  # difference of conversion rates (fractions)
    revenue: stats.Interval  # difference of revenue per member
    margin: stats.Interval  # difference of margin per member
    treated_revenue: float
    control_revenue: float

    @property
    def incremental_margin(self) -> Decimal:
        """The margin the campaign added: the difference per member × the treated."""
        if math.isnan(self.margin.estimate):
            return Decimal("0.00")
        return _money(self.margin.estimate * self.treated)

    @property
    def measurable(self) -> bool:
        return self.control > 0 and self.treated > 0


def lift(campaign: Campaign) -> Lift:
    """Conversion and revenue per member, sent to versus held out, with 95 % intervals
    (Newcombe's for the rates, Welch's for revenue and margin per member)."""
    rows = (attribution.outcomes(campaign, model=None, by_click=False)
            .filter(status__in=(RecipientStatus.SENT, RecipientStatus.CONTROL))
            .annotate(margin=F("revenue") - F("cogs")))
    figures = {row["status"]: row for row in rows.values("status").order_by("status").annotate(
        n=Count("id"), converted=Count("id", filter=CONVERTED),
        revenue_sum=Sum("revenue"), revenue2=Sum(F("revenue") * F("revenue")),
        margin_sum=Sum("margin"), margin2=Sum(F("margin") * F("margin")))}
    one = figures.get(RecipientStatus.SENT, {})
    zero = figures.get(RecipientStatus.CONTROL, {})

    def moments(row: dict[str, Any], total: str, squares: str) -> stats.Moments:
        return stats.Moments(row.get("n", 0), float(row.get(total) or 0),
                             float(row.get(squares) or 0))

    n1, n0 = one.get("n", 0), zero.get("n", 0)
    k1, k0 = one.get("converted", 0), zero.get("converted", 0)
    revenue1 = moments(one, "revenue_sum", "revenue2")
    revenue0 = moments(zero, "revenue_sum", "revenue2")
    return Lift(
        treated=n1, control=n0, treated_converted=k1, control_converted=k0,
        conversion=stats.newcombe(k1, n1, k0, n0),
        revenue=stats.welch(revenue1, revenue0),
        margin=stats.welch(moments(one, "margin_sum", "margin2"),
                           moments(zero, "margin_sum", "margin2")),
        treated_revenue=revenue1.mean, control_revenue=revenue0.mean)


@dataclass
class Roi:
    incremental_margin: Decimal
    fixed_cost: Decimal
    messages_cost: Decimal
    serve_cost: Decimal
    ratio: float | None  # None when nothing was spent or there is no control group
    measurable: bool = True  # a control group and someone sent to: the margin is incremental

    @property
    def cost(self) -> Decimal:
        return self.fixed_cost + self.messages_cost + self.serve_cost


def roi(campaign: Campaign, lifted: Lift, sent: int) -> Roi:
    """(incremental margin − cost) / cost; the cost is the fixed cost, the ``sent`` messages,
    and the cost to serve of what the campaign generated (``costs.serve_cost``)."""
    messages = _money(campaign.cost_per_message * sent)
    serve = costs.serve_cost(campaign)
    total = _money(campaign.fixed_cost) + messages + serve
    margin = lifted.incremental_margin
    # Without a control group there is no incremental margin to speak of: no ratio, rather
    # than a −100 % that would blame the campaign for what cannot be measured.
    ratio = float((margin - total) / total) if total > 0 and lifted.measurable else None
    return Roi(margin, _money(campaign.fixed_cost), messages, serve, ratio, lifted.measurable)


def campaign_roi(campaign: Campaign) -> Roi:
    """The return on margin alone, without the funnel and the A/B test of ``results``."""
    sent = CampaignRecipient.objects.filter(campaign=campaign,
                                            status=RecipientStatus.SENT).count()
    return roi(campaign, lift(campaign), sent)


@dataclass
class Winner:
    metric: str
    label: str
    variant: str | None  # None: no variant is better with 95 % confidence (or one variant)
    leader: str | None
    p_value: float | None
    rows: list[dict[str, Any]] = field(default_factory=list)


def ab_winner(campaign: Campaign, groups: list[Group], metric: str) -> Winner:
    """The variant that leads ``metric``, and whether it beats the runner-up: a two-proportion
    z-test for a rate, Welch's t-test for revenue per recipient (95 %)."""
    if metric not in METRICS:
        raise ValueError(f"unknown metric {metric!r}")
    key = METRIC_STEP.get(metric, metric)
    ranked = sorted((g for g in groups if g.count("sent")), key=lambda g: g.rate(key) or 0,
                    reverse=True)
    label = str(METRICS[metric])
    if len(ranked) < 2:
        return Winner(metric, label, None, ranked[0].name if ranked else None, None)
    first, second = ranked[0], ranked[1]
    if metric == "revenue_per_recipient":
        p = stats.welch_p(*(_revenue_moments(campaign, g.name) for g in (first, second)))
    else:
        p = stats.proportions_p(first.count(key), first.count("sent"),
                                second.count(key), second.count("sent"))
    winner = first.name if not math.isnan(p) and p < 1 - stats.CONFIDENCE else None
    return Winner(metric, label, winner, first.name, p)


def _revenue_moments(campaign: Campaign, variant: str) -> stats.Moments:
    rows = attribution.outcomes(campaign, model=LAST_TOUCH).filter(
        status=RecipientStatus.SENT, variant__name=variant)
    figures = rows.aggregate(n=Count("id"), total=Sum("revenue"),
                             squares=Sum(F("revenue") * F("revenue")))  # names differ
    return stats.Moments(figures["n"], float(figures["total"] or 0),
                         float(figures["squares"] or 0))


@dataclass
class Results:
    campaign: Campaign
    model: str
    total: Group
    variants: list[Group]
    lift: Lift
    roi: Roi
    winner: Winner


def results(campaign: Campaign, *, model: str = LAST_TOUCH,
            metric: str = "conversion_rate") -> Results:
    """Everything the results page and the CSV show."""
    recipients = CampaignRecipient.objects.filter(campaign=campaign)
    counts: dict[int | None, dict[str, Any]] = {
        row["variant_id"]: dict(row) for row in recipients.values("variant_id")
        .order_by("variant_id").annotate(**_funnel_aggregates())}
    money = _money_by_variant(attribution.outcomes(campaign, model=model))
    steps = tuple(key for key, _label in STEPS if key != "converted")
    shown = channel_steps(campaign.channel)
    total = _group(str(campaign), _add(list(counts.values()), steps),
                   _add(list(money.values()), ("n_converted", "n_orders", "revenue_sum",
                                                "cogs_sum")), shown)
    variants = [
        _group(variant.name, {k: counts.get(variant.pk, {}).get(k, 0) for k in steps},
               money.get(variant.pk, {}), shown)
        for variant in campaign.variants.order_by("name")
    ]
    lifted = lift(campaign)
    return Results(campaign, model, total, variants, lifted,
                   roi(campaign, lifted, total.count("sent")),
                   ab_winner(campaign, variants, metric))


def by_channel(user: User) -> list[dict[str, Any]]:
    """The started campaigns the user may see, per channel: how many, messages sent, opened,
    clicked and converted (the stored ``converted_at``, kept by ``campaign_conversions``), so
    a campaign's page compares its channel with the others in one GROUP BY."""
    campaigns = visible_campaigns(user).filter(started_at__isnull=False)
    sent = CampaignRecipient.objects.filter(campaign__in=campaigns,
                                            status=RecipientStatus.SENT)
    rows = (sent.values("campaign__channel").order_by("campaign__channel").annotate(
        campaigns=Count("campaign", distinct=True), sent=Count("id"),
        opened=Count("id", filter=Q(opened_at__isnull=False)),
        clicked=Count("id", filter=Q(clicked_at__isnull=False)),
        converted=Count("id", filter=Q(converted_at__isnull=False))))
    labels = dict(CampaignChannel.choices)
    return [{
        "channel": row["campaign__channel"], "label": str(labels.get(row["campaign__channel"],
                                                                      row["campaign__channel"])),
        "campaigns": row["campaigns"], "sent": row["sent"],
        # opens and clicks are e-mail's only: None (shown "—") on the other channels
        "opened": row["opened"] if row["campaign__channel"] == CampaignChannel.EMAIL else None,
        "clicked": row["clicked"] if row["campaign__channel"] == CampaignChannel.EMAIL
        else None,
        "converted": row["converted"],
        "conversion_rate": round(100 * row["converted"] / row["sent"], 1) if row["sent"] else None,
    } for row in rows]
