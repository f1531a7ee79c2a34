"""Reads of contracts: an account's contracts, the renewals coming due, and the chains of
terms the contractual retention model (sBG, in ``analytics``) is fitted on."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.db.models import Count, Max, Min, QuerySet, Sum
from django.db.models.functions import Coalesce

from vinculo.contracts.models import ENDED, Contract, ContractStatus
from vinculo.core.models import User


def for_account(user: User, account_id: int) -> QuerySet[Contract]:
    """The account's contract terms the user may see, newest first."""
    return (Contract.objects.filter(account_id=account_id).restrict(user)
            .select_related("product").order_by("-start_date", "-id"))


def account_summary(user: User, account_id: int) -> dict[str, Any]:
    """What the 360° panel heads with: active terms, their value, the next renewal."""
    rows = for_account(user, account_id)
    active = rows.filter(status=ContractStatus.ACTIVE)
    agg = active.aggregate(n=Count("id"), next=Min("renewal_date"))
    values = list(active.values("currency").annotate(total=Sum("value")).order_by("currency"))
    return {"active": agg["n"], "next_renewal": agg["next"], "values": values,
            "terms": list(rows[:20])}


def renewals_due(user: User, *, within_days: int = 60,
                 today: dt.date | None = None) -> QuerySet[Contract]:
    """Active terms renewing in the next ``within_days`` days, soonest first."""
    today = today or dt.date.today()
    return (Contract.objects.filter(status=ContractStatus.ACTIVE,
                                    renewal_date__lte=today + dt.timedelta(days=within_days))
            .restrict(user).select_related("account").order_by("renewal_date", "id"))


@dataclass(frozen=True)
class Chains:
    """One row per contract (its chain of terms) as arrays, for the retention model.

    ``terms``: terms started on or before the date; ``ended``: the latest of them was
    cancelled or lapsed (the customer left at its renewal date); ``value`` and ``currency``:
    the latest term's value per term; ``term_months``: its length.
    """

    account: np.ndarray
    chain: np.ndarray
    first_start: np.ndarray  # day numbers (days since 1970-01-01)
    terms: np.ndarray
    ended: np.ndarray
    term_months: np.ndarray
    value: np.ndarray
    currency: np.ndarray

    def __len__(self) -> int:
        return int(self.account.size)


def contract_chains(*, organization_id: int, as_of: dt.date) -> Chains:
    """Every contract of the organisation that had started by ``as_of``: two aggregate
    queries (the chains, then their latest terms), whatever the number of terms."""
    base = Contract.all_objects.filter(organization_id=organization_id, start_date__lte=as_of)
    chains = list(base.annotate(chain=Coalesce("origin_id", "id")).values("chain")
                  .annotate(first=Min("start_date"), terms=Count("id"), last=Max("sequence"))
                  .order_by("chain").values_list("chain", "first", "terms", "last"))
    # Ascending by term number, so each chain's entry ends on its latest term (a chain's other
    # terms with a number in the set come before it).
    latest = {row[0]: row[1:] for row in base.filter(
        sequence__in={c[3] for c in chains}).annotate(chain=Coalesce("origin_id", "id"))
        .order_by("sequence").values_list("chain", "account_id", "status", "term_months",
                                          "value", "currency")}
    epoch = dt.date(1970, 1, 1)
    rows = []
    for chain, first, terms, _last in chains:
        account, status, months, value, currency = latest[chain]
        rows.append((account, chain, (first - epoch).days, terms, status in ENDED, months,
                     float(value), currency))
    cols: list[Any] = list(zip(*rows, strict=True)) if rows else [()] * 8
    return Chains(account=np.asarray(cols[0], dtype=np.int64),
                  chain=np.asarray(cols[1], dtype=np.int64),
                  first_start=np.asarray(cols[2], dtype=np.int64),
                  terms=np.asarray(cols[3], dtype=np.int64),
                  ended=np.asarray(cols[4], dtype=bool),
                  term_months=np.asarray(cols[5], dtype=np.int64),
                  value=np.asarray(cols[6], dtype=float),
                  currency=np.asarray(cols[7], dtype=object))
