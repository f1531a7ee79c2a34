"""The figures sales measures for objectives (``Contract.indicators``), over its selectors:
the conversion funnel, the delivery indicators and the first orders."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection

from vinculo.core.models import Organization, User
from vinculo.sales import selectors
from vinculo.sales.documents import selectors as documents


def new_customers(*, organization: Organization, start: dt.date, end: dt.date,
                  owners: Collection[int] | None) -> int:
    return documents.new_customers(start=start, end=end, owners=owners)


def conversion_rate(*, organization: Organization, start: dt.date, end: dt.date,
                    owners: Collection[int] | None) -> float | None:
    """Win rate of the funnel (won ÷ won and lost) over the opportunities opened in the
    period; a team's or a person's counts their owners' rows of the funnel by owner."""
    rows = selectors.conversion_funnel(user=None, by="owner", start=start, end=end)
    if owners is not None:
        emails = set(User.objects.filter(pk__in=list(owners)).values_list("email", flat=True))
        rows = [row for row in rows if row["key"] in emails]
    won = sum(row["won"] for row in rows)
    closed = won + sum(row["lost"] for row in rows)
    return round(100 * won / closed, 1) if closed else None


def _delivery(start: dt.date, end: dt.date) -> dict:
    return documents.delivery_indicators(on=end, since=start - dt.timedelta(days=1))


def on_time_delivery(*, organization: Organization, start: dt.date, end: dt.date,
                     owners: Collection[int] | None) -> float | None:
    return _delivery(start, end)["on_time_rate"]


def fill_rate(*, organization: Organization, start: dt.date, end: dt.date,
              owners: Collection[int] | None) -> float | None:
    return _delivery(start, end)["order_fill_rate"]
