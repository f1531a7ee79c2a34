"""The figures billing measures for objectives (``Contract.indicators``), over its selectors:
the rule stays where it is, this only reads it for a period and a scope."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from decimal import Decimal

from vinculo.billing.selectors import revenue_between
from vinculo.core.models import Organization
from vinculo.core.money import ZERO


def revenue(*, organization: Organization, start: dt.date, end: dt.date,
            owners: Collection[int] | None) -> Decimal:
    """Net revenue invoiced in the period in the organisation's base currency (invoices in
    other currencies are not converted, so not counted)."""
    rows = revenue_between(None, start, end, owners=owners)
    return sum((row["net"] or ZERO for row in rows
                if row["currency"] == organization.base_currency), ZERO)
