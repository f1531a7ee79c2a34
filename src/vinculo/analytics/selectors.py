"""Reads of the analytical CRM: everything the dashboard, the 360° panel and the API show.

Dashboards read the dated snapshots written by ``services.recompute`` (not the orders), except
the few indicators that are cheap aggregate queries (retention by month, on-time delivery).
All functions run inside the caller's organisation scope.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np
from django.db.models import Avg, Count, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from vinculo.analytics import drivers
from vinculo.analytics.models import (
    PROFIT_SEGMENTS,
    SEGMENT_LABELS,
    VALUE_TIERS,
    AnalyticsRun,
    CustomerSnapshot,
    RunStatus,
)
from vinculo.analytics.stats import costing, migration, rfm
from vinculo.analytics.stats.sbg import ShiftedBetaGeometric
from vinculo.analytics.stats.uncertainty import DEFAULT_LEVEL
from vinculo.customers.models import Account

#: "High-value customers at risk", defined once: customers who bought often and for much and
#: have stopped — RFM *At risk* or *Can't lose* (R in the bottom two fifths, F and M high) —
#: and whose spend (M score) is in the top two fifths. Not the value tier: tiers rank the
#: CLV, which already discounts a customer who stopped buying, so hardly anyone at risk is
#: Platinum or Gold. The home page's key figure counts it (``high_value_at_risk``) and the
#: segment of the same name is built from it (``segments.selectors.
#: high_value_at_risk_rule``), so the two always agree.
AT_RISK_SEGMENTS = ("At risk", "Can't lose")
HIGH_VALUE_M_SCORE = 4


def high_value_at_risk() -> Q:
    """The snapshot rows of high-value customers at risk (see ``AT_RISK_SEGMENTS``)."""
    return Q(rfm_segment__in=AT_RISK_SEGMENTS, m_score__gte=HIGH_VALUE_M_SCORE)


def label(name: str) -> str:
    """Translated label of a segment or tier name stored in English."""
    return str(SEGMENT_LABELS.get(name, name))


def latest_run() -> AnalyticsRun | None:
    return AnalyticsRun.objects.order_by("-created_at", "-id").first()


def contract_models(run: AnalyticsRun | None) -> dict[str, Any] | None:
    """What the run's contract model (sBG, ``services.contractual``) found, for the page:
    each term length's fit with its mean churn probability per renewal in %."""
    info = (run.parameters or {}).get("contracts") if run is not None else None
    if not info:
        return None
    fits = []
    for fit in info.get("fits", []):
        p = fit.get("sbg") or {}
        # the first renewal's churn, P(T = 1) = gamma / (gamma + delta): the model says it
        mean = (100 * float(ShiftedBetaGeometric(p["gamma"], p["delta"]).churn_probability(1))
                if p.get("gamma") and p.get("delta") else None)
        fits.append({**fit, "mean_churn": mean})
    return {**info, "fits": fits}


def purchase_drivers(run: AnalyticsRun | None) -> dict[str, Any] | None:
    """The run's covariate fit (``services.covariates``) laid out for "What drives purchasing
    and drop-out": per attribute its label and reference level, per level its rows (one per
    process) and mean drop-out probability, with the codes turned into the words people read."""
    info = (run.parameters or {}).get("covariates") if run is not None else None
    if not info:
        return None
    if info.get("error"):
        return {"error": info["error"]}
    from vinculo.analytics.services.covariates import NOT_SET, OTHER

    def level_label(attribute: str, code: str) -> str:
        if code == NOT_SET:
            return str(_("not set"))
        if code == OTHER:
            return str(_("other (small groups)"))
        field: Any = Account._meta.get_field(attribute)
        return str(dict(field.choices or ()).get(code, code))

    processes = {"purchase": _("purchase rate"), "dropout_a": _("drop-out a"),
                 "dropout_b": _("drop-out b")}
    attributes = []
    for name in info.get("attributes", []):
        levels: dict[str, dict[str, Any]] = {}
        for e in info["effects"]:
            if e["covariate"] != name:
                continue
            row = levels.setdefault(e["key"], {
                "label": level_label(name, e["level"]), "customers": e["customers"],
                "mean_dropout": info["mean_dropout"].get(e["key"]), "rows": [],
                "dropout_identified": True})
            lo, hi = e["interval"]
            row["rows"].append({**e, "process_label": processes[e["process"]],
                                "lower": lo, "upper": hi,
                                "identified": e.get("identified", lo is not None)})
            if e["process"] != "purchase" and not row["rows"][-1]["identified"]:
                row["dropout_identified"] = False
        attributes.append({
            "label": _attribute_label(name),
            "reference": level_label(name, info["reference"].get(name, "")),
            "levels": list(levels.values())})
    lr = info.get("likelihood_ratio") or {}
    return {"attributes": attributes, "reference_dropout": info["mean_dropout"]["reference"],
            "interval_level": round(100 * info.get("interval_level", 0.9)),
            "p_value": lr.get("p_value"), "df": lr.get("df"),
            "sample": info.get("sample"), "customers_total": info.get("customers_total"),
            "converged": info.get("converged", True),
            "unidentified": sum(1 for e in info["effects"] if not e.get("identified", True)),
            "skipped": [_attribute_label(n) for n in info.get("skipped", [])]}


def _attribute_label(name: str) -> str:
    field: Any = Account._meta.get_field(name)
    return str(capfirst(str(field.verbose_name)))


def latest_done_run() -> AnalyticsRun | None:
    """The newest finished run: its parameters say which model scored the snapshots."""
    return (AnalyticsRun.objects.filter(status=RunStatus.DONE)
            .order_by("-created_at", "-id").first())


def snapshot_dates() -> list[dt.date]:
    """Dates of finished runs that have snapshots, newest first."""
    done = set(AnalyticsRun.objects.filter(status=RunStatus.DONE).values_list("as_of", flat=True))
    dates = CustomerSnapshot.objects.order_by("-as_of").values_list("as_of", flat=True).distinct()
    return [d for d in dates if d in done]


def current_date() -> dt.date | None:
    dates = snapshot_dates()
    return dates[0] if dates else None


def snapshots(as_of: dt.date) -> QuerySet:
    return CustomerSnapshot.objects.filter(as_of=as_of)


def account_snapshots(account: Account, *, limit: int = 24) -> QuerySet:
    return CustomerSnapshot.objects.filter(account=account).order_by("-as_of")[:limit]


# ---------------------------------------------------------------------------- segments


def segment_sizes(as_of: dt.date) -> list[dict[str, Any]]:
    """Customers, CLV, revenue and profit per RFM segment, in the segment grid's order."""
    rows = {
        r["rfm_segment"]: r
        for r in snapshots(as_of).order_by().values("rfm_segment").annotate(
            customers=Count("id"), clv=Sum("clv"), revenue=Sum("revenue"), profit=Sum("profit"),
            p_alive=Avg("p_alive"),
        )
    }
    out = []
    for name in [*rfm.SEGMENT_ORDER, *sorted(set(rows) - set(rfm.SEGMENT_ORDER))]:
        if name in rows:
            r = rows[name]
            out.append({
                "segment": name, "label": label(name), "customers": r["customers"],
                "clv": r["clv"] or Decimal(0), "revenue": r["revenue"] or Decimal(0),
                "profit": r["profit"] or Decimal(0), "p_alive": r["p_alive"],
            })
    return out


def tier_sizes(as_of: dt.date, field: str = "value_tier") -> list[dict[str, Any]]:
    """Customers, CLV and profit per value tier (or per profitability segment)."""
    order = VALUE_TIERS if field == "value_tier" else PROFIT_SEGMENTS
    rows = {r[field]: r for r in snapshots(as_of).order_by().values(field).annotate(
        customers=Count("id"), clv=Sum("clv"), profit=Sum("profit"), revenue=Sum("revenue"))}
    return [{"name": n, "label": label(n), "customers": rows[n]["customers"],
             "clv": rows[n]["clv"] or Decimal(0), "profit": rows[n]["profit"] or Decimal(0),
             "revenue": rows[n]["revenue"] or Decimal(0)} for n in order if n in rows]


@dataclass(frozen=True)
class Migration:
    date_1: dt.date
    date_2: dt.date
    rows: list[str]
    columns: list[str]
    counts: list[list[int]]

    @property
    def labelled(self) -> list[tuple[str, list[int], int]]:
        return [(label(r), c, sum(c)) for r, c in zip(self.rows, self.counts, strict=True)]

    @property
    def column_labels(self) -> list[str]:
        return [label(c) for c in self.columns]


def migration_between(date_1: dt.date, date_2: dt.date) -> Migration:
    """Segment migration matrix between two snapshot dates (conserves customers)."""
    a = np.array(list(snapshots(date_1).order_by().values_list("account_id", "rfm_segment")),
                 dtype=object).reshape(-1, 2)
    b = np.array(list(snapshots(date_2).order_by().values_list("account_id", "rfm_segment")),
                 dtype=object).reshape(-1, 2)
    m = migration.migration_matrix(
        a[:, 0].astype(np.int64), a[:, 1].astype(str), b[:, 0].astype(np.int64),
        b[:, 1].astype(str), order=rfm.SEGMENT_ORDER,
    )
    rows = [{"(new)": _("(new)")}.get(r, r) for r in m.rows]
    cols = [{"(gone)": _("(gone)")}.get(c, c) for c in m.columns]
    return Migration(date_1, date_2, rows, cols, m.counts.tolist())


# ---------------------------------------------------------------------------- distributions


def _array(as_of: dt.date, field: str) -> np.ndarray:
    values = snapshots(as_of).exclude(**{f"{field}__isnull": True}).order_by().values_list(
        field, flat=True)
    return np.fromiter((float(v) for v in values.iterator(chunk_size=20000)), dtype=float)


def histogram(as_of: dt.date, field: str, *, bins: int = 20) -> list[dict[str, Any]]:
    """Counts of customers per bin of ``field`` (quantile-clipped at 99 % for readability)."""
    values = _array(as_of, field)
    if not values.size:
        return []
    hi = float(np.quantile(values, 0.99))
    lo = float(values.min())
    if hi <= lo:
        hi = lo + 1
    counts, edges = np.histogram(np.clip(values, lo, hi), bins=bins, range=(lo, hi))
    return [{"from": round(float(edges[i]), 2), "to": round(float(edges[i + 1]), 2),
             "customers": int(c)} for i, c in enumerate(counts)]


def whale(as_of: dt.date, *, points: int = 101) -> dict[str, Any]:
    """Whale curve of profit: cumulative profit % against the share of customers."""
    profit = _array(as_of, "profit")
    if not profit.size:
        return {"points": [], "peak": None, "peak_share": None, "customers": 0}
    curve = costing.whale_curve(profit)
    idx = np.unique(np.linspace(0, profit.size, min(points, profit.size + 1)).round().astype(int))
    pts = [{"share": round(float(curve.customer_share[i]) * 100, 2),
            "profit_pct": (None if not np.isfinite(curve.cumulative_profit_pct[i])
                           else round(float(curve.cumulative_profit_pct[i]), 2))} for i in idx]
    return {"points": pts, "peak": round(curve.peak, 2), "peak_share": round(
        curve.peak_share * 100, 2), "customers": int(profit.size),
        "total_profit": round(float(profit.sum()), 2)}


def top_customers(as_of: dt.date, *, by: str = "clv", limit: int = 20) -> list[dict[str, Any]]:
    if by not in ("clv", "profit"):
        raise ValueError("by must be 'clv' or 'profit'")
    rows = (snapshots(as_of).exclude(**{f"{by}__isnull": True}).order_by(f"-{by}", "account_id")
            .values("account__uuid", "account__name", "clv", "profit", "revenue", "rfm_segment",
                    "p_alive", "value_tier")[:limit])
    return [{**r, "segment_label": label(r["rfm_segment"]), "tier_label": label(r["value_tier"])}
            for r in rows]


def totals(as_of: dt.date) -> dict[str, Any]:
    agg = snapshots(as_of).aggregate(
        customers=Count("id"), clv=Sum("clv"), revenue=Sum("revenue"), profit=Sum("profit"),
        cost_to_serve=Sum("cost_to_serve"), cost_of_goods=Sum("cost_of_goods"),
        alive=Avg("p_alive"), active=Count("id", filter=Q(p_alive__gte=0.5)),
    )
    return agg


# ---------------------------------------------------------------------------- live aggregates


def retention_by_month(*, months: int = 24, as_of: dt.date | None = None) -> list[dict[str, Any]]:
    """Active customers per month, retained from the previous month, retention and churn.

    Aggregate SQL: distinct (account, month) pairs of non-cancelled orders, then the share of
    last month's buyers who bought again. Only the last ``months`` complete months are
    returned: the month of ``as_of`` counts only when ``as_of`` is its last day, since a
    month under way would show as a fall in retention and a rise in churn.
    """
    from vinculo.sales.models import Order, OrderStatus

    end = as_of or dt.date.today()
    if (end + dt.timedelta(days=1)).month == end.month:
        end = end.replace(day=1) - dt.timedelta(days=1)  # the last complete month
    start = (end.replace(day=1) - dt.timedelta(days=31 * months)).replace(day=1)
    pairs = (Order.objects.exclude(status=OrderStatus.CANCELLED)
             .filter(ordered_on__gte=start, ordered_on__lte=end).order_by()
             .annotate(month=TruncMonth("ordered_on")).values_list("account_id", "month")
             .distinct())
    by_month: dict[dt.date, set[int]] = {}
    for account_id, month in pairs.iterator(chunk_size=20000):
        key = month.date() if isinstance(month, dt.datetime) else month
        by_month.setdefault(key, set()).add(account_id)
    out = []
    previous: set[int] | None = None
    month = start
    while month <= end:
        active = by_month.get(month, set())
        if previous is not None:
            retained = len(active & previous)
            rate = retained / len(previous) if previous else None
            out.append({"month": month, "active": len(active), "retained": retained,
                        "retention": None if rate is None else round(rate * 100, 1),
                        "churn": None if rate is None else round((1 - rate) * 100, 1)})
        previous = active
        month = (month + dt.timedelta(days=32)).replace(day=1)
    return out[-months:]


def delivery_service(*, as_of: dt.date | None = None, days: int = 365,
                     user: Any = None) -> dict[str, Any]:
    """On-time delivery and fill rates of the orders promised in the trailing ``days``.

    The indicators are the sales app's (``sales.documents.selectors.delivery_indicators``),
    the same the service-levels page shows, so both pages agree on the same orders.
    """
    from vinculo.sales.documents.selectors import delivery_indicators

    end = as_of or dt.date.today()
    return delivery_indicators(on=end, since=end - dt.timedelta(days=days), user=user)


# ---------------------------------------------------------------------------- 360° panel


def customer_panel(account: Account) -> dict[str, Any] | None:
    """The account's latest snapshot, laid out for the 360° page (None before any run)."""
    snap = CustomerSnapshot.objects.filter(account=account).order_by("-as_of").first()
    if snap is None:
        return None
    revenue = snap.revenue or Decimal(0)

    def pct(v: Decimal) -> float | None:
        return round(float(100 * v / revenue), 1) if revenue else None

    gross = revenue - snap.cost_of_goods
    names = drivers.labels()
    statement = [
        {"label": _("Revenue"), "amount": revenue, "pct": pct(revenue), "kind": "total"},
        {"label": _("Cost of goods"), "amount": -snap.cost_of_goods,
         "pct": pct(-snap.cost_of_goods), "kind": "line"},
        {"label": _("Gross margin"), "amount": gross, "pct": pct(gross), "kind": "subtotal"},
    ]
    for driver in drivers.names():
        value = snap.cost_breakdown.get(driver)
        if value:
            amount = -Decimal(str(value))
            statement.append({"label": names.get(driver, driver), "amount": amount,
                              "pct": pct(amount), "kind": "detail"})
    statement += [
        {"label": _("Cost to serve"), "amount": -snap.cost_to_serve,
         "pct": pct(-snap.cost_to_serve), "kind": "line"},
        {"label": _("Profit"), "amount": snap.profit, "pct": pct(snap.profit), "kind": "total"},
    ]
    history = [{**row, "segment_label": label(row["rfm_segment"])}
               for row in CustomerSnapshot.objects.filter(account=account).order_by("-as_of")
               .values("as_of", "rfm_segment", "clv", "p_alive")[:6]]
    return {
        "snapshot": snap, "segment_label": label(snap.rfm_segment),
        "tier_label": label(snap.value_tier), "profit_label": label(snap.profit_segment),
        "statement": statement, "history": history, **_panel_intervals(snap),
    }


def _panel_intervals(snap: CustomerSnapshot) -> dict[str, Any]:
    """The snapshot's intervals as the panel writes them, and their level in % (from the run
    that wrote the date; 90 % by default). A bound is shown with as many decimals as its
    width deserves: none once the interval spans 10 units or more (a CLV of 3.844,12 €
    between 2.910 and 4.800), two below that."""
    intervals: dict[str, Any] = {}
    for name in ("p_alive", "expected_purchases", "clv"):
        lower, upper = getattr(snap, f"{name}_lower"), getattr(snap, f"{name}_upper")
        if lower is not None and upper is not None and getattr(snap, name) is not None:
            wide = name != "p_alive" and float(upper) - float(lower) >= 10
            intervals[name] = {"lower": lower, "upper": upper, "decimals": 0 if wide else 2}
    if not intervals:
        return {"intervals": {}}
    level = (AnalyticsRun.objects.filter(as_of=snap.as_of, status=RunStatus.DONE)
             .order_by("-finished_at").values_list("parameters__interval_level", flat=True)
             .first())
    if not isinstance(level, int | float):
        level = DEFAULT_LEVEL
    return {"intervals": intervals, "interval_level": round(100 * level)}
