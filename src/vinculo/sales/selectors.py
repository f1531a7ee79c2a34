"""Reads of the pipeline: the kanban board, the weighted forecast and the conversion funnel."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import (
    Case,
    CharField,
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, Concat, NullIf, TruncMonth
from django.utils.translation import gettext_lazy as _

from vinculo.core.formats import format_money
from vinculo.core.models import User
from vinculo.customers.models import Lead, SourceChannel
from vinculo.sales.models import (
    LostReason,
    Opportunity,
    OpportunityStatus,
    Pipeline,
    Stage,
    StageKind,
)

CARDS_PER_COLUMN = 50


def visible_opportunities(user: User) -> QuerySet:
    return Opportunity.objects.all().restrict(user)


@dataclass
class Column:
    stage: Stage
    count: int = 0
    amount: Decimal = Decimal("0.00")
    cards: list[Opportunity] = field(default_factory=list)

    @property
    def more(self) -> int:
        return max(0, self.count - len(self.cards))


def board(*, pipeline: Pipeline, user: User, query: str = "",
          cards_per_column: int = CARDS_PER_COLUMN) -> list[Column]:
    """Columns of the board: per stage its count and amount (one GROUP BY) and the first cards.

    Won and lost columns show what closed in the last 30 days, not the whole history.
    """
    stages = list(pipeline.stages.order_by("order"))
    recent = dt.datetime.now(dt.UTC) - dt.timedelta(days=30)
    base = visible_opportunities(user).filter(pipeline=pipeline).filter(
        Q(status=OpportunityStatus.OPEN) | Q(closed_at__gte=recent))
    if query:
        base = base.filter(Q(name__icontains=query) | Q(account__name__icontains=query))
    totals = {row["stage_id"]: row for row in
              base.values("stage_id").annotate(n=Count("id"), total=Sum("amount"))}
    columns = []
    for stage in stages:
        row = totals.get(stage.pk, {})
        cards = list(base.filter(stage=stage).select_related("account", "owner")
                     .order_by("expected_close", "id")[:cards_per_column]) if row else []
        columns.append(Column(stage=stage, count=row.get("n", 0),
                              amount=row.get("total") or Decimal("0.00"), cards=cards))
    return columns


def weighted_forecast(*, user: User, pipeline: Pipeline | None = None) -> list[dict[str, Any]]:
    """Open opportunities' amount × probability, by month of expected close and owner."""
    queryset = visible_opportunities(user).filter(status=OpportunityStatus.OPEN,
                                                  expected_close__isnull=False)
    if pipeline is not None:
        queryset = queryset.filter(pipeline=pipeline)
    weighted = ExpressionWrapper(F("amount") * F("probability") / Decimal(100),
                                 output_field=DecimalField(max_digits=16, decimal_places=2))
    rows = (queryset.annotate(month=TruncMonth("expected_close"))
            .values("month", "owner__email", "owner__first_name", "owner__last_name", "currency")
            .annotate(count=Count("id"), total=Sum("amount"), weighted=Sum(weighted))
            .order_by("month", "owner__email"))
    result = []
    for row in rows:
        owner = " ".join(filter(None, [row["owner__first_name"], row["owner__last_name"]]))
        result.append({"month": row["month"], "owner": owner or row["owner__email"] or "—",
                       "currency": row["currency"], "count": row["count"],
                       "amount": row["total"],
                       "weighted": (row["weighted"] or Decimal(0)).quantize(Decimal("0.01"))})
    return result


def _rate(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def opportunity_source() -> Coalesce:
    """Where an opportunity really came from: its own source channel, else its lead's, else
    its account's (opportunities opened on an account carry no source of their own)."""
    return Coalesce(NullIf("source", Value("")), NullIf("lead__source", Value("")),
                    NullIf("account__source", Value("")), Value(""),
                    output_field=CharField())


def origin_key() -> Case:
    """``"<content type id>:<id>"`` of what brought a lead or opportunity in (a campaign, set
    by the app that attributed it), "" when nothing did."""
    return Case(When(origin_id__isnull=False, then=Concat(
        Cast("origin_type_id", CharField()), Value(":"), Cast("origin_id", CharField()),
        output_field=CharField())), default=Value(""), output_field=CharField())


def origin_labels(keys: set[str]) -> dict[str, str]:
    """key -> the origin's name (``str()`` of the record), read once per kind of origin, so
    sales names a campaign without importing the app it belongs to."""
    from django.contrib.contenttypes.models import ContentType

    wanted: dict[int, set[int]] = {}
    for key in filter(None, keys):
        kind, _sep, pk = key.partition(":")
        wanted.setdefault(int(kind), set()).add(int(pk))
    labels = {}
    for type_id, pks in wanted.items():
        model = ContentType.objects.get_for_id(type_id).model_class()
        if model is None:
            continue
        for record in model._base_manager.filter(pk__in=pks):
            labels[f"{type_id}:{record.pk}"] = str(record)
    return labels


def conversion_funnel(*, user: User | None, by: str = "source", start: dt.date | None = None,
                      end: dt.date | None = None) -> list[dict[str, Any]]:
    """Lead → opportunity → won by source, owner or origin, with rates and the mean days to
    close.

    By source, an opportunity counts under :func:`opportunity_source`; ``label`` is the
    source's name in the user's language (or the owner's e-mail). By origin, leads and
    opportunities count under the record that brought them in (a marketing campaign sets it,
    see ``origin_type`` on the models). The leads and opportunities ``user`` may see (the
    whole organisation without one), created from ``start`` to ``end`` when given.
    """
    if by not in ("source", "owner", "origin"):
        raise ValueError("by must be 'source', 'owner' or 'origin'")
    lead_key = {"source": "source", "owner": "owner__email", "origin": "origin"}[by]
    lead_rows: QuerySet = Lead.objects.all()
    opportunities: QuerySet = Opportunity.objects.all()
    if user is not None:
        lead_rows, opportunities = Lead.objects.all().restrict(user), visible_opportunities(user)
    if start is not None:
        lead_rows = lead_rows.filter(created_at__date__gte=start)
        opportunities = opportunities.filter(created_at__date__gte=start)
    if end is not None:
        lead_rows = lead_rows.filter(created_at__date__lte=end)
        opportunities = opportunities.filter(created_at__date__lte=end)
    if by == "origin":
        lead_rows = lead_rows.annotate(origin=origin_key())
        opportunities = opportunities.annotate(origin=origin_key())
    leads = {row[lead_key] or "": row["n"] for row in
             lead_rows.values(lead_key).order_by(lead_key).annotate(n=Count("id"))}
    if by == "source":
        opportunities = opportunities.annotate(channel=opportunity_source())
    opp_key = "channel" if by == "source" else lead_key
    opp_rows = (opportunities.values(opp_key).order_by(opp_key)
                .annotate(n=Count("id"),
                          from_leads=Count("id", filter=Q(lead__isnull=False)),
                          won=Count("id", filter=Q(status=OpportunityStatus.WON)),
                          lost=Count("id", filter=Q(status=OpportunityStatus.LOST))))
    by_key = {row[opp_key] or "": row for row in opp_rows}
    durations: dict[str, list[float]] = {}
    for opp in (opportunities.filter(status=OpportunityStatus.WON, closed_at__isnull=False)
                .values(opp_key, "created_at", "closed_at")):
        durations.setdefault(opp[opp_key] or "", []).append(
            (opp["closed_at"] - opp["created_at"]).total_seconds() / 86400)
    names: dict[str, Any] = dict(SourceChannel.choices) if by == "source" else {}
    if by == "origin":
        names = {"": _("No campaign or origin recorded"),
                 **origin_labels(set(leads) | set(by_key))}
    result = []
    for key in sorted(set(leads) | set(by_key)):
        row = by_key.get(key, {})
        n_leads, n_opps = leads.get(key, 0), row.get("n", 0)
        won, lost = row.get("won", 0), row.get("lost", 0)
        days = durations.get(key, [])
        result.append({
            "key": key, "label": str(names[key]) if key in names else (key or str(_("Unknown"))),
            "leads": n_leads, "opportunities": n_opps,
            "from_leads": row.get("from_leads", 0), "won": won, "lost": lost,
            "lead_to_opportunity": _rate(row.get("from_leads", 0), n_leads),
            "win_rate": _rate(won, won + lost),
            "days_to_close": round(sum(days) / len(days), 1) if days else None,
        })
    return result


def time_in_stages(opportunity: Opportunity) -> list[dict[str, Any]]:
    """How long the opportunity spent in each stage it went through (the current one so far)."""
    changes = list(opportunity.stage_changes.select_related("from_stage", "to_stage"))
    spent: dict[int, dict[str, Any]] = {}
    for change in changes:
        if change.from_stage is not None:
            entry = spent.setdefault(change.from_stage.pk,
                                     {"stage": change.from_stage, "seconds": 0})
            entry["seconds"] += change.seconds_in_previous
    current = spent.setdefault(opportunity.stage_id, {"stage": opportunity.stage, "seconds": 0})
    if opportunity.stage.kind == StageKind.OPEN:
        now = dt.datetime.now(dt.UTC)
        current["seconds"] += int((now - opportunity.stage_entered_at).total_seconds())
    return sorted(spent.values(), key=lambda e: e["stage"].order)



def timeline(record: Any, limit: int) -> list[Any]:
    """Opportunities opened and closed for an account or contact (the 360° timeline)."""
    from django.urls import reverse
    from django.utils.translation import gettext as _

    from vinculo.core.timeline import TimelineItem, of_customer

    opportunities = of_customer(Opportunity.objects.all(), record)
    if opportunities is None:
        return []
    items = []
    for opp in opportunities.select_related("stage").order_by("-created_at")[:limit]:
        url = reverse("sales:opportunity_detail", kwargs={"uuid": opp.uuid})
        amount = format_money(opp.amount, opp.currency)
        items.append(TimelineItem(opp.created_at, "opportunity",
                                  _("Opportunity opened: %(name)s") % {"name": opp.name},
                                  url, amount))
        if opp.closed_at:
            title = (_("Opportunity won: %(name)s") if opp.status == OpportunityStatus.WON
                     else _("Opportunity lost: %(name)s")) % {"name": opp.name}
            items.append(TimelineItem(opp.closed_at, "opportunity", title, url,
                                      opp.lost_reason or amount))
    return items


def lost_reasons_offered() -> list[str]:
    """The active reasons for losing, in the organisation's order (empty: any words)."""
    return list(LostReason.objects.filter(is_active=True).order_by("order", "name")
                .values_list("name", flat=True))


HOME_ROWS = 5


def home_opportunities(user: User) -> dict[str, Any]:
    """The home page's "my open opportunities" panel: how many, their amount and weighted
    value per currency (one GROUP BY on the (organisation, owner, status) index) and the
    next few to close."""
    mine = Opportunity.objects.filter(owner=user, status=OpportunityStatus.OPEN)
    weighted = ExpressionWrapper(F("amount") * F("probability") / 100,
                                 output_field=DecimalField(max_digits=18, decimal_places=2))
    # (names that are not fields: "amount" would shadow the column the weighting reads)
    totals = list(mine.order_by("currency").values("currency").annotate(
        count=Count("id"), total=Sum("amount"), weighted_total=Sum(weighted)))
    closing = list(mine.select_related("account").order_by(
        F("expected_close").asc(nulls_last=True), "id")[:HOME_ROWS])
    return {"totals": totals, "count": sum(t["count"] for t in totals), "closing": closing}
