"""Reads of the next-best action: the facts the rules read, the suggestions a user sees, the
hit rate of each rule."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db.models import Count, F, Max, Min, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from vinculo.analytics import selectors as analytics
from vinculo.analytics.models import CustomerSnapshot
from vinculo.core.models import User
from vinculo.marketing.actions import rules
from vinculo.marketing.actions.models import Suggestion, SuggestionOutcome, SuggestionStatus
from vinculo.sales.models import Order, OrderStatus
from vinculo.service.models import OPEN_STATUSES, Ticket, TicketType

CHUNK = 5000


def _chunks(ids: list[int]) -> Iterable[list[int]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start:start + CHUNK]


def candidate_facts(*, currency: str, today: dt.date | None = None) -> dict[int, dict[str, Any]]:
    """account id -> the facts the rules read, for the accounts any rule could fire on: the
    key tiers of the latest finished snapshot, and the Iron customers whose P(alive) fell.

    The snapshot rows and their P(alive) at the snapshot before are read in one query (the
    previous value as a subquery on the ``snapshot_account`` index); last orders and open
    complaints in one aggregate per chunk of accounts."""
    today = today or timezone.localdate()
    dates = analytics.snapshot_dates()
    if not dates:
        return {}
    as_of = dates[0]
    snapshots = CustomerSnapshot.objects.filter(as_of=as_of)
    if len(dates) > 1:
        before = CustomerSnapshot.objects.filter(account_id=OuterRef("account_id"),
                                                 as_of=dates[1]).values("p_alive")[:1]
        snapshots = snapshots.annotate(p_alive_before=Subquery(before)).filter(
            Q(value_tier__in=rules.KEY_TIERS)
            | Q(value_tier__in=rules.AT_RISK_TIERS,
                p_alive_before__gte=F("p_alive") + rules.P_ALIVE_DROP))
        fields = ["p_alive_before"]
    else:
        snapshots = snapshots.filter(value_tier__in=rules.KEY_TIERS)
        fields = []
    facts: dict[int, dict[str, Any]] = {}
    for row in snapshots.values("account_id", "value_tier", "clv", "p_alive", "frequency",
                                "recency_days", "T", "last_purchase", *fields):
        clv = row["clv"]
        facts[row["account_id"]] = {
            "tier": row["value_tier"], "clv": str(clv) if clv is not None else None,
            "currency": currency, "p_alive": row["p_alive"],
            "p_alive_before": row.get("p_alive_before"), "frequency": row["frequency"],
            "recency_days": row["recency_days"], "T": row["T"],
            "last_order": row["last_purchase"].isoformat(), "complaint_since": None,
            "as_of": as_of.isoformat(), "today": today.isoformat()}
    for ids in _chunks(sorted(facts)):
        for account_id, last in (Order.objects.filter(account_id__in=ids)
                                 .exclude(status=OrderStatus.CANCELLED)
                                 .values_list("account_id").annotate(Max("ordered_on"))):
            if last and last.isoformat() > facts[account_id]["last_order"]:
                facts[account_id]["last_order"] = last.isoformat()
        for account_id, since in (Ticket.objects.filter(
                account_id__in=ids, type=TicketType.COMPLAINT, status__in=OPEN_STATUSES)
                .values_list("account_id").annotate(Min("created_at"))):
            facts[account_id]["complaint_since"] = timezone.localtime(since).date().isoformat()
    return facts


def visible(user: User) -> QuerySet:
    """The suggestions ``user`` may see (a representative: their accounts')."""
    return Suggestion.objects.restrict(user).select_related("account", "task", "campaign",
                                                             "decided_by")


def for_owner(user: User) -> QuerySet:
    """"My suggested actions": the open ones on the accounts ``user`` owns."""
    return visible(user).filter(status=SuggestionStatus.OPEN, account__owner=user).order_by(
        "-created_at", "-id")


def for_account(user: User, account_id: int) -> QuerySet:
    return visible(user).filter(account_id=account_id).filter(
        Q(status=SuggestionStatus.OPEN) | Q(status=SuggestionStatus.ACCEPTED)).order_by(
        "-created_at", "-id")


def hit_rates() -> list[dict[str, Any]]:
    """Per rule: suggested, accepted, dismissed, hits, misses and the hit rate (hits over the
    accepted suggestions whose outcome is known; None before the first)."""
    counts = {row["rule"]: row for row in Suggestion.objects.values("rule").annotate(
        suggested=Count("id"),
        accepted=Count("id", filter=Q(status=SuggestionStatus.ACCEPTED)),
        dismissed=Count("id", filter=Q(status=SuggestionStatus.DISMISSED)),
        hits=Count("id", filter=Q(outcome=SuggestionOutcome.HIT)),
        misses=Count("id", filter=Q(outcome=SuggestionOutcome.MISS))).order_by()}
    rows = []
    for rule in rules.RULES:
        row = counts.get(rule.key, {"suggested": 0, "accepted": 0, "dismissed": 0, "hits": 0,
                                    "misses": 0})
        decided = row["hits"] + row["misses"]
        rows.append({"rule": rule.key, "label": str(rule.label),
                     "description": str(rule.description), "suggested": row["suggested"],
                     "accepted": row["accepted"], "dismissed": row["dismissed"],
                     "hits": row["hits"], "misses": row["misses"],
                     "hit_rate": (Decimal(100 * row["hits"]) / decided if decided else None)})
    return rows


HOME_ROWS = 5


def home_suggestions(user: User) -> dict[str, Any]:
    """The home page's "my suggested actions": the newest few open ones on the accounts the
    user owns, read with a LIMIT (one more than shown, to say there are more)."""
    rows = list(for_owner(user)[:HOME_ROWS + 1])
    today = timezone.localdate()
    return {"rows": [(row, rules.reason(row.rule, row.action, row.facts, today=today))
                     for row in rows[:HOME_ROWS]], "more": len(rows) > HOME_ROWS}
