"""The analytics recompute scores contract customers with sBG (issue 16).

A fixture with a known cohort survival (Fader & Hardie's "regular" customers, 2007) must
reproduce the published fit through the product's path (contracts → chains → sBG), and a
contract customer's CLV must equal the DERL formula computed here independently, by the sum
of discounted survival probabilities."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np
import pytest
from scipy.special import betaln

from tests.analytics.test_product_recompute import make_orders
from tests.core.factories import as_user
from tests.customers.factories import AccountFactory
from vinculo.analytics import services as analytics
from vinculo.analytics.models import CustomerSnapshot
from vinculo.analytics.services.contractual import contract_scores
from vinculo.contracts import services
from vinculo.contracts.models import CancelReason, Contract, ContractStatus
from vinculo.customers.models import Account

pytestmark = pytest.mark.django_db

REGULAR = [1000, 631, 468, 382, 326, 289, 262, 241]  # survivors at the start of years 0..7
START, AS_OF = dt.date(2017, 1, 1), dt.date(2024, 1, 1)
MONTHLY = 0.01


def regular_cohort(org) -> tuple[np.ndarray, dict[int, int]]:
    """1,000 accounts with a yearly contract from 2017, renewed as the cohort was: the
    customers who left after k years had k terms, the 241 survivors have their 8th running."""
    accounts = Account.all_objects.bulk_create(
        [Account(organization=org, name=f"Abonado {i}") for i in range(REGULAR[0])])
    lengths = []
    for k in range(1, len(REGULAR)):
        lengths += [k] * (REGULAR[k - 1] - REGULAR[k])
    lengths += [len(REGULAR)] * REGULAR[-1]
    terms: dict[int, int] = {}
    previous: list[Contract | None] = [None] * len(accounts)
    for level in range(len(REGULAR)):
        rows, who = [], []
        for i, n in enumerate(lengths):
            if level < n:
                start = START.replace(year=START.year + level)
                ended = level == n - 1 and n < len(REGULAR)
                status = (ContractStatus.CANCELLED if ended else ContractStatus.ACTIVE
                          if level == n - 1 else ContractStatus.RENEWED)
                rows.append(Contract(
                    organization=org, account=accounts[i], name="Anual", start_date=start,
                    term_months=12, renewal_date=start.replace(year=start.year + 1),
                    value=Decimal("120.00") + i % 3, currency="EUR", status=status,
                    cancel_reason=CancelReason.PRICE if ended else "", sequence=level + 1,
                    origin=previous[i].origin or previous[i] if previous[i] else None,
                    renewal_of=previous[i]))
                who.append(i)
        for i, row in zip(who, Contract.all_objects.bulk_create(rows), strict=True):
            previous[i] = row
            terms[accounts[i].pk] = level + 1
    return np.array(sorted(a.pk for a in accounts), dtype=np.int64), terms


def derl_by_sum(gamma: float, delta: float, d: float, renewals: int) -> float:
    """Σ_{t≥n} S(t)/S(n−1) (1+d)^−(t−n), n = renewals + 1, summed until the terms vanish."""
    n = renewals + 1
    t = np.arange(n, n + 20000, dtype=float)
    s = np.exp(betaln(gamma, delta + t) - betaln(gamma, delta + n - 1))
    return float(np.sum(s * (1 + d) ** -(t - n)))


def test_known_cohort_survival_reproduces_the_published_sbg_fit(org):
    accounts, terms = regular_cohort(org)
    scores = contract_scores(organization_id=org.pk, as_of=AS_OF, accounts=accounts,
                             monthly_discount_rate=MONTHLY, level=0.9)
    (fit,) = scores.parameters["fits"]
    assert fit["term_months"] == 12 and fit["customers"] == 1000
    assert round(fit["sbg"]["gamma"], 3) == 0.704 and round(fit["sbg"]["delta"], 3) == 1.182
    assert round(fit["sbg"]["log_likelihood"], 2) == -1680.27
    assert [row["actual"] for row in fit["retention"]] == REGULAR
    assert [row["observed"] for row in fit["retention"]] == [1000] * 8
    assert scores.scored.all() and scores.parameters["accounts"] == 1000
    assert scores.parameters["model"] == "sbg"

    g, d = fit["sbg"]["gamma"], fit["sbg"]["delta"]
    rate = (1 + MONTHLY) ** 12 - 1
    survivor = next(pk for pk, n in terms.items() if n == 8)
    i = int(np.searchsorted(accounts, survivor))
    value = float(Contract.all_objects.get(account_id=survivor, sequence=8).value)
    assert scores.clv[i] == pytest.approx(value * derl_by_sum(g, d, rate, 7), rel=1e-9)
    assert scores.retention[i] == pytest.approx((d + 7) / (g + d + 7), rel=1e-12)
    assert scores.clv_lower[i] < scores.clv[i] < scores.clv_upper[i]
    gone = next(pk for pk, n in terms.items() if n == 3)
    j = int(np.searchsorted(accounts, gone))
    assert (scores.clv[j], scores.retention[j]) == (0.0, 0.0)


def test_recompute_scores_contract_accounts_with_sbg_and_says_so(admin):
    rng = np.random.default_rng(5)
    accounts = [AccountFactory(actor=admin) for _ in range(40)]
    make_orders(admin, accounts, rng, n_orders=400)
    with as_user(admin):
        for k, account in enumerate(accounts[:12]):  # yearly contracts, some renewed
            c = services.contract_create(actor=admin, data={
                "account": account, "name": "Anual", "start_date": dt.date(2022, 1, 1 + k),
                "term_months": 12, "value": Decimal("500.00"), "currency": "EUR"})
            for _year in range(k % 3):
                c = services.contract_renew(actor=admin, contract=c)
            if k % 4 == 0:
                services.contract_cancel(actor=admin, contract=c, reason="price")
    as_of = dt.date(2024, 12, 31)
    result = analytics.recompute(organization=admin.organization, as_of=as_of)
    info = result["parameters"]["contracts"]
    assert info["model"] == "sbg" and info["reason"] == "contractual"
    with as_user(admin):
        snaps = {s.account_id: s for s in CustomerSnapshot.objects.filter(as_of=as_of)}
    contract_ids = {a.pk for a in accounts[:12]} & set(snaps)
    assert info["accounts"] == len(contract_ids) > 0
    assert {snaps[a].model for a in contract_ids} == {"sbg"}
    others = set(snaps) - contract_ids
    assert {snaps[a].model for a in others} == {result["parameters"]["model"]["name"]}
    cancelled = [a.pk for k, a in enumerate(accounts[:12]) if k % 4 == 0 and a.pk in snaps]
    assert all(snaps[a].clv == 0 and snaps[a].p_alive == 0 for a in cancelled)
    fit = info["fits"][0]["sbg"]
    g, d = fit["gamma"], fit["delta"]
    rate = (1 + 0.01) ** 12 - 1
    for k, account in enumerate(accounts[:12]):
        if k % 4 and account.pk in snaps:
            n = k % 3  # renewals made
            assert float(snaps[account.pk].clv) == pytest.approx(
                500 * derl_by_sum(g, d, rate, n), abs=0.006)
            assert snaps[account.pk].p_alive == pytest.approx((d + n) / (g + d + n))
