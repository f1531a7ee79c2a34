"""The list behind the home page's key figures: the customers of the latest snapshot, filtered
by RFM segment, value tier, "active" (P(alive) ≥ 0.5) or "high-value at risk" as the figures
count them."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views import View

from vinculo.analytics import home
from vinculo.analytics.selectors import VALUE_TIERS, label
from vinculo.core.db import ReplicaReadMixin
from vinculo.core.pagination import paginate
from vinculo.core.permissions import RoleRequiredMixin
from vinculo.customers.models import Account


class CustomerListView(ReplicaReadMixin, RoleRequiredMixin, View):
    permission = "analytics.figures"

    def get(self, request: HttpRequest) -> HttpResponse:
        segments = [s for s in request.GET.getlist("segment") if s]
        tiers = [t for t in request.GET.getlist("tier") if t in VALUE_TIERS]
        active = request.GET.get("active") in ("true", "1")
        at_risk = request.GET.get("at_risk") in ("true", "1")
        as_of = home.snapshot_date()
        page = None
        if as_of is not None:
            rows = home.customers(as_of, segments=segments, tiers=tiers, active=active,
                                  at_risk=at_risk)
            if request.user.is_owner_scoped:  # the record rule of the accounts
                rows = rows.filter(account__in=Account.objects.all().restrict(request.user))
            page = paginate(rows.select_related("account").order_by("-clv", "account_id"),
                            page=request.GET.get("page"), size=request.GET.get("size"))
            for row in page.items:
                row.segment_label = label(row.rfm_segment)
                row.tier_label = label(row.value_tier)
        query = request.GET.copy()
        query.pop("page", None)
        return render(request, "analytics/customers.html", {
            "as_of": as_of, "page": page, "query": query.urlencode(),
            "filters": [label(s) for s in segments] + [label(t) for t in tiers],
            "active": active, "at_risk": at_risk,
        })
