"""Demo contracts: yearly subscriptions of some of the buying accounts, started over the last
seven years, each renewed or not every year with the customer's own churn probability drawn
from Beta(0.7, 1.2) (close to Fader & Hardie's "regular" cohort) — so the contractual model
(sBG) in the analytics recompute has several cohorts to fit, and the 360° pages show
contracts with their history of terms."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np

from vinculo.contracts.models import CancelReason, Contract, ContractStatus
from vinculo.contracts.services import add_months
from vinculo.core.demo import DemoContext

#: The churn probability of a demo customer is drawn from Beta(GAMMA, DELTA).
GAMMA, DELTA = 0.7, 1.2
YEARS = 7
PLANS = (("Club de vinos — suscripción anual", "480.00"),
         ("Almacenamiento de palés — contrato anual", "1440.00"),
         ("Mantenimiento de cámaras — contrato anual", "900.00"))
_REASONS = [CancelReason.PRICE, CancelReason.COMPETITOR, CancelReason.NO_NEED,
            CancelReason.SERVICE]


def estimate(customers: int) -> int:
    """Rows written for ``customers`` customers (the demo's progress bar)."""
    return 3 * min(max(customers // 10, 0), 600)


def generate(ctx: DemoContext) -> dict[str, int]:
    sales = ctx.shared.get("sales")
    if not sales:
        return {}
    rng = ctx.rng("contracts")
    buyers = np.unique(np.asarray(sales["order_accounts"], dtype=np.int64))
    n = min(buyers.size, max(ctx.customers // 10, 40), 600)
    if n == 0:
        return {}
    accounts = rng.choice(buyers, size=n, replace=False)
    today = ctx.now.date()
    theta = rng.beta(GAMMA, DELTA, size=n)
    # Cohorts: a start in each of the last YEARS years (more in the recent ones).
    years = rng.choice(np.arange(1, YEARS + 1), size=n,
                       p=np.linspace(2, 1, YEARS) / np.linspace(2, 1, YEARS).sum())
    plan = rng.integers(0, len(PLANS), size=n)
    chains: list[list[dict]] = []
    for i in range(n):
        start = add_months(today.replace(day=1), -12 * int(years[i])) + dt.timedelta(
            days=int(rng.integers(0, 28)))
        name, value = PLANS[int(plan[i])]
        price = Decimal(value)
        auto = bool(rng.random() < 0.5)
        terms: list[dict] = []
        while True:
            end = add_months(start, 12)
            term = {"account_id": int(accounts[i]), "name": name, "start_date": start,
                    "renewal_date": end, "value": price, "auto_renew": auto}
            terms.append(term)
            if end > today:
                term["status"] = ContractStatus.ACTIVE
                break
            if rng.random() < theta[i]:  # leaves at the end of this term
                lapsed = auto is False and rng.random() < 0.3
                term.update(status=ContractStatus.LAPSED if lapsed else ContractStatus.CANCELLED,
                            ended_on=end,
                            cancel_reason=(CancelReason.NOT_RENEWED if lapsed
                                           else _REASONS[int(rng.integers(0, 4))]))
                break
            term.update(status=ContractStatus.RENEWED, ended_on=end)
            start, price = end, (price * Decimal("1.03")).quantize(Decimal("0.01"))
        chains.append(terms)
    written = 0
    previous: list[Contract | None] = [None] * n
    origin: list[int | None] = [None] * n
    currency = ctx.organization.base_currency
    for level in range(max(len(c) for c in chains)):
        rows, who = [], []
        for i, terms in enumerate(chains):
            if level < len(terms):
                t = terms[level]
                rows.append(Contract(
                    organization=ctx.organization, currency=currency, term_months=12,
                    sequence=level + 1, origin_id=origin[i],
                    renewal_of=previous[i], **t))
                who.append(i)
        created = Contract.all_objects.bulk_create(rows)
        for i, row in zip(who, created, strict=True):
            previous[i] = row
            if origin[i] is None:
                origin[i] = row.pk
        written += len(created)
    ctx.progress.update(written)
    return {"contracts": written}
