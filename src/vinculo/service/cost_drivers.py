"""Cost driver of the service desk: tickets per account, for the cost to serve (analytics)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db.models import Count

from vinculo.core.cost_drivers import day_bounds
from vinculo.service.models import Ticket


def count_tickets(org_id: int, start: dt.date | None, end: dt.date
                  ) -> Iterable[tuple[int, int]]:
    qs = Ticket.all_objects.filter(organization_id=org_id, account__isnull=False)
    return (day_bounds(qs, "created_at", start, end).order_by().values("account_id")
            .annotate(n=Count("id")).values_list("account_id", "n"))

