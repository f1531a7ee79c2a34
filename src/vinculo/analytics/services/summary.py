"""Each account's purchase history by aggregate SQL, and its cost of goods.

The database summarises the orders with one ``GROUP BY`` (never loading orders into Python);
the result is read in chunks into NumPy arrays aligned by ascending account id.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.db.models import F, Sum

from vinculo.core.cost_drivers import date_window

#: Days a week: models are fitted in weeks (well-scaled parameters, comparable to the papers).
UNIT_DAYS = 7.0


def add_by_account(out: np.ndarray, account_ids: np.ndarray, ids: np.ndarray,
                    values: np.ndarray) -> None:
    """out[i] += value for each (id, value) whose id is account_ids[i] (others ignored)."""
    if not account_ids.size:
        return
    pos = np.minimum(np.searchsorted(account_ids, ids), account_ids.size - 1)
    hit = account_ids[pos] == ids
    np.add.at(out, pos[hit], values[hit])


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

    Amounts are netted per account and order day: an issued credit note (a return through an
    RMA resolved by credit, or any credit of an order's invoice) counts, negative, on the day
    of the order it credits, as of its issue date. A day whose net is 0 or less because of
    such credits or negative orders is not a purchase; a free order (0, nothing negative)
    still is. Orders are counted for the "order" cost driver, credit notes are not.

    On SQLite the orders are read in table order (``NOT INDEXED``) and sorted: walking the
    (organisation, account, date) index fetches each order's row at random, five to ten
    times slower for a whole organisation's history.
    """
    from vinculo.billing.models import Invoice
    from vinculo.sales.models import Order

    table = connection.ops.quote_name(Order._meta.db_table)
    invoices = connection.ops.quote_name(Invoice._meta.db_table)
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
            SELECT account_id, {_day_number("ordered_on")} AS day, SUM(amount) AS amount,
                   CAST(ROUND(SUM(amount) * 100) AS BIGINT) AS cents, SUM(n) AS n
            FROM (
                SELECT account_id, ordered_on, net_amount AS amount, 1 AS n
                FROM {scan}
                WHERE organization_id = %s AND status <> %s AND ordered_on <= %s
                UNION ALL
                SELECT note.account_id, o.ordered_on, note.net_amount, 0
                FROM {invoices} note JOIN {table} o ON o.id = note.order_id
                WHERE note.organization_id = %s AND note.kind = %s AND note.status <> %s
                      AND note.issue_date <= %s AND o.status <> %s AND o.ordered_on <= %s
            ) amounts
            GROUP BY account_id, ordered_on
            HAVING SUM(amount) > 0 OR MIN(amount) >= 0
        ) per_day
        GROUP BY account_id
        ORDER BY account_id
    """


def customer_summary_sql(
    *, organization_id: int, as_of: dt.date, window_start: dt.date | None = None
) -> SqlSummary:
    """Run :func:`summary_sql` and read the result in chunks into NumPy arrays."""
    from vinculo.billing.models import InvoiceKind, InvoiceStatus
    from vinculo.sales.models import OrderStatus

    start = (window_start - dt.date(1970, 1, 1)).days if window_start else -(2**31)
    day = _date_param(as_of)
    params = [start, start, organization_id, OrderStatus.CANCELLED, day,
              organization_id, InvoiceKind.CREDIT_NOTE, InvoiceStatus.DRAFT, day,
              OrderStatus.CANCELLED, day]
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
        add_by_account(out, account_ids, np.asarray(ids, dtype=np.int64), np.asarray(values))
    return out
