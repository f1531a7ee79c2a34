"""The figures service measures for objectives (``Contract.indicators``), over
``selectors.metrics`` (one row for the organisation, or a team's or an agent's tickets)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from typing import Any

from vinculo.core.models import Organization
from vinculo.service.models import Ticket, TicketType
from vinculo.service.selectors import metrics


def _row(start: dt.date, end: dt.date, owners: Collection[int] | None) -> dict[str, Any]:
    rows = metrics(by="all", start=start, end=end, assignees=owners)
    return rows[0] if rows else {}


def sla_compliance(*, organization: Organization, start: dt.date, end: dt.date,
                   owners: Collection[int] | None) -> float | None:
    """Share of the tickets opened in the period and resolved whose resolution met its SLA."""
    return _row(start, end, owners).get("resolution_compliance")


def csat(*, organization: Organization, start: dt.date, end: dt.date,
         owners: Collection[int] | None) -> float | None:
    return _row(start, end, owners).get("csat")


def nps(*, organization: Organization, start: dt.date, end: dt.date,
        owners: Collection[int] | None) -> float | None:
    return _row(start, end, owners).get("nps")


def complaints(*, organization: Organization, start: dt.date, end: dt.date,
               owners: Collection[int] | None) -> int:
    """Tickets that count as complaints (their type's kind) opened in the period."""
    tickets = Ticket.objects.filter(type=TicketType.COMPLAINT, created_at__date__gte=start,
                                    created_at__date__lte=end)
    if owners is not None:
        tickets = tickets.filter(assignee_id__in=list(owners))
    return tickets.count()
