"""The figures analytics measures for objectives (``Contract.indicators``): retention from
the live monthly aggregate, CLV and cost to serve from the newest snapshot of the period."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from decimal import Decimal

from vinculo.analytics import selectors
from vinculo.core.models import Organization


def retention(*, organization: Organization, start: dt.date, end: dt.date,
              owners: Collection[int] | None) -> float | None:
    """Mean monthly retention (``selectors.retention_by_month``) of the complete months of
    the period; none while no month of it is complete."""
    months = (end.year - start.year) * 12 + end.month - start.month + 1
    rows = [row for row in selectors.retention_by_month(months=months, as_of=end)
            if row["month"] >= start.replace(day=1) and row["retention"] is not None]
    return round(sum(row["retention"] for row in rows) / len(rows), 1) if rows else None


def _per_customer(end: dt.date, field: str) -> Decimal | None:
    dates = [d for d in selectors.snapshot_dates() if d <= end]
    if not dates:
        return None
    totals = selectors.totals(dates[0])
    if not totals["customers"] or totals[field] is None:
        return None
    return (Decimal(totals[field]) / totals["customers"]).quantize(Decimal("0.01"))


def average_clv(*, organization: Organization, start: dt.date, end: dt.date,
                owners: Collection[int] | None) -> Decimal | None:
    """Mean CLV per customer in the newest snapshot on or before the period's end."""
    return _per_customer(end, "clv")


def cost_to_serve(*, organization: Organization, start: dt.date, end: dt.date,
                  owners: Collection[int] | None) -> Decimal | None:
    """Mean cost to serve per customer in the newest snapshot on or before the period's end."""
    return _per_customer(end, "cost_to_serve")
