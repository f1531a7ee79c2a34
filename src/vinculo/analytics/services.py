"""Recompute the analytical CRM: aggregate SQL → the pure library → bulk upsert of snapshots.

The nightly flow (``STYLE.md``, "Nightly analytics"): the database summarises each account's
purchase history with one ``GROUP BY`` (never loading orders into Python), the library fits
BG/NBD and Gamma-Gamma on the distinct (x, t_x, T) patterns, scores RFM, values each customer
(CLV as a net present value) and builds the customer P&L from cost of goods and an
activity-based cost to serve; the result is upserted as one dated snapshot per account.

The cost drivers are whatever the apps declare in their contracts (``drivers.py``): each
counter yields ``(account_id, count)`` pairs for a window of days (an aggregate query).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import connection, transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from vinculo.analytics import drivers
from vinculo.analytics.bulk import SnapshotColumns, upsert_snapshots
from vinculo.analytics.models import (
    AnalyticsRun,
    CostRate,
    RunStatus,
)
from vinculo.analytics.stats import costing, rfm
from vinculo.analytics.stats.bgnbd import BGNBD
from vinculo.analytics.stats.clv import customer_lifetime_value
from vinculo.analytics.stats.gamma_gamma import GammaGamma
from vinculo.core import events
from vinculo.core.cost_drivers import date_window
from vinculo.core.models import Organization, User
from vinculo.core.roles import role_has
from vinculo.core.services import PermissionDeniedError

Progress = Callable[[int, str], None]

#: Days a week: models are fitted in weeks (well-scaled parameters, comparable to the papers).
UNIT_DAYS = 7.0
#: Defaults stored with every run's parameters.
DEFAULTS: dict[str, Any] = {
    "horizon_months": 12,  # CLV and expected purchases look one year ahead
    "monthly_discount_rate": 0.01,  # ≈ 12.7 % a year
    "pnl_window_days": 365,  # the customer P&L covers the trailing year
}
#: A BG/NBD parameter above this means the fit did not identify the model.
DEGENERATE = 1e5

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
                _add_by_account(matrix[:, j], account_ids, pairs[:, 0].astype(np.int64),
                                pairs[:, 1])
    return matrix


def _add_by_account(out: np.ndarray, account_ids: np.ndarray, ids: np.ndarray,
                    values: np.ndarray) -> None:
    """out[i] += value for each (id, value) whose id is account_ids[i] (others ignored)."""
    if not account_ids.size:
        return
    pos = np.minimum(np.searchsorted(account_ids, ids), account_ids.size - 1)
    hit = account_ids[pos] == ids
    np.add.at(out, pos[hit], values[hit])


def cost_rates(organization: Organization) -> dict[str, float]:
    """The organisation's rate per driver (0 where none is set)."""
    rates = {driver: 0.0 for driver in drivers.names()}
    for driver, rate in CostRate.all_objects.filter(organization=organization).values_list(
        "driver", "rate"
    ):
        rates[driver] = float(rate)
    return rates


def cost_rate_set(
    *, organization: Organization, driver: str, rate: Decimal, actor: User
) -> CostRate:
    """Set what one unit of ``driver`` costs; the next recomputation uses it."""
    _require(actor, "analytics.manage")
    if driver not in drivers.names():
        raise ValidationError({"driver": _("Unknown cost driver %(driver)s.") % {"driver": driver}})
    if rate is None or Decimal(rate) < 0:
        raise ValidationError({"rate": _("A cost rate cannot be negative.")})
    obj, _created = CostRate.all_objects.update_or_create(
        organization=organization, driver=driver, defaults={"rate": Decimal(rate)}
    )
    return obj


def _require(actor: User | None, permission: str) -> None:
    if actor is not None and not role_has(actor.role, permission):
        raise PermissionDeniedError(permission)


# ---------------------------------------------------------------------------- SQL summary


@dataclass(frozen=True)
class SqlSummary:
    """Per-account purchase history from the database, daily grain, ordered by account id.

    ``first_day``/``last_day`` are day numbers (days since 1970-01-01), ``days`` the number of
    distinct purchase days, ``total`` the sum of net amounts, ``first_amount`` the first
    purchase day's total, ``revenue`` the part of ``total`` inside the P&L window and
    ``orders`` the number of orders in it (the "order" cost driver, counted in the same pass).
    """

    account: np.ndarray
    first_day: np.ndarray
    last_day: np.ndarray
    days: np.ndarray
    total: np.ndarray
    first_amount: np.ndarray
    revenue: np.ndarray
    orders: np.ndarray

    def __len__(self) -> int:
        return int(self.account.size)

    def for_model(self, as_of: dt.date, unit_days: float = UNIT_DAYS) -> dict[str, np.ndarray]:
        """frequency x, recency t_x, T (in ``unit_days``) and the mean repeat purchase."""
        end = (as_of - dt.date(1970, 1, 1)).days
        x = self.days - 1
        monetary = np.where(x > 0, (self.total - self.first_amount) / np.maximum(x, 1), 0.0)
        return {
            "frequency": x,
            "recency": (self.last_day - self.first_day) / unit_days,
            "T": (end - self.first_day) / unit_days,
            "monetary": monetary,
        }


def _day_number(expr: str) -> str:
    if connection.vendor == "postgresql":
        return f"(({expr}) - DATE '1970-01-01')"
    if connection.vendor == "sqlite":
        return f"(CAST(julianday({expr}) AS INTEGER) - 2440587)"
    # Vínculo runs on SQLite and PostgreSQL only (docs/architecture.md).
    raise ImproperlyConfigured(
        f"Analytics needs SQLite or PostgreSQL; this database is {connection.vendor}.")


# The first purchase day's total without a window function: per day, day * 2^46 + cents + 2^45
# orders (day, total) as one 62-bit integer, so its MIN per account holds the first day's
# total. A window over ten million per-day rows was the slowest step of the query.
_PACK, _HALF = 2**46, 2**45


def summary_sql() -> str:
    """The aggregate query: per (account, day) totals, then per account.

    On SQLite the orders are read in table order (``NOT INDEXED``) and sorted: walking the
    (organisation, account, date) index fetches each order's row at random, five to ten
    times slower for a whole organisation's history.
    """
    from vinculo.sales.models import Order

    table = connection.ops.quote_name(Order._meta.db_table)
    scan = f"{table} NOT INDEXED" if connection.vendor == "sqlite" else table
    return f"""
        SELECT account_id, MIN(day) AS first_day, MAX(day) AS last_day, COUNT(*) AS days,
               CAST(SUM(amount) AS DOUBLE PRECISION) AS total,
               MIN(day * {_PACK} + cents + {_HALF}) - MIN(day) * {_PACK} - {_HALF}
                   AS first_cents,
               CAST(SUM(CASE WHEN day > %s THEN amount ELSE 0 END)
                    AS DOUBLE PRECISION) AS revenue,
               CAST(SUM(CASE WHEN day > %s THEN n ELSE 0 END) AS BIGINT) AS orders
        FROM (
            SELECT account_id, {_day_number("ordered_on")} AS day, SUM(net_amount) AS amount,
                   CAST(ROUND(SUM(net_amount) * 100) AS BIGINT) AS cents, COUNT(*) AS n
            FROM {scan}
            WHERE organization_id = %s AND status <> %s AND ordered_on <= %s
            GROUP BY account_id, ordered_on
        ) per_day
        GROUP BY account_id
        ORDER BY account_id
    """


def customer_summary_sql(
    *, organization_id: int, as_of: dt.date, window_start: dt.date | None = None
) -> SqlSummary:
    """Run :func:`summary_sql` and read the result in chunks into NumPy arrays."""
    from vinculo.sales.models import OrderStatus

    start = (window_start - dt.date(1970, 1, 1)).days if window_start else -(2**31)
    params = [start, start, organization_id, OrderStatus.CANCELLED, _date_param(as_of)]
    chunks: list[np.ndarray] = []
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            # Let SQLite's sorter use a helper thread for the two GROUP BY sorts.
            cursor.execute("PRAGMA threads")
            threads = cursor.fetchone()[0]
            cursor.execute("PRAGMA threads = 2")
        try:
            cursor.execute(summary_sql(), params)
            while True:
                rows = cursor.fetchmany(100_000)
                if not rows:
                    break
                chunks.append(np.array(rows, dtype=float).reshape(len(rows), 8))
        finally:
            if connection.vendor == "sqlite":
                cursor.execute(f"PRAGMA threads = {int(threads)}")
    data = np.concatenate(chunks) if chunks else np.zeros((0, 8))
    ints = data[:, [0, 1, 2, 3, 7]].astype(np.int64)
    return SqlSummary(
        account=ints[:, 0], first_day=ints[:, 1], last_day=ints[:, 2], days=ints[:, 3],
        total=data[:, 4], first_amount=data[:, 5] / 100.0, revenue=data[:, 6],
        orders=ints[:, 4],
    )


def _date_param(value: dt.date) -> Any:
    return value.isoformat() if connection.vendor == "sqlite" else value


def cost_of_goods(
    *, organization_id: int, account_ids: np.ndarray, start: dt.date | None, end: dt.date
) -> np.ndarray:
    """Σ quantity × product cost price of the order lines in (start, end], per account."""
    from vinculo.sales.models import OrderLine, OrderStatus

    qs = OrderLine.all_objects.filter(
        organization_id=organization_id, product__isnull=False
    ).exclude(order__status=OrderStatus.CANCELLED)
    qs = date_window(qs, "order__ordered_on", start, end)
    rows = (qs.order_by().values("order__account_id")
            .annotate(cogs=Sum(F("quantity") * F("product__cost_price")))
            .values_list("order__account_id", "cogs"))
    out = np.zeros(account_ids.size)
    pairs = [(account_id, float(cogs or 0)) for account_id, cogs in rows]
    if pairs:
        ids, values = zip(*pairs, strict=True)
        _add_by_account(out, account_ids, np.asarray(ids, dtype=np.int64), np.asarray(values))
    return out


# ---------------------------------------------------------------------------- scoring


@dataclass
class Scores:
    """Everything a snapshot row holds, as arrays aligned with ``SqlSummary.account``."""

    summary: SqlSummary
    recency_days: np.ndarray
    r: np.ndarray
    f: np.ndarray
    m: np.ndarray
    segment: np.ndarray
    p_alive: np.ndarray | None
    expected_purchases: np.ndarray | None
    expected_spend: np.ndarray | None
    clv: np.ndarray | None
    cost_of_goods: np.ndarray
    cost_by_driver: np.ndarray
    profit: np.ndarray
    profit_segment: np.ndarray
    value_tier: np.ndarray
    parameters: dict[str, Any]


def value_tiers(clv: np.ndarray | None, profit: np.ndarray) -> np.ndarray:
    """Customer pyramid (Zeithaml, Rust & Lemon 2001) on CLV: Platinum = top 5 %, Gold = next
    15 %, Iron = the rest; Lead = loss-making today (profit < 0) whatever their CLV."""
    n = profit.size
    value = clv if clv is not None else profit
    tiers = np.full(n, "Iron", dtype=object)
    if n:
        rank = np.empty(n, dtype=np.int64)
        rank[np.lexsort((np.arange(n), -value))] = np.arange(n)
        tiers[rank < math.ceil(0.20 * n)] = "Gold"
        tiers[rank < math.ceil(0.05 * n)] = "Platinum"
        tiers[profit < 0] = "Lead"
    return tiers.astype(str)


def score(
    summary: SqlSummary,
    *,
    as_of: dt.date,
    cogs: np.ndarray,
    counts: np.ndarray,
    rates: dict[str, float],
    horizon_months: int = DEFAULTS["horizon_months"],
    monthly_discount_rate: float = DEFAULTS["monthly_discount_rate"],
    progress: Progress | None = None,
) -> Scores:
    """Fit the models and score every customer (pure NumPy/SciPy on the SQL summary)."""
    tick = progress or (lambda pct, step: None)
    params: dict[str, Any] = {
        "unit": "week",
        "horizon_months": horizon_months,
        "monthly_discount_rate": monthly_discount_rate,
        "rates": rates,
    }
    s = summary.for_model(as_of)
    x, tx, T, monetary = s["frequency"], s["recency"], s["T"], s["monetary"]
    end = (as_of - dt.date(1970, 1, 1)).days
    recency_days = end - summary.last_day

    # RFM: R = days since last purchase, F = repeat purchase days, M = mean spend per day.
    mean_day = summary.total / np.maximum(summary.days, 1)
    scores = rfm.rfm_scores(recency_days, x, mean_day)
    tick(30, "rfm")

    p_alive = expected = spend = clv = None
    if len(summary) and (x > 0).any():
        try:
            bg = BGNBD.fit(x, tx, T)
            params["bgnbd"] = {**bg.params, "log_likelihood": bg.log_likelihood}
            if max(bg.params.values()) > DEGENERATE:
                # Parameters running off to infinity: the data show no heterogeneity or no
                # drop-out (too few or too regular customers). Predictions from such a fit are
                # meaningless and its 2F1 series is very slow, so none are stored.
                raise ValueError("degenerate fit: parameters diverge; too little history")
            p_alive = bg.probability_alive(x, tx, T)
            horizon = horizon_months * 365.25 / 12 / UNIT_DAYS
            expected = bg.conditional_expected_purchases(horizon, x, tx, T)
        except (ValueError, FloatingPointError, np.linalg.LinAlgError) as exc:
            params["bgnbd"] = {**params.get("bgnbd", {}), "error": str(exc)}
            bg = p_alive = expected = None
        tick(45, "bgnbd")
        try:
            gg = GammaGamma.fit(x, monetary)
            params["gamma_gamma"] = {**gg.params, "log_likelihood": gg.log_likelihood}
            if gg.q <= 1:
                raise ValueError("q <= 1: the population mean spend is infinite")
            spend = gg.conditional_expected_spend(x, monetary)
        except (ValueError, FloatingPointError, np.linalg.LinAlgError) as exc:
            params.setdefault("gamma_gamma", {})["error"] = str(exc)
            spend = mean_day  # fall back on each customer's own mean spend per purchase day
        tick(55, "gamma_gamma")
        if bg is not None:
            revenue = float(summary.revenue.sum())
            margin = 1.0 if revenue <= 0 else min(max(1 - float(cogs.sum()) / revenue, 0.0), 1.0)
            params["margin_rate"] = margin
            clv = customer_lifetime_value(
                bg, x, tx, T, spend, margin=margin, periods=horizon_months,
                period_length=365.25 / 12 / UNIT_DAYS, discount_rate=monthly_discount_rate,
            )
    else:
        params["bgnbd"] = {"error": "no repeat purchases yet"}
    tick(60, "clv")

    names = drivers.names()
    cost = costing.cost_to_serve(counts, rates, names)
    pnl = costing.customer_pnl(summary.account, summary.revenue, cogs, cost, names)
    profit = pnl.profit
    tick(65, "pnl")
    return Scores(
        summary=summary, recency_days=recency_days, r=scores.recency, f=scores.frequency,
        m=scores.monetary, segment=scores.segment, p_alive=p_alive,
        expected_purchases=expected, expected_spend=spend, clv=clv, cost_of_goods=cogs,
        cost_by_driver=cost, profit=profit,
        profit_segment=costing.profitability_segments(profit),
        value_tier=value_tiers(clv, profit), parameters=params,
    )


# ---------------------------------------------------------------------------- writing


def snapshot_columns(as_of: dt.date, scores: Scores) -> SnapshotColumns:
    """The snapshot table's columns as arrays (what ``bulk.upsert_snapshots`` writes)."""
    s = scores.summary
    n = len(s)
    none = np.full(n, np.nan)
    end = (as_of - dt.date(1970, 1, 1)).days
    return SnapshotColumns(
        account=s.account,
        days={"first_purchase": s.first_day, "last_purchase": s.last_day},
        counts={"recency_days": scores.recency_days, "frequency": s.days - 1,
                "T": end - s.first_day, "r_score": scores.r, "f_score": scores.f,
                "m_score": scores.m},
        labels={"rfm_segment": scores.segment, "profit_segment": scores.profit_segment,
                "value_tier": scores.value_tier},
        money={"monetary": s.for_model(as_of)["monetary"],
               "expected_spend": none if scores.expected_spend is None else scores.expected_spend,
               "clv": none if scores.clv is None else scores.clv,
               "revenue": s.revenue, "cost_of_goods": scores.cost_of_goods,
               "cost_to_serve": scores.cost_by_driver.sum(axis=1), "profit": scores.profit},
        floats={"p_alive": none if scores.p_alive is None else scores.p_alive,
                "expected_purchases": (none if scores.expected_purchases is None
                                       else scores.expected_purchases)},
        drivers=drivers.names(),
        breakdown=scores.cost_by_driver,
    )


def write_snapshots(
    *, organization_id: int, as_of: dt.date, scores: Scores, progress: Progress | None = None
) -> int:
    """Upsert one snapshot per account for ``as_of``; accounts without purchases any more lose
    their row for that date (a rerun), older dates are kept (``bulk.upsert_snapshots``)."""
    tick = progress or (lambda pct, step: None)
    written = upsert_snapshots(
        organization_id=organization_id, as_of=as_of, columns=snapshot_columns(as_of, scores),
        progress=lambda fraction: tick(70 + int(29 * fraction), "write"),
    )
    tick(99, "write")
    return written


# ---------------------------------------------------------------------------- recompute


def recompute(
    *,
    organization: Organization,
    as_of: dt.date,
    progress: Progress | None = None,
    horizon_months: int = DEFAULTS["horizon_months"],
    monthly_discount_rate: float = DEFAULTS["monthly_discount_rate"],
    pnl_window_days: int = DEFAULTS["pnl_window_days"],
) -> dict[str, Any]:
    """Recompute and store every customer's snapshot for ``as_of``; return the run summary.

    ``progress(percent, step)`` is called as the work advances. The heavy reading is aggregate
    SQL; memory grows with the number of customers, not of orders.
    """
    tick = progress or (lambda pct, step: None)
    org_id = organization.pk
    window_start = as_of - dt.timedelta(days=pnl_window_days)
    tick(2, "summary")
    summary = customer_summary_sql(organization_id=org_id, as_of=as_of, window_start=window_start)
    tick(20, "summary")
    cogs = cost_of_goods(organization_id=org_id, account_ids=summary.account,
                         start=window_start, end=as_of)
    counts = driver_counts(organization_id=org_id, account_ids=summary.account,
                           start=window_start, end=as_of, known={"order": summary.orders})
    tick(25, "costs")
    scores = score(
        summary, as_of=as_of, cogs=cogs, counts=counts, rates=cost_rates(organization),
        horizon_months=horizon_months, monthly_discount_rate=monthly_discount_rate,
        progress=tick,
    )
    scores.parameters["pnl_window_days"] = pnl_window_days
    tick(70, "write")
    written = write_snapshots(organization_id=org_id, as_of=as_of, scores=scores, progress=tick)
    return {"customers": written, "parameters": _json_safe(scores.parameters)}


def _json_safe(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, float | np.floating):
        return float(value) if math.isfinite(value) else None
    return value


def analytics_run_start(
    *, organization: Organization, as_of: dt.date | None = None, actor: User | None = None
) -> AnalyticsRun:
    """Queue a recomputation; the task starts once this transaction commits.

    A run already waiting or running for the organisation is returned instead of a second one.
    """
    _require(actor, "analytics.run")
    with transaction.atomic():
        active = (AnalyticsRun.all_objects.select_for_update()
                  .filter(organization=organization,
                          status__in=[RunStatus.PENDING, RunStatus.RUNNING]).first())
        if active is not None:
            return active
        run = AnalyticsRun.all_objects.create(
            organization=organization, as_of=as_of or timezone.localdate(), requested_by=actor
        )
        from vinculo.analytics.tasks import analytics_recompute

        transaction.on_commit(lambda: analytics_recompute.enqueue(run.pk))
    return run


def analytics_run_execute(run: AnalyticsRun) -> AnalyticsRun:
    """Run ``recompute`` for ``run``, saving its progress as it goes (task and command)."""
    manager = AnalyticsRun.all_objects
    manager.filter(pk=run.pk).update(
        status=RunStatus.RUNNING, started_at=timezone.now(), progress=1, error=""
    )
    last = [-1]

    def progress(pct: int, step: str) -> None:
        if pct != last[0]:
            last[0] = pct
            manager.filter(pk=run.pk).update(progress=min(pct, 99), step=step)

    try:
        result = recompute(organization=run.organization, as_of=run.as_of, progress=progress)
    except Exception as exc:
        manager.filter(pk=run.pk).update(
            status=RunStatus.FAILED, finished_at=timezone.now(),
            error=f"{type(exc).__name__}: {exc}",
        )
        raise
    manager.filter(pk=run.pk).update(
        status=RunStatus.DONE, progress=100, step="", finished_at=timezone.now(),
        customers=result["customers"], parameters=result["parameters"],
    )
    run.refresh_from_db()
    events.publish("snapshot.recomputed", record=run, actor=run.requested_by, data={
        "as_of": run.as_of.isoformat(), "customers": run.customers})
    return run
