"""The cost to serve's inputs: activity counts per driver and the organisation's cost rates.

The cost drivers are whatever the apps declare in their contracts (``drivers.py``): each
counter yields ``(account_id, count)`` pairs for a window of days (an aggregate query).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from vinculo.analytics import drivers
from vinculo.analytics.models import CostRate
from vinculo.analytics.services._common import require_role
from vinculo.analytics.services.summary import add_by_account
from vinculo.core.models import Organization, User


def driver_counts(
    *, organization_id: int, account_ids: np.ndarray, start: dt.date | None, end: dt.date,
    known: dict[str, np.ndarray] | None = None,
) -> np.ndarray:
    """(accounts, drivers) matrix of activity counts in (start, end], by aggregate SQL.

    ``account_ids`` must be ascending. ``known`` gives drivers already counted per account
    (recompute takes the orders from the summary query) instead of running their counters.
    """
    known = known or {}
    names = drivers.names()
    matrix = np.zeros((account_ids.size, len(names)))
    for j, driver in enumerate(names):
        if driver in known:
            matrix[:, j] = known[driver]
            continue
        for counter in drivers.counters(driver):
            pairs = np.array(list(counter(organization_id, start, end)), dtype=float)
            if pairs.size:
                add_by_account(matrix[:, j], account_ids, pairs[:, 0].astype(np.int64),
                               pairs[:, 1])
    return matrix


def cost_rates(organization: Organization) -> dict[str, float]:
    """The organisation's rate per driver (0 where none is set)."""
    rates = {driver: 0.0 for driver in drivers.names()}
    for driver, rate in CostRate.all_objects.filter(organization=organization).values_list(
        "driver", "rate"
    ):
        rates[driver] = float(rate)
    return rates


@transaction.atomic
def cost_rate_update(
    *, actor: User | None, organization: Organization, driver: str, rate: Decimal
) -> CostRate:
    """Set what one unit of ``driver`` costs; the next recomputation uses it."""
    require_role(actor, "analytics.manage")
    if driver not in drivers.names():
        raise ValidationError({"driver": _("Unknown cost driver %(driver)s.") % {"driver": driver}})
    if rate is None or Decimal(rate) < 0:
        raise ValidationError({"rate": _("A cost rate cannot be negative.")})
    obj, _created = CostRate.all_objects.update_or_create(
        organization=organization, driver=driver, defaults={"rate": Decimal(rate)}
    )
    return obj
