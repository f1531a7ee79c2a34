"""The home page's key figures (``Contract.home_panels``): revenue this month, customers
active and high-value customers at risk, each with a link to the list behind it.

Reads only snapshots and indexed aggregates: the latest finished analytics run names the
snapshot date; revenue is one aggregate over this month's invoices.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from django.db.models import Count, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from vinculo.analytics.models import AnalyticsRun, CustomerSnapshot, RunStatus
from vinculo.analytics.selectors import high_value_at_risk
from vinculo.billing import selectors as billing_selectors
from vinculo.core.models import User
from vinculo.core.roles import role_has

ACTIVE_P_ALIVE = 0.5  # the dashboard's "active" (analytics.selectors.totals)


def snapshot_date() -> dt.date | None:
    """The date of the newest finished analytics run (its snapshots are complete)."""
    return (AnalyticsRun.objects.filter(status=RunStatus.DONE).order_by("-as_of")
            .values_list("as_of", flat=True).first())


def customers(as_of: dt.date, *, segments: list[str] | None = None,
              tiers: list[str] | None = None, active: bool = False,
              at_risk: bool = False) -> QuerySet:
    """Snapshot rows of ``as_of`` filtered as the key figures count them (the list page);
    ``at_risk``: the high-value customers at risk (``selectors.high_value_at_risk``)."""
    rows = CustomerSnapshot.objects.filter(as_of=as_of)
    if at_risk:
        rows = rows.filter(high_value_at_risk())
    if segments:
        rows = rows.filter(rfm_segment__in=segments)
    if tiers:
        rows = rows.filter(value_tier__in=tiers)
    if active:
        rows = rows.filter(p_alive__gte=ACTIVE_P_ALIVE)
    return rows


def key_figures(user: User, *, today: dt.date | None = None) -> dict[str, Any]:
    """Revenue this month (if the role sees billing) and, from the latest snapshot, the
    customers active and the high-value customers at risk."""
    today = today or timezone.localdate()
    first = today.replace(day=1)
    figures: dict[str, Any] = {"month": first, "revenue": None, "as_of": None}
    if role_has(user.role, "billing.view"):
        figures["revenue"] = billing_selectors.revenue_between(user, first, today)
        figures["revenue_url"] = (reverse("billing:invoice_list") + "?" + urlencode(
            {"issued_from": first.isoformat(), "issued_to": today.isoformat()}))
    as_of = snapshot_date()
    if as_of is not None:
        counts = CustomerSnapshot.objects.filter(as_of=as_of).aggregate(
            active=Count("id", filter=Q(p_alive__gte=ACTIVE_P_ALIVE)),
            at_risk=Count("id", filter=high_value_at_risk()))
        base = reverse("analytics:customers")
        figures.update(as_of=as_of, active=counts["active"], at_risk=counts["at_risk"],
                       active_url=f"{base}?active=true",
                       at_risk_url=f"{base}?at_risk=true")
    return figures
