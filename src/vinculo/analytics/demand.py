"""Monthly demand per product and per top customer, forecast with ``forecast.forecast_demand``.

The series are built by aggregate SQL (one GROUP BY query per kind: product or account by
month of the order date), laid into a (series × months) matrix with zeros for the months
without orders, and forecast as a whole: the method is chosen per series by rolling-origin
backtest (see ``forecast.py``). Cancelled orders are left out, as everywhere in analytics.
Every function runs inside the caller's organisation scope.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.core.exceptions import ValidationError
from django.db.models import Sum
from django.db.models.functions import TruncMonth
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from vinculo.analytics.stats.forecast import METHODS, forecast_demand

DEFAULT_MONTHS = 24
DEFAULT_HORIZON = 3
MAX_HORIZON = 24
MIN_MONTHS, MAX_MONTHS = 6, 60
TOP_CUSTOMERS = 20

METHOD_LABELS = {
    "croston": gettext_lazy("Croston"),
    "sba": gettext_lazy("SBA (Croston, bias-corrected)"),
    "tsb": gettext_lazy("TSB (fades when sales stop)"),
    "seasonal_naive": gettext_lazy("Seasonal naive"),
}


def method_label(method: str, season_length: int) -> str:
    """The method's name for people; the seasonal naive with m = 1 is just 'last month'."""
    if method == "seasonal_naive" and season_length == 1:
        return _("Naive (last month)")
    return str(METHOD_LABELS.get(method, method))


def add_months(month: dt.date, n: int) -> dt.date:
    """The first day of the month ``n`` months after ``month`` (negative: before)."""
    index = month.year * 12 + month.month - 1 + n
    return dt.date(index // 12, index % 12 + 1, 1)


def window(as_of: dt.date, months: int) -> list[dt.date]:
    """First days of the ``months`` complete months up to ``as_of``.

    A month counts only once it is over (``as_of`` is its last day): a half-elapsed month
    would look like a drop in demand and drag every forecast down.
    """
    last = as_of.replace(day=1)
    if (as_of + dt.timedelta(days=1)).month == as_of.month:
        last = add_months(last, -1)
    return [add_months(last, k - months + 1) for k in range(months)]


@dataclass(frozen=True)
class Series:
    """One product's (or account's) monthly history and its forecast."""

    key: str  # the record's UUID
    code: str
    name: str
    method: str
    method_label: str
    mase: float | None
    candidates: dict[str, float | None]
    history: list[float]
    forecast: list[float]

    @property
    def total(self) -> float:
        return float(sum(self.history))


@dataclass(frozen=True)
class DemandForecast:
    """Forecasts of every series of one kind over a shared window of months."""

    as_of: dt.date
    months: list[dt.date]
    future: list[dt.date]
    horizon: int
    season_length: int
    series: list[Series] = field(default_factory=list)

    def get(self, key: str | None) -> Series | None:
        """The series of that UUID, else the biggest (the first), else None."""
        found = next((s for s in self.series if s.key == key), None)
        return found or (self.series[0] if self.series else None)


def _month(value: dt.date | dt.datetime) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def _matrix(rows: Any, months: list[dt.date]) -> tuple[list[tuple[str, str, str]], np.ndarray]:
    """(series identities, matrix) from aggregated (id, uuid, code, name, month, amount) rows."""
    column = {m: j for j, m in enumerate(months)}
    index: dict[int, int] = {}
    ids: list[tuple[str, str, str]] = []
    cells: list[tuple[int, int, float]] = []
    for pk, uuid, code, name, month, amount in rows:
        if pk not in index:
            index[pk] = len(ids)
            ids.append((str(uuid), code or "", name))
        cells.append((index[pk], column[_month(month)], float(amount or 0)))
    matrix = np.zeros((len(ids), len(months)))
    if cells:
        i, j, v = (np.asarray(c) for c in zip(*cells, strict=True))
        np.add.at(matrix, (i.astype(int), j.astype(int)), v)
    return ids, matrix


def season_length_for(matrix: np.ndarray) -> int:
    """12 with at least 24 months from the first month with any demand, else 1.

    Two full years are the least that lets the backtest compare a seasonal forecast with
    what happened a season later; with less, m = 1 (the plain naive) is the honest scale.
    """
    active = np.flatnonzero(matrix.sum(axis=0) > 0) if matrix.size else np.array([])
    span = matrix.shape[1] - int(active[0]) if active.size else 0
    return 12 if span >= 24 else 1


def _forecast(ids: list[tuple[str, str, str]], matrix: np.ndarray, months: list[dt.date],
              as_of: dt.date, horizon: int) -> DemandForecast:
    keep = matrix.sum(axis=1) > 0
    ids = [x for x, k in zip(ids, keep, strict=True) if k]
    matrix = matrix[keep]
    m = season_length_for(matrix)
    future = [add_months(months[-1], k + 1) for k in range(horizon)]
    out = DemandForecast(as_of=as_of, months=months, future=future, horizon=horizon,
                         season_length=m)
    if not ids:
        return out
    results = forecast_demand(matrix, horizon, season_length=m)
    assert isinstance(results, list)

    def finite(v: float) -> float | None:
        return float(v) if np.isfinite(v) else None

    for (key, code, name), history, r in zip(ids, matrix, results, strict=True):
        out.series.append(Series(
            key=key, code=code, name=name, method=r.method,
            method_label=method_label(r.method, m), mase=finite(r.mase[r.method]),
            candidates={k: finite(r.mase[k]) for k in METHODS},
            history=history.tolist(), forecast=[max(float(v), 0.0) for v in r.forecast]))
    out.series.sort(key=lambda s: (-s.total, s.code, s.name))
    return out


def product_demand_matrix(as_of: dt.date, months: int = DEFAULT_MONTHS,
                          product_ids: list[int] | None = None
                          ) -> tuple[list[tuple[str, str, str]], np.ndarray, list[dt.date]]:
    """((uuid, full code, name) per product, quantity matrix, months): one GROUP BY query.
    ``product_ids`` narrows it to those products (a supplier's, in the supplier portal)."""
    from vinculo.sales.models import OrderLine, OrderStatus

    cols = window(as_of, months)
    end = add_months(cols[-1], 1) - dt.timedelta(days=1)
    lines = OrderLine.objects.exclude(order__status=OrderStatus.CANCELLED)
    if product_ids is not None:
        lines = lines.filter(product_id__in=product_ids)
    rows = (lines
            .filter(product__isnull=False, order__ordered_on__gte=cols[0],
                    order__ordered_on__lte=end)
            .annotate(month=TruncMonth("order__ordered_on")).order_by()
            .values("product_id", "product__uuid", "product__full_code", "product__name", "month")
            .annotate(quantity=Sum("quantity"))
            .values_list("product_id", "product__uuid", "product__full_code", "product__name",
                         "month", "quantity"))
    ids, matrix = _matrix(rows, cols)
    return ids, matrix, cols


def customer_demand_matrix(as_of: dt.date, months: int = DEFAULT_MONTHS,
                           top: int = TOP_CUSTOMERS
                           ) -> tuple[list[tuple[str, str, str]], np.ndarray, list[dt.date]]:
    """((uuid, "", name) per account, net order amount matrix, months) for the ``top``
    accounts by net order amount in the window: one GROUP BY query (the top is a subquery)."""
    from vinculo.sales.models import Order, OrderStatus

    cols = window(as_of, months)
    end = add_months(cols[-1], 1) - dt.timedelta(days=1)
    orders = Order.objects.exclude(status=OrderStatus.CANCELLED).filter(
        ordered_on__gte=cols[0], ordered_on__lte=end).order_by()
    best = (orders.values("account_id").annotate(revenue=Sum("net_amount"))
            .filter(revenue__gt=0).order_by("-revenue", "account_id")
            .values("account_id")[:top])
    rows = (orders.filter(account_id__in=best).annotate(month=TruncMonth("ordered_on"))
            .values("account_id", "account__uuid", "account__name", "month")
            .annotate(amount=Sum("net_amount"))
            .values_list("account_id", "account__uuid", "account__name", "month", "amount"))
    ids, matrix = _matrix(((pk, uuid, "", name, month, amount)
                           for pk, uuid, name, month, amount in rows), cols)
    return ids, matrix, cols


def product_forecast(*, as_of: dt.date | None = None, months: int = DEFAULT_MONTHS,
                     horizon: int = DEFAULT_HORIZON,
                     product_ids: list[int] | None = None) -> DemandForecast:
    """Monthly quantity per product and its forecast; products without demand are left out."""
    as_of = as_of or dt.date.today()
    ids, matrix, cols = product_demand_matrix(as_of, months, product_ids)
    return _forecast(ids, matrix, cols, as_of, horizon)


def customer_forecast(*, as_of: dt.date | None = None, months: int = DEFAULT_MONTHS,
                      horizon: int = DEFAULT_HORIZON,
                      top: int = TOP_CUSTOMERS) -> DemandForecast:
    """Monthly order amount of the top customers by revenue, and its forecast."""
    as_of = as_of or dt.date.today()
    ids, matrix, cols = customer_demand_matrix(as_of, months, top)
    return _forecast(ids, matrix, cols, as_of, horizon)


def parameters(query: Mapping[str, Any]) -> dict[str, Any]:
    """``as_of``, ``months`` and ``horizon`` from a query string, checked.

    Raises ``ValidationError`` keyed by the parameter's name, so pages and the API can say
    which one is wrong instead of silently showing a different forecast.
    """
    errors: dict[str, str] = {}
    out: dict[str, Any] = {"as_of": dt.date.today(), "months": DEFAULT_MONTHS,
                           "horizon": DEFAULT_HORIZON}
    raw = query.get("as_of")
    if raw:
        try:
            out["as_of"] = dt.date.fromisoformat(raw)
        except ValueError:
            errors["as_of"] = _("Enter a date as YYYY-MM-DD.")
    for name, low, high in (("horizon", 1, MAX_HORIZON), ("months", MIN_MONTHS, MAX_MONTHS)):
        raw = query.get(name)
        if raw in (None, ""):
            continue
        try:
            value = int(raw)
        except (TypeError, ValueError):
            value = None
        if value is None or not low <= value <= high:
            errors[name] = _("A whole number from %(low)d to %(high)d.") % {
                "low": low, "high": high}
        else:
            out[name] = value
    if errors:
        raise ValidationError(errors)
    return out
