"""The bulk snapshot writer (staging table + one upsert) on the database the suite runs on:
values arrive exactly, a rerun updates rows in place and removes accounts no longer there,
and nothing of another date or organisation is touched."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np
import pytest
from django.db import connection

from tests.analytics.test_product_recompute import AS_OF_1, AS_OF_2, make_cdnow_orders
from tests.customers.factories import AccountFactory
from vinculo.analytics import bulk, drivers, services
from vinculo.analytics.models import CostRate, CustomerSnapshot
from vinculo.core.tenancy import organization_scope

pytestmark = pytest.mark.django_db

DAY = dt.date(2025, 6, 30)
EPOCH = dt.date(1970, 1, 1)


def columns(accounts, *, rfm=None, clv=None, cost=None) -> bulk.SnapshotColumns:
    """Snapshot columns for ``accounts`` with recognisable values."""
    n = len(accounts)
    ids = np.array(sorted(a.pk for a in accounts), dtype=np.int64)
    k = np.arange(n)
    first = (dt.date(2024, 1, 1) - EPOCH).days + k
    breakdown = np.zeros((n, len(drivers.names()))) if cost is None else cost
    return bulk.SnapshotColumns(
        account=ids,
        days={"first_purchase": first, "last_purchase": first + 30},
        counts={"recency_days": 100 + k, "frequency": k, "T": 200 + k, "r_score": 1 + k % 5,
                "f_score": 5 - k % 5, "m_score": np.full(n, 3)},
        labels={"rfm_segment": np.array(rfm or ["Can't lose", "Champions", "Lost"][:n]),
                "profit_segment": np.full(n, "High"), "value_tier": np.full(n, "Gold")},
        money={"monetary": 10.006 + k, "expected_spend": np.full(n, np.nan),
               "clv": np.array(clv if clv is not None else [1234.567, np.inf, -0.004][:n]),
               "revenue": 100.0 + k, "cost_of_goods": np.zeros(n),
               "cost_to_serve": breakdown.sum(axis=1), "profit": 100.0 + k},
        floats={"p_alive": np.array([0.25, np.nan, 1.0][:n]),
                "expected_purchases": np.full(n, 2.5)},
        drivers=drivers.names(),
        breakdown=breakdown,
    )


def rows(org, day=DAY) -> dict[int, CustomerSnapshot]:
    with organization_scope(org):
        return {s.account_id: s for s in CustomerSnapshot.objects.filter(as_of=day)}


def test_values_arrive_as_dates_cents_labels_nulls_and_json(admin):
    accounts = [AccountFactory(actor=admin) for _ in range(3)]
    cost = np.zeros((3, len(drivers.names())))
    order, visit = drivers.names().index("order"), drivers.names().index("visit")
    cost[0, order], cost[0, visit], cost[2, visit] = 12.5, 0.333, 7.0
    written = bulk.upsert_snapshots(organization_id=admin.organization_id, as_of=DAY,
                                    columns=columns(accounts, cost=cost))
    assert written == 3
    got = rows(admin.organization)
    ids = sorted(got)
    first, second, third = (got[i] for i in ids)
    assert (first.first_purchase, first.last_purchase) == (dt.date(2024, 1, 1),
                                                           dt.date(2024, 1, 31))
    assert third.first_purchase == dt.date(2024, 1, 3)
    assert (second.recency_days, second.frequency, second.T) == (101, 1, 201)
    assert (second.r_score, second.f_score, second.m_score) == (2, 4, 3)
    assert [got[i].rfm_segment for i in ids] == ["Can't lose", "Champions", "Lost"]
    assert first.profit_segment == "High" and first.value_tier == "Gold"
    assert first.clv == Decimal("1234.57") and third.clv == Decimal("0.00")
    assert second.clv is None  # infinite: none
    assert first.expected_spend is None
    assert first.monetary == Decimal("10.01")
    assert second.revenue == Decimal("101.00") and second.profit == Decimal("101.00")
    assert first.p_alive == 0.25 and second.p_alive is None and third.p_alive == 1.0
    assert first.expected_purchases == 2.5
    assert first.cost_to_serve == Decimal("12.83")
    assert first.cost_breakdown == {"order": 12.5, "visit": 0.33}
    assert second.cost_breakdown == {}
    assert third.cost_breakdown == {"visit": 7.0}
    with connection.cursor() as cursor:  # the staging table is gone
        tables = connection.introspection.table_names(cursor)
    assert bulk.STAGING not in tables


def test_rerun_updates_in_place_and_removes_only_that_days_missing_accounts(
        admin, other_admin):
    accounts = [AccountFactory(actor=admin) for _ in range(3)]
    theirs = [AccountFactory(actor=other_admin) for _ in range(3)]
    org, other = admin.organization, other_admin.organization
    bulk.upsert_snapshots(organization_id=org.pk, as_of=DAY, columns=columns(accounts))
    bulk.upsert_snapshots(organization_id=org.pk, as_of=DAY - dt.timedelta(days=1),
                          columns=columns(accounts))
    bulk.upsert_snapshots(organization_id=other.pk, as_of=DAY, columns=columns(theirs))
    before = {a: s.pk for a, s in rows(org).items()}

    # Rerun for the same day: the first account is gone, the other two change.
    kept = sorted(accounts, key=lambda a: a.pk)[1:]
    written = bulk.upsert_snapshots(
        organization_id=org.pk, as_of=DAY,
        columns=columns(kept, rfm=["Lost", "New"], clv=[5.0, 6.0]))
    assert written == 2
    after = rows(org)
    assert sorted(after) == sorted(a.pk for a in kept)
    assert {a: s.pk for a, s in after.items()} == {a.pk: before[a.pk] for a in kept}  # updated
    assert [after[a.pk].rfm_segment for a in kept] == ["Lost", "New"]
    assert [after[a.pk].clv for a in kept] == [Decimal("5.00"), Decimal("6.00")]
    assert len(rows(org, DAY - dt.timedelta(days=1))) == 3  # another date: untouched
    assert len(rows(other)) == 3  # another organisation, same date: untouched

    # Nobody left for that day: every row of the day goes, nothing else.
    assert bulk.upsert_snapshots(organization_id=org.pk, as_of=DAY, columns=columns([])) == 0
    assert rows(org) == {}
    assert len(rows(org, DAY - dt.timedelta(days=1))) == 3 and len(rows(other)) == 3


def test_progress_is_reported_per_chunk(admin, monkeypatch):
    accounts = [AccountFactory(actor=admin) for _ in range(3)]
    monkeypatch.setattr(bulk, "CHUNK", 2)
    seen: list[float] = []
    bulk.upsert_snapshots(organization_id=admin.organization_id, as_of=DAY,
                          columns=columns(accounts), progress=seen.append)
    assert seen == [pytest.approx(2 / 3), 1.0]
    assert len(rows(admin.organization)) == 3


def test_recompute_stores_exactly_the_scores(admin, cdnow_transactions):
    """End to end through the product: every stored column equals the scoring arrays."""
    org = admin.organization
    accounts = [AccountFactory(actor=admin, name=f"Cliente {i:02d} SA") for i in range(40)]
    make_cdnow_orders(admin, accounts, cdnow_transactions, np.random.default_rng(3))
    with organization_scope(org):
        CostRate.objects.create(organization=org, driver="order", rate=Decimal("3.3333"))
        services.recompute(organization=org, as_of=AS_OF_1)
        window = AS_OF_2 - dt.timedelta(days=365)
        summary = services.customer_summary_sql(organization_id=org.pk, as_of=AS_OF_2,
                                                window_start=window)
        cogs = services.cost_of_goods(organization_id=org.pk, account_ids=summary.account,
                                      start=window, end=AS_OF_2)
        counts = services.driver_counts(organization_id=org.pk, account_ids=summary.account,
                                        start=window, end=AS_OF_2)
        scores = services.score(summary, as_of=AS_OF_2, cogs=cogs, counts=counts,
                                rates=services.cost_rates(org))
        services.recompute(organization=org, as_of=AS_OF_2)
    got = rows(org, AS_OF_2)
    assert sorted(got) == summary.account.tolist()
    cents = Decimal("0.01")
    for i, account in enumerate(summary.account.tolist()):
        snap = got[account]
        assert snap.first_purchase == EPOCH + dt.timedelta(days=int(summary.first_day[i]))
        assert snap.last_purchase == EPOCH + dt.timedelta(days=int(summary.last_day[i]))
        assert snap.frequency == summary.days[i] - 1
        assert snap.recency_days == scores.recency_days[i]
        assert (snap.r_score, snap.f_score, snap.m_score) == (
            scores.r[i], scores.f[i], scores.m[i])
        assert snap.rfm_segment == scores.segment[i]
        assert snap.value_tier == scores.value_tier[i]
        assert snap.profit_segment == scores.profit_segment[i]
        assert snap.p_alive == pytest.approx(scores.p_alive[i], rel=1e-12)
        assert snap.expected_purchases == pytest.approx(scores.expected_purchases[i], rel=1e-12)
        for field, values in (("clv", scores.clv), ("expected_spend", scores.expected_spend),
                              ("revenue", summary.revenue), ("profit", scores.profit)):
            assert abs(getattr(snap, field) - Decimal(float(values[i]))) <= cents / 2, field
        cost = scores.cost_by_driver[i]
        assert snap.cost_breakdown == {
            d: pytest.approx(round(c, 2)) for d, c in zip(drivers.names(), cost.tolist(),
                                                          strict=True) if c}
    assert len(rows(org, AS_OF_1)) > 0  # the earlier date is still there
