"""Activity-based cost to serve and customer profitability.

Revenue and gross margin hide what a customer costs to serve: many small orders, returns,
tickets and visits can make a large account unprofitable. Each activity driver has a cost rate
per unit (per order, per delivery, per handling minute, ...); a customer's cost to serve is the
driver-count matrix times the rate vector. The customer P&L then reads like an income
statement, and the whale curve shows how a few customers earn more than 100 % of the profit
while the tail gives part of it back (Kaplan & Cooper, "Cost & Effect", 1998).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt


def cost_to_serve(
    counts: npt.ArrayLike,
    rates: Mapping[str,
    float] | npt.ArrayLike,
    drivers: Sequence[str] | None = None,
) -> np.ndarray:
    """Cost per customer and driver, shape (customers, drivers): counts x rate.

    ``counts`` is a (customers, drivers) array in ``drivers`` order, or a mapping
    driver -> per-customer counts; ``rates`` a mapping driver -> rate or an array in
    ``drivers`` order. Drivers missing from a mapping count as 0. Without ``drivers``, a
    mapping of counts gives the order (then the rates' drivers it lacks). Sum over axis 1 (or
    use ``counts @ rates``) for the total.
    """
    if drivers is None:
        if isinstance(counts, Mapping):
            drivers = [*counts, *(d for d in rates if d not in counts)] if isinstance(
                rates, Mapping) else list(counts)
        elif isinstance(rates, Mapping):
            raise ValueError("rates by driver name need the drivers' order (drivers=…)")
        else:
            drivers = [f"driver_{j}" for j in range(np.asarray(rates).size)]
    names = list(drivers)
    if isinstance(counts, Mapping):
        n = len(next(iter(counts.values()))) if counts else 0
        matrix = (
            np.column_stack([np.asarray(counts.get(d, np.zeros(n)), dtype=float) for d in names])
            if names
            else np.zeros((n, 0))
        )
    else:
        matrix = np.asarray(counts, dtype=float)
    if isinstance(rates, Mapping):
        unknown = set(rates) - set(names)
        if unknown:
            raise ValueError(f"rates for unknown drivers: {sorted(unknown)}")
        rate = np.array([float(rates.get(d, 0.0)) for d in names])
    else:
        rate = np.asarray(rates, dtype=float)
    if matrix.ndim != 2 or matrix.shape[1] != rate.size:
        raise ValueError("counts must be (customers, drivers) matching the rates")
    return matrix * rate


@dataclass(frozen=True)
class Statement:
    """An income statement: ordered (line, amount, % of revenue) rows."""

    lines: list[tuple[str, float, float]]

    def __str__(self) -> str:
        width = max(len(label) for label, _, _ in self.lines)
        return "\n".join(
            f"{label:<{width}}  {amount:>14,.2f}  {pct:>7.1%}" for label, amount, pct in self.lines
        )


@dataclass(frozen=True)
class CustomerPnL:
    """Per-customer P&L: revenue - cost of goods = gross margin; - cost to serve = profit."""

    customer: np.ndarray
    revenue: np.ndarray
    cost_of_goods: np.ndarray
    cost_to_serve_by_driver: np.ndarray
    drivers: tuple[str, ...]

    @property
    def gross_margin(self) -> np.ndarray:
        return self.revenue - self.cost_of_goods

    @property
    def cost_to_serve(self) -> np.ndarray:
        return self.cost_to_serve_by_driver.sum(axis=1)

    @property
    def profit(self) -> np.ndarray:
        return self.gross_margin - self.cost_to_serve

    def statement(self, which: npt.ArrayLike | None = None) -> Statement:
        """Income statement of one customer (index), a boolean mask, or everyone (None)."""
        sel: slice | list[int] | np.ndarray
        if which is None:
            sel = slice(None)
        elif isinstance(which, (int, np.integer)):
            sel = [int(which)]
        else:
            sel = np.asarray(which)
        revenue = float(np.sum(self.revenue[sel]))
        cogs = float(np.sum(self.cost_of_goods[sel]))
        by_driver = self.cost_to_serve_by_driver[sel].sum(axis=0)
        cts = float(by_driver.sum())

        def pct(v: float) -> float:
            return v / revenue if revenue else float("nan")

        lines = [("Revenue", revenue, pct(revenue)), ("Cost of goods", -cogs, pct(-cogs))]
        lines.append(("Gross margin", revenue - cogs, pct(revenue - cogs)))
        lines += [
            (f"  {name.replace('_', ' ')}", -float(v), pct(-float(v)))
            for name, v in zip(self.drivers, by_driver, strict=True)
            if v
        ]
        lines.append(("Cost to serve", -cts, pct(-cts)))
        lines.append(("Profit", revenue - cogs - cts, pct(revenue - cogs - cts)))
        return Statement(lines)

    def by_group(self, labels: npt.ArrayLike) -> dict[str, Statement]:
        """Aggregated statement per group label (e.g. per segment)."""
        lab = np.asarray(labels)
        return {str(g): self.statement(lab == g) for g in np.unique(lab)}


def customer_pnl(
    customers: npt.ArrayLike,
    revenue: npt.ArrayLike,
    cost_of_goods: npt.ArrayLike,
    cost_to_serve_by_driver: npt.ArrayLike,
    drivers: Sequence[str] | None = None,
) -> CustomerPnL:
    """Assemble the per-customer P&L (see :func:`cost_to_serve` for the cost matrix, whose
    columns ``drivers`` names)."""
    cts = np.asarray(cost_to_serve_by_driver, dtype=float)
    if cts.ndim == 1:
        cts = cts[:, None]
        drivers = ("cost_to_serve",)
    if drivers is None:
        drivers = [f"driver_{j}" for j in range(cts.shape[1])]
    rev = np.asarray(revenue, dtype=float)
    cogs = np.asarray(cost_of_goods, dtype=float)
    if not (rev.shape == cogs.shape == (cts.shape[0],)) or cts.shape[1] != len(drivers):
        raise ValueError("revenue, cost_of_goods and cost matrix must agree in shape")
    return CustomerPnL(np.asarray(customers), rev, cogs, cts, tuple(drivers))


@dataclass(frozen=True)
class WhaleCurve:
    """Cumulative profit (% of total) against share of customers ranked by profit, descending.

    ``peak`` is the highest point (often well above 100 %) and ``peak_share`` where it is
    reached: the customers after it destroy value.
    """

    customer_share: np.ndarray
    cumulative_profit_pct: np.ndarray
    order: np.ndarray
    peak: float
    peak_share: float


def whale_curve(profit: npt.ArrayLike) -> WhaleCurve:
    """The whale curve; starts at (0, 0) and ends at (1, 100 %) when total profit is positive."""
    p = np.asarray(profit, dtype=float)
    order = np.lexsort((np.arange(p.size), -p))
    cum = np.r_[0.0, np.cumsum(p[order])]
    total = cum[-1]
    pct = cum / total * 100.0 if total != 0 else np.full_like(cum, np.nan)
    share = np.arange(p.size + 1) / max(p.size, 1)
    peak_i = int(np.nanargmax(pct)) if p.size and total != 0 else 0
    return WhaleCurve(share, pct, order, float(pct[peak_i]), float(share[peak_i]))


def profitability_segments(
    profit: npt.ArrayLike,
    *,
    quantiles: Sequence[float] = (0.5, 0.8),
    labels: Sequence[str] = ("Low", "Medium", "High"),
    loss_label: str = "Loss-making",
) -> np.ndarray:
    """Label customers: ``loss_label`` if profit < 0, else by quantiles of the positive profits.

    The defaults split profitable customers at their median and 80th percentile into Low,
    Medium and High.
    """
    p = np.asarray(profit, dtype=float)
    if len(labels) != len(quantiles) + 1:
        raise ValueError("need one more label than quantile cut")
    out = np.full(p.shape, loss_label, dtype=object)
    positive = p >= 0
    if positive.any():
        edges = np.quantile(p[positive], quantiles)
        tier = np.searchsorted(edges, p[positive], side="right")
        out[positive] = np.asarray(labels, dtype=object)[tier]
    return out.astype(str)
