"""``vinculo analytics FILE --contracts``: contract retention and CLV with the sBG model.

The file has one row per contract period a customer paid for: the customer, the period's
start and its end (``--customer-col``, ``--start-col``, ``--end-col``; an end may be exclusive,
2001-01-01, or inclusive, 2000-12-31), and optionally its amount (``--amount-col``). Rows may
come in any order. A customer's periods must follow one another without overlap or gap (a
start on the previous end or the day after it): the shifted-beta-geometric model treats leaving
as final, so a customer who left and came back is an error naming the customer and the lines
(give the returning customer a new id to count them as a new customer). Every period must last
about the file's typical period (the median; within 10 % or 3 days): the model counts renewal
decisions, so the file needs one cadence (monthly, quarterly, yearly).

At the as-of date (``--as-of``, default the latest start in the file) a customer whose last
period ends after it is active: they survived as many renewals as they have periods after the
first, and their next decision is unknown (censored). A customer whose last period ended on or
before it churned at the end of their last period. sBG (``stats.sbg``, Fader & Hardie 2007) is
fitted on every customer at once, whatever their first period: each cohort contributes what it
was observed for, which is the heterogeneous-cohort likelihood; with one cohort it is the
published survivor-count fit. Its γ, δ come with Hessian standard errors.

Reported: the retention curve (per renewal t, the customers observed long enough to have made
t decisions, how many of them renewed t times, and how many the model expects, n·S(t)); the
discounted expected residual lifetime (DERL, Fader & Hardie 2010) of each active customer, in
periods paid, valued at their next renewal (that payment undiscounted, later ones discounted
at ``--discount-rate`` a year converted to the period); and CLV = margin per period × DERL,
with the margin ``--margin-per-period`` or the amount of the customer's latest period times
``--margin``. Churned customers are worth 0. Intervals by the delta method on γ, δ.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from vinculo.analytics.analyst_csv import InputError, parse_amount, parse_dates, scan_columns
from vinculo.analytics.stats.sbg import ShiftedBetaGeometric
from vinculo.analytics.stats.uncertainty import delta_interval, parameter_uncertainty

#: A period may differ from the file's median length by this share (or 3 days, if more).
CADENCE_TOLERANCE = 0.10


@dataclass(frozen=True)
class Contracts:
    """One customer per element: id, first period start, periods paid, last end, margin."""

    customer: np.ndarray
    first: np.ndarray
    periods: np.ndarray
    last_end: np.ndarray
    margin: np.ndarray
    period_days: float
    as_of: np.datetime64


def read_contracts(path: Path, *, customer_col: str, start_col: str, end_col: str,
                   amount_col: str | None, margin: float, margin_per_period: float | None,
                   as_of: np.datetime64 | None) -> Contracts:
    """Read and check the contracts file; see the module docstring for the rules."""
    customers: list[str] = []
    starts: list[str] = []
    ends: list[str] = []
    amounts: list[float] = []
    lines: list[int] = []
    columns = [("--customer-col", customer_col), ("--start-col", start_col),
               ("--end-col", end_col)]
    if amount_col:
        columns.append(("--amount-col", amount_col))

    def visit(line: int, values: list[str]) -> str | None:
        for (option, name), value in zip(columns, values, strict=True):
            if not value:
                return f"line {line}: column {name!r} ({option}) is empty"
        if amount_col:
            try:
                amounts.append(parse_amount(values[3], False))
            except ValueError:
                return f"line {line}: {values[3]!r} in column {amount_col!r} is not a number"
        customers.append(values[0])
        starts.append(values[1])
        ends.append(values[2])
        lines.append(line)
        return None

    names = scan_columns(path, columns, visit)
    if not customers:
        raise InputError(f"{path} has a header but no contract periods")
    start = parse_dates(starts, lines, names[1])
    end = parse_dates(ends, lines, names[2])
    line = np.array(lines)
    bad = np.flatnonzero(end <= start)
    if bad.size:
        raise InputError("bad input, nothing computed:\n  " + "\n  ".join(
            f"line {line[i]}: the period ends ({end[i]}, column {names[2]!r}) on or before it "
            f"starts ({start[i]}, column {names[1]!r})" for i in bad[:10]))
    length = (end - start).astype(np.int64)
    period_days = float(np.median(length))
    off = np.flatnonzero(np.abs(length - period_days)
                         > max(3.0, CADENCE_TOLERANCE * period_days))
    if off.size:
        i = off[0]
        raise InputError(f"line {line[i]}: the period from {start[i]} to {end[i]} lasts "
                         f"{length[i]} days, the file's periods about {period_days:g}: the sBG "
                         "model counts renewals, so give one row per period renewed, all of "
                         "one cadence (e.g. monthly or yearly)")
    labels, code = np.unique(np.array(customers), return_inverse=True)
    order = np.lexsort((start, code))
    code, start, end, line = code[order], start[order], end[order], line[order]
    same = code[1:] == code[:-1]
    gap = (start[1:] - end[:-1]).astype(np.int64)
    overlap = np.flatnonzero(same & (gap < 0))
    if overlap.size:
        i = overlap[0]
        raise InputError(f"line {line[i + 1]}: customer {str(labels[code[i]])!r}'s period from "
                         f"{start[i + 1]} overlaps the period on line {line[i]} "
                         f"({start[i]} to {end[i]}): one row per period, no overlaps")
    hole = np.flatnonzero(same & (gap > 1))
    if hole.size:
        i = hole[0]
        raise InputError(f"line {line[i + 1]}: customer {str(labels[code[i]])!r} comes back on "
                         f"{start[i + 1]} after their period on line {line[i]} ended on "
                         f"{end[i]}: sBG treats leaving as final, so a returning customer "
                         "needs a new id (then they count as a new customer)")
    latest = start.max()
    if as_of is None:
        as_of = latest
    elif as_of < latest:
        i = int(np.argmax(start))
        raise InputError(f"--as-of {as_of} is before the period starting {start[i]} on line "
                         f"{line[i]}")
    first_row = np.flatnonzero(np.r_[True, ~same])
    last_row = np.r_[first_row[1:] - 1, code.size - 1]
    periods = np.diff(np.r_[first_row, code.size])
    if periods.max() < 2:
        raise InputError(f"no customer renewed: each of the {labels.size:,} customers has one "
                         "period, and sBG needs renewals to estimate retention (one row per "
                         "period paid, the renewals included)")
    if margin_per_period is not None:
        value = np.full(labels.size, margin_per_period)
    elif amount_col:
        value = margin * np.asarray(amounts)[order][last_row]
    else:
        value = np.full(labels.size, margin)
    return Contracts(labels, start[first_row], periods, end[last_row], value, period_days,
                     np.datetime64(str(as_of), "D"))


def analyse_contracts(c: Contracts, *, discount_rate: float, level: float) -> dict[str, Any]:
    """Fit sBG, the retention curve, each customer's DERL and CLV with intervals."""
    active = c.last_end > c.as_of
    # Active: survived periods - 1 renewals (censored); churned at the end of their last period.
    t = np.where(active, c.periods - 1, c.periods)
    keep = t > 0
    pattern, weight = np.unique(np.column_stack([t[keep], ~active[keep]]), axis=0,
                                return_counts=True)
    try:
        sbg = ShiftedBetaGeometric.fit(pattern[:, 0], pattern[:, 1].astype(bool), weight)
    except ValueError as exc:
        raise InputError(f"sBG cannot be fitted: {exc}") from None
    unc = parameter_uncertainty(sbg, pattern[:, 0], pattern[:, 1].astype(float),
                                weights=weight.astype(float))
    period_rate = (1 + discount_rate) ** period_years(c.period_days) - 1
    renewals = c.periods - 1
    distinct, inverse = np.unique(renewals[active], return_inverse=True)
    derl_i = delta_interval(lambda m: m.derl(period_rate, distinct), sbg, unc, level=level)
    derl = np.zeros(c.customer.size)
    lower, upper = np.zeros_like(derl), np.zeros_like(derl)
    derl[active] = derl_i.estimate[inverse]
    lower[active], upper[active] = derl_i.lower[inverse], derl_i.upper[inverse]
    total = delta_interval(
        lambda m: np.array([float(c.margin[active] @ m.derl(period_rate, distinct)[inverse])]),
        sbg, unc, level=level)
    new = delta_interval(lambda m: m.derl(period_rate, np.array([0.0])), sbg, unc, level=level)
    curve = retention_curve(c, active, sbg)
    months = c.first.astype("datetime64[M]")
    cohorts = [{"first_period": str(m), "customers": int((months == m).sum()),
                "active": int((active & (months == m)).sum())} for m in np.unique(months)]
    models = {
        "sbg": {**sbg.params, **unc.as_dict(level), "log_likelihood": sbg.log_likelihood,
                "customers": int(keep.sum())},
        "customers": int(c.customer.size), "active": int(active.sum()),
        "churned": int((~active).sum()), "as_of": str(c.as_of),
        "period_days": c.period_days, "period_discount_rate": period_rate,
        "cohorts": cohorts, "retention": curve,
        "derl_new_customer": _interval(new, 0),
        "clv_active_total": _interval(total, 0),
    }
    return {"models": models, "contracts": c, "active": active, "derl": derl,
            "clv": c.margin * derl, "clv_lower": c.margin * lower,
            "clv_upper": c.margin * upper}


def period_years(days: float) -> float:
    """A period's length in years: whole months when it is one (365 days: a year, so 10 % a
    year is 10 % a period), else days / 365.25."""
    months = round(days / (365.25 / 12))
    if months >= 1 and abs(days - months * 365.25 / 12) <= 3:
        return months / 12
    return days / 365.25


def _interval(i: Any, k: int) -> dict[str, float | None]:
    lo, hi = float(i.lower[k]), float(i.upper[k])
    return {"estimate": float(i.estimate[k]), "lower": lo if np.isfinite(lo) else None,
            "upper": hi if np.isfinite(hi) else None}


def retention_curve(c: Contracts, active: np.ndarray,
                    sbg: ShiftedBetaGeometric) -> list[dict[str, float | None]]:
    """Per renewal t: customers observed through t, actual and fitted survivors, and the
    retention rate of period t (actual on the same customers, fitted r(t)).

    A churned customer was observed through every renewal date up to the as-of date (their
    cohort's age in periods); an active one through the renewals they made.
    """
    age = np.floor((c.as_of - c.first).astype(np.int64) / c.period_days + 0.1).astype(np.int64)
    observed = np.where(active, c.periods - 1, np.maximum(c.periods, age))
    rows: list[dict[str, float | None]] = []
    for t in range(int(observed.max()) + 1):
        seen = observed >= t
        n = int(seen.sum())
        survived = int((seen & (c.periods - 1 >= t)).sum())
        before = int((seen & (c.periods - 1 >= t - 1)).sum()) if t else n
        rows.append({"period": t, "observed": n, "actual": survived,
                     "fitted": float(n * sbg.survival(t)),
                     "actual_retention": survived / before if t and before else None,
                     "fitted_retention": float(sbg.retention_rate(t)) if t else None})
    return rows


def format_contracts(m: dict[str, Any]) -> str:
    s = m["sbg"]
    level = f"{100 * s['interval_level']:g} % interval"
    out = [f"{m['customers']:,} contract customers as of {m['as_of']}: {m['active']:,} active, "
           f"{m['churned']:,} churned; {len(m['cohorts'])} cohort(s) by first month; periods of "
           f"~{m['period_days']:g} days", "",
           "sBG, shifted-beta-geometric (Fader & Hardie 2007)",
           f"  {'':<15}{'estimate':>14}{'std. error':>14}  {level}"]
    for name in ("gamma", "delta"):
        se, (lo, hi) = s["standard_errors"][name], s["intervals"][name]
        out.append(f"  {name:<15}{s[name]:>14.4f}{_num(se):>14}  {_num(lo)} - {_num(hi)}")
    out += [f"  {'log-likelihood':<15}{s['log_likelihood']:>14.2f}",
            f"  {'customers':<15}{s['customers']:>14,}  (those with a renewal decision)", "",
            "Retention: customers still there after t renewals",
            f"  {'t':>3}{'observed':>10}{'actual':>10}{'fitted':>10}{'retention':>11}"
            f"{'fitted r(t)':>13}"]
    for r in m["retention"]:
        ret = "" if r["actual_retention"] is None else f"{r['actual_retention']:.3f}"
        fit = "" if r["fitted_retention"] is None else f"{r['fitted_retention']:.3f}"
        out.append(f"  {r['period']:>3}{r['observed']:>10,}{r['actual']:>10,}"
                   f"{r['fitted']:>10.1f}{ret:>11}{fit:>13}")
    new, total = m["derl_new_customer"], m["clv_active_total"]
    rate = f"{100 * m['period_discount_rate']:.3g} %"
    out += ["", f"Discounted expected residual lifetime (DERL, periods still to be paid, "
            f"discounted at {rate} a period): a customer who has just paid their first "
            f"period {new['estimate']:.3f} ({_num(new['lower'])} - {_num(new['upper'])})",
            f"Residual CLV of the {m['active']:,} active customers: {total['estimate']:,.2f} "
            f"({_num(total['lower'], ',.2f')} - {_num(total['upper'], ',.2f')})"]
    return "\n".join(out)


def _num(v: float | None, fmt: str = ".4f") -> str:
    return "inf" if v is None else format(v, fmt)


def write_contracts(path: Path, r: dict[str, Any]) -> None:
    """One row per customer: first period, periods paid, status, margin, DERL, CLV (bounds)."""
    c: Contracts = r["contracts"]
    try:
        handle = path.open("w", newline="", encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot write {path}: {exc.strerror}") from None
    with handle:
        w = csv.writer(handle)
        w.writerow(["customer", "first_period", "periods", "renewals", "status",
                    "margin_per_period", "derl", "clv", "clv_lower", "clv_upper"])
        six = "{:.6g}".format
        w.writerows(zip(c.customer.tolist(), c.first.astype(str).tolist(), c.periods.tolist(),
                        (c.periods - 1).tolist(),
                        np.where(r["active"], "active", "churned").tolist(),
                        *(map(six, v.tolist()) for v in (c.margin, r["derl"], r["clv"],
                                                          r["clv_lower"], r["clv_upper"])),
                        strict=True))
