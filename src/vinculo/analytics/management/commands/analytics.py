"""``vinculo analytics FILE.csv``: fit the buy-till-you-die models on any transactions CSV.

For analysts: no database, no organisation, no migrations. The file may come from any system:
UTF-8 or Latin-1, ``,`` or ``;`` (or tab) separated, dates ISO (``1997-01-01``, with or without
a time), ``YYYYMMDD``, ``DD/MM/YYYY`` (or ``MM/DD/YYYY`` when that is the only reading that fits
every date), ``DD.MM.YYYY``, ``DD-MM-YYYY``; amounts with a decimal point or a decimal comma.
Bad input stops with an error naming the column or the line.

Prints the fitted parameters of BG/NBD, MBG/NBD, Pareto/NBD and Gamma-Gamma with their
standard errors and intervals (``--json``: one object keyed by model, parameters named as in
the papers) and, with ``--out``, writes one row per customer: frequency, recency, T, monetary
value, P(alive), expected purchases and spend over the horizon, CLV (P(alive), expected
purchases and CLV with the bounds of their intervals, ``--interval-level`` %, default 90),
RFM scores and segment.

``--holdout-from DATE`` validates the models: they are fitted on the purchases before DATE and
their predictions of each customer's purchases from DATE to the end of the file are compared
with what happened (by calibration repeat purchases 0..7+, with each model's mean absolute
error and correlation; ``vinculo.analytics.stats.holdout``).

``--covariates segment,channel`` also fits BG/NBD with those customer columns as
time-invariant covariates and shows each level's effect on the purchase rate and the drop-out
against the most frequent level (``analytics.analyst_covariates``). ``--contracts`` reads a
different file, one row per customer and contract period paid (``--start-col``,
``--end-col``), and fits the shifted-beta-geometric retention model instead: retention curve,
γ and δ, each active customer's discounted expected residual lifetime and CLV
(``analytics.analyst_contracts``). The CSV helpers shared by the modes are in
``analytics.analyst_csv``.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import math
import sys
from array import array
from pathlib import Path
from typing import Any

import numpy as np
from django.core.management.base import BaseCommand, CommandError

from vinculo.analytics.analyst_contracts import (
    analyse_contracts,
    format_contracts,
    read_contracts,
    write_contracts,
)
from vinculo.analytics.analyst_covariates import (
    covariate_effects,
    format_covariates,
    parse_covariates,
    read_covariates,
)
from vinculo.analytics.analyst_csv import (
    MAX_ERRORS,
    InputError,
    parse_amount,
    parse_dates,
    sniff_delimiter,
)
from vinculo.analytics.stats.bgnbd import BGNBD, MBGNBD
from vinculo.analytics.stats.gamma_gamma import GammaGamma
from vinculo.analytics.stats.holdout import compare_holdout, format_comparison
from vinculo.analytics.stats.limits import NotIdentified
from vinculo.analytics.stats.pareto import ParetoNBD
from vinculo.analytics.stats.rfm import rfm_scores
from vinculo.analytics.stats.summary import customer_summary, unit_days
from vinculo.analytics.stats.uncertainty import (
    DEFAULT_LEVEL,
    customer_intervals,
    parameter_uncertainty,
)

DEFAULT_HORIZON = {"day": 365, "week": 52, "month": 12}
MODELS = ("bg_nbd", "mbg_nbd", "pareto_nbd", "gamma_gamma")
DEFAULT_MODELS = ("bg_nbd", "gamma_gamma")


def parse_models(value: str) -> tuple[str, ...]:
    names = [v.strip().lower().replace("/", "_").replace("-", "_") for v in value.split(",")]
    if names == ["all"]:
        return MODELS
    unknown = [n for n in names if n not in MODELS]
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"unknown model {', '.join(unknown) or value!r}; choose from {', '.join(MODELS)} "
            "or 'all'")
    # BG/NBD and Gamma-Gamma give the per-customer predictions, so they are always fitted.
    return tuple(m for m in MODELS if m in names or m in DEFAULT_MODELS)


def read_transactions(path: Path, customer_col: str, date_col: str,
                      amount_col: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(customer codes, days, amounts, customer labels) of the file's rows.

    Read as a stream (UTF-8, else Latin-1 from the start again), never held whole: ids and
    dates are coded on the fly (a dict per column; only the distinct values are kept as text)
    and amounts go into a float array, so a million customers' log costs tens of MiB, not the
    Python strings of every cell. Customers come back as integer codes in the order of their
    labels (``labels[code]`` is the id in the file), dates as datetime64[D].
    """
    for encoding in ("utf-8-sig", "latin-1"):
        try:
            with path.open(encoding=encoding, newline="") as handle:
                return _read_rows(handle, path, customer_col, date_col, amount_col)
        except UnicodeDecodeError:
            continue
        except OSError as exc:
            raise InputError(f"cannot read {path}: {exc.strerror}") from None
    raise InputError(f"cannot read {path}: neither UTF-8 nor Latin-1")  # pragma: no cover


def _read_rows(handle: Any, path: Path, customer_col: str, date_col: str,
               amount_col: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    first = handle.readline()
    if not first.strip():
        raise InputError(f"{path} is empty")
    delimiter = sniff_delimiter(first)
    header = [h.strip() for h in next(csv.reader([first], delimiter=delimiter))]
    reader = csv.reader(handle, delimiter=delimiter)
    lowered = [h.lower() for h in header]
    index = {}
    for option, name in (("--customer-col", customer_col), ("--date-col", date_col),
                         ("--amount-col", amount_col)):
        if name.strip().lower() not in lowered:
            raise InputError(f"column {name!r} ({option}) is not in the file; its columns are: "
                             + ", ".join(repr(h) for h in header))
        index[option] = lowered.index(name.strip().lower())
    ci, di, ai = index["--customer-col"], index["--date-col"], index["--amount-col"]
    width = max(ci, di, ai) + 1
    decimal_comma = delimiter == ";"
    id_index: dict[str, int] = {}
    date_index: dict[str, int] = {}
    date_lines: list[int] = []
    id_codes = array("q")
    date_codes = array("q")
    amounts = array("d")
    errors: list[str] = []
    for row in reader:
        line = reader.line_num + 1  # the header was read before the reader started
        if not row or not any(cell.strip() for cell in row):
            continue
        if len(row) < width:
            errors.append(f"line {line}: {len(row)} fields, expected at least {width}")
        else:
            customer, date, amount = row[ci].strip(), row[di].strip(), row[ai]
            if not customer:
                errors.append(f"line {line}: column {header[ci]!r} (customer) is empty")
            elif not date:
                errors.append(f"line {line}: column {header[di]!r} (date) is empty")
            else:
                try:
                    value = float(amount)
                except ValueError:
                    try:
                        value = parse_amount(amount, decimal_comma)
                    except ValueError:
                        value = None
                if value is None or not math.isfinite(value):
                    errors.append(f"line {line}: {amount!r} in column {header[ai]!r} "
                                  "is not a number")
                else:
                    amounts.append(value)
                    code = id_index.get(customer)
                    if code is None:
                        code = id_index[customer] = len(id_index)
                    id_codes.append(code)
                    code = date_index.get(date)
                    if code is None:
                        code = date_index[date] = len(date_index)
                        date_lines.append(line)
                    date_codes.append(code)
        if len(errors) >= MAX_ERRORS:
            break
    if errors:
        raise InputError("bad input, nothing computed:\n  " + "\n  ".join(errors))
    if not amounts:
        raise InputError(f"{path} has a header but no transactions")
    days = parse_dates(list(date_index), date_lines, header[di])
    day = days[np.frombuffer(date_codes, dtype=np.int64)]
    labels = np.array(list(id_index))
    order = np.argsort(labels, kind="stable")
    rank = np.empty(order.size, dtype=np.int64)
    rank[order] = np.arange(order.size)
    return rank[np.frombuffer(id_codes, dtype=np.int64)], day, np.frombuffer(amounts), labels[order]


class Command(BaseCommand):
    help = ("Fit BG/NBD, MBG/NBD, Pareto/NBD and Gamma-Gamma (and BG/NBD with covariates) on a "
            "transactions CSV and score every customer, or sBG on a contracts CSV "
            "(--contracts); no database needed.")
    requires_system_checks: list[str] = []
    requires_migrations_checks = False

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", type=Path, help="transactions CSV: one row per purchase")
        parser.add_argument("--customer-col", required=True, help="column of the customer id")
        parser.add_argument("--date-col", help="column of the purchase date (transactions)")
        parser.add_argument("--amount-col", help="column of the amount (transactions; with "
                                                 "--contracts optional: each period's amount)")
        parser.add_argument("--covariates", type=parse_covariates,
                            help="columns describing the customer (segment, channel, ...), "
                                 "comma separated: fit BG/NBD with their effects")
        parser.add_argument("--contracts", action="store_true",
                            help="the file holds contract periods (one row per customer and "
                                 "period paid, --start-col and --end-col): fit sBG retention "
                                 "and contract CLV")
        parser.add_argument("--start-col", help="column of a contract period's start")
        parser.add_argument("--end-col", help="column of a contract period's end")
        parser.add_argument("--as-of", type=dt.date.fromisoformat,
                            help="contracts: the date the status is read at (default: the "
                                 "latest period start in the file)")
        parser.add_argument("--margin-per-period", type=float,
                            help="contracts: margin each period paid brings (default: the "
                                 "latest period's --amount-col times --margin, else --margin)")
        parser.add_argument("--calibration-end", type=dt.date.fromisoformat,
                            help="last day of the fitting period, YYYY-MM-DD (default: last "
                                 "date in the file); later purchases form the holdout")
        parser.add_argument("--holdout-from", type=dt.date.fromisoformat,
                            help="first day of the holdout period, YYYY-MM-DD: fit on the "
                                 "purchases before it and compare each model's predictions "
                                 "with the purchases from it on")
        parser.add_argument("--time-unit", choices=("day", "week", "month"), default="week")
        parser.add_argument("--horizon", type=float, default=None,
                            help="prediction horizon in time units (default: one year)")
        parser.add_argument("--discount-rate", type=float, default=0.10,
                            help="annual discount rate for CLV (default 0.10)")
        parser.add_argument("--margin", type=float, default=1.0,
                            help="margin rate applied to spend for CLV (default 1 = revenue)")
        parser.add_argument("--interval-level", type=float, default=100 * DEFAULT_LEVEL,
                            help="level of the intervals in %% (default 90): parameters, and "
                                 "P(alive), expected purchases and CLV in --out")
        parser.add_argument("--models", type=parse_models, default=DEFAULT_MODELS,
                            help="models to fit, comma separated, from "
                                 f"{', '.join(MODELS)} or 'all' (default: "
                                 f"{','.join(DEFAULT_MODELS)}, the two the per-customer "
                                 "output uses)")
        parser.add_argument("--json", action="store_true", help="print the parameters as JSON")
        parser.add_argument("--out", type=Path, help="write per-customer results to this CSV")

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["discount_rate"] <= -1:
            raise CommandError("--discount-rate must be greater than -1")
        if opts["horizon"] is not None and opts["horizon"] <= 0:
            raise CommandError("--horizon must be positive")
        if not 1 <= opts["interval_level"] < 100:
            raise CommandError("--interval-level must be a percentage from 1 to below 100 "
                               "(e.g. 90)")
        if opts["contracts"]:
            self.handle_contracts(opts)
            return
        for option in ("start_col", "end_col", "as_of", "margin_per_period"):
            if opts[option] is not None:
                raise CommandError(f"--{option.replace('_', '-')} applies only with --contracts")
        for option in ("date_col", "amount_col"):
            if not opts[option]:
                raise CommandError(f"--{option.replace('_', '-')} is required (or --contracts)")
        holdout_from = opts["holdout_from"]
        if holdout_from is not None:
            if opts["calibration_end"] is not None:
                raise CommandError("give either --holdout-from or --calibration-end, not both")
            opts["calibration_end"] = holdout_from - dt.timedelta(days=1)
        covariates = (read_covariates(opts["file"], opts["customer_col"], opts["covariates"])
                      if opts["covariates"] else None)
        ids, day, amount, labels = read_transactions(opts["file"], opts["customer_col"],
                                                     opts["date_col"], opts["amount_col"])
        result = analyse(ids, day, amount, unit=opts["time_unit"],
                         calibration_end=opts["calibration_end"], horizon=opts["horizon"],
                         discount_rate=opts["discount_rate"], margin=opts["margin"],
                         level=opts["interval_level"] / 100, models=opts["models"],
                         holdout=holdout_from is not None)
        if covariates is not None:
            result["models"]["covariates"] = covariate_effects(
                result["summary"], labels, covariates, level=opts["interval_level"] / 100,
                plain_log_likelihood=result["models"]["bg_nbd"]["log_likelihood"])
        if opts["out"]:
            write_customers(opts["out"], result, labels)
        if opts["json"]:
            self.stdout.write(json.dumps(result["models"], indent=2))
        else:
            self.stdout.write(format_table(result["models"]))
            if covariates is not None:
                self.stdout.write(format_covariates(result["models"]["covariates"]))
            if "holdout" in result:
                self.stdout.write(format_comparison(result["holdout"], opts["time_unit"]))
            if opts["out"]:
                self.stdout.write(f"\nPer-customer results: {opts['out']}")

    def handle_contracts(self, opts: dict[str, Any]) -> None:
        """``--contracts``: sBG on contract periods (``analytics.analyst_contracts``)."""
        for option in ("date_col", "covariates", "calibration_end", "holdout_from", "horizon"):
            if opts[option] is not None:
                raise CommandError(f"--{option.replace('_', '-')} does not apply to "
                                   "--contracts")
        if opts["models"] != DEFAULT_MODELS:
            raise CommandError("--models does not apply to --contracts (it fits sBG)")
        for option in ("start_col", "end_col"):
            if not opts[option]:
                raise CommandError(f"--{option.replace('_', '-')} is required with --contracts")
        if opts["discount_rate"] <= 0:
            raise CommandError("--discount-rate must be positive with --contracts (the "
                               "expected residual lifetime is a sum without end)")
        contracts = read_contracts(
            opts["file"], customer_col=opts["customer_col"], start_col=opts["start_col"],
            end_col=opts["end_col"], amount_col=opts["amount_col"], margin=opts["margin"],
            margin_per_period=opts["margin_per_period"],
            as_of=np.datetime64(opts["as_of"], "D") if opts["as_of"] else None)
        result = analyse_contracts(contracts, discount_rate=opts["discount_rate"],
                                   level=opts["interval_level"] / 100)
        if opts["out"]:
            write_contracts(opts["out"], result)
        if opts["json"]:
            self.stdout.write(json.dumps(result["models"], indent=2))
        else:
            self.stdout.write(format_contracts(result["models"]))
            if opts["out"]:
                self.stdout.write(f"\nPer-customer results: {opts['out']}")


def analyse(ids: np.ndarray, day: np.ndarray, amount: np.ndarray, *, unit: str,
            calibration_end: dt.date | None, horizon: float | None, discount_rate: float,
            margin: float, level: float = DEFAULT_LEVEL,
            models: tuple[str, ...] = DEFAULT_MODELS, holdout: bool = False) -> dict[str, Any]:
    last = day.max()
    cal_end = np.datetime64(calibration_end, "D") if calibration_end else last
    if cal_end < day.min():
        raise InputError(f"the calibration period (up to {cal_end}) ends before the first "
                         f"purchase ({day.min()}): move --calibration-end or --holdout-from")
    obs_end = max(cal_end, last)
    if holdout and cal_end >= last:
        raise InputError(f"--holdout-from {cal_end + 1} is after the last purchase ({last}): "
                         "the holdout period would be empty")
    s = customer_summary(ids, day, amount, unit=unit, calibration_end=cal_end,
                         observation_end=obs_end)
    x, tx, T = s.frequency, s.recency, s.T
    if not (x > 0).any():
        raise InputError("no customer bought twice before the calibration end: the models "
                         "need repeat purchases")
    horizon = horizon or DEFAULT_HORIZON[unit]
    bg = BGNBD.fit(x, tx, T)
    n_cal = int((day <= cal_end).sum())
    if holdout:
        models = MODELS  # the holdout comparison sets every model against the others
    unc = {"bg_nbd": parameter_uncertainty(bg, x, tx, T)}
    done: dict[str, Any] = {"bg_nbd": bg}
    fitted: dict[str, Any] = {
        "bg_nbd": {**bg.params, **unc["bg_nbd"].as_dict(level),
                   "log_likelihood": bg.log_likelihood, "customers": len(s)}}
    for key, model in (("mbg_nbd", MBGNBD), ("pareto_nbd", ParetoNBD)):
        if key in models:
            try:
                fit = model.fit(x, tx, T)
            except NotIdentified as exc:
                fitted[key] = {"not_identified": str(exc), "reported_instead": "bg_nbd"}
            else:
                done[key] = fit
                fitted[key] = {**fit.params,
                               **parameter_uncertainty(fit, x, tx, T).as_dict(level),
                               "log_likelihood": fit.log_likelihood, "customers": len(s)}
    gg, spend_note = fit_spend(x, s.monetary_value)
    if gg is not None:
        unc["gamma_gamma"] = parameter_uncertainty(gg, x, s.monetary_value)
        fitted["gamma_gamma"] = {**gg.params, **unc["gamma_gamma"].as_dict(level),
                                 "log_likelihood": gg.log_likelihood, **spend_note}
    else:
        fitted["gamma_gamma"] = spend_note
    models_out = {
        **{key: fitted[key] for key in MODELS if key in fitted},
        "customers": len(s),
        "transactions": n_cal,
        "time_unit": unit,
        "calibration_end": str(cal_end),
        "observation_end": str(obs_end),
    }
    comparison = None
    if holdout:
        assert s.frequency_holdout is not None and s.duration_holdout is not None
        comparison = compare_holdout(x, tx, T, s.frequency_holdout, s.duration_holdout,
                                     fitted=done)
        models_out["holdout"] = comparison.as_dict()
    spend = (gg.conditional_expected_spend(x, s.monetary_value) if gg is not None and gg.q > 1
             else np.where(x > 0, s.monetary_value, np.nan))
    month = 365.25 / 12 / unit_days(unit)
    periods = max(1, round(horizon / month))
    monthly_rate = (1 + discount_rate) ** (1 / 12) - 1
    # Gamma-Gamma's own uncertainty counts where its spend is used (q > 1).
    spend_args: dict[str, Any] = (
        {"spend_model": gg, "spend_uncertainty": unc["gamma_gamma"],
         "monetary_value": s.monetary_value} if gg is not None and gg.q > 1
        else {"expected_spend": spend})
    intervals = customer_intervals(bg, unc["bg_nbd"], x, tx, T, horizon=horizon, **spend_args,
                                   level=level, margin=margin, periods=periods,
                                   period_length=month, discount_rate=monthly_rate)
    # RFM: time since last purchase, repeat purchases, mean spend per purchase day.
    cal = day <= cal_end
    pos = np.searchsorted(s.customer, ids[cal])
    total = np.bincount(pos, weights=amount[cal], minlength=len(s))
    scores = rfm_scores(s.time_since_last, x, total / (x + 1))
    result = {"models": models_out, "summary": s, "p_alive": intervals["p_alive"].estimate,
              "expected": intervals["expected_purchases"].estimate, "spend": spend,
              "clv": intervals["clv"].estimate, "rfm": scores, "horizon": horizon,
              "intervals": intervals}
    if comparison is not None:
        result["holdout"] = comparison
    return result


def fit_spend(x: np.ndarray, m: np.ndarray) -> tuple[GammaGamma | None, dict[str, Any]]:
    """Gamma-Gamma on the repeat buyers whose repeat days have a positive mean net amount.

    Returns are already netted per day (a day netting to 0 or less is no purchase), so the
    customers left out are those whose repeat purchase days are worth nothing (zero-amount
    orders). Says how many were left out and why; when nobody is left, says so instead of
    fitting.
    """
    repeat = x > 0
    keep = repeat & (m > 0)
    note: dict[str, Any] = {"customers": int(keep.sum())}
    left_out = int((repeat & ~keep).sum())
    if left_out:
        note["left_out"] = left_out
        note["left_out_reason"] = ("repeat buyers whose repeat purchase days net to 0 or less "
                                   "carry no spend information")
    try:
        return GammaGamma.fit(x, m), note
    except ValueError:
        return None, {**note, "not_fitted": (
            "Gamma-Gamma needs repeat buyers with a positive net repeat spend; there are none "
            "(every repeat purchase day nets to 0 or less): expected spend and CLV are left "
            "empty")}


def write_customers(path: Path, r: dict[str, Any], labels: np.ndarray | None = None) -> None:
    """One row per customer, written in chunks of columns formatted at once (``map`` over a
    column instead of an f-string per cell: a million customers in about a second)."""
    s, scores = r["summary"], r["rfm"]
    try:
        handle = path.open("w", newline="", encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot write {path}: {exc.strerror}") from None
    customer = labels[s.customer] if labels is not None else s.customer
    numbers = [s.recency, s.T, s.monetary_value, r["p_alive"], r["expected"], r["spend"],
               r["clv"], *(getattr(r["intervals"][k], side)
                           for k in ("p_alive", "expected_purchases", "clv")
                           for side in ("lower", "upper"))]
    whole = [s.frequency, scores.recency, scores.frequency, scores.monetary]
    six = "{:.6g}".format
    with handle:
        w = csv.writer(handle)
        w.writerow(["customer", "frequency", "recency", "T", "monetary_value", "p_alive",
                    "expected_purchases", "expected_spend", "clv", "p_alive_lower",
                    "p_alive_upper", "expected_purchases_lower", "expected_purchases_upper",
                    "clv_lower", "clv_upper", "r_score", "f_score", "m_score", "rfm_segment",
                    "frequency_holdout"])
        for start in range(0, len(s), 100_000):
            sl = slice(start, start + 100_000)
            n = len(customer[sl])
            freq, r_s, f_s, m_s = (c[sl].tolist() for c in whole)
            floats = [list(map(six, c[sl].tolist())) for c in numbers]
            hold = (s.frequency_holdout[sl].tolist() if s.frequency_holdout is not None
                    else [""] * n)
            w.writerows(zip(customer[sl].tolist(), freq, *floats, r_s, f_s, m_s,
                            scores.segment[sl].tolist(), hold, strict=True))


def format_table(models: dict[str, Any]) -> str:
    out = [f"{models['customers']:,} customers, {models['transactions']:,} transactions up to "
           f"{models['calibration_end']} (time unit: {models['time_unit']})", ""]
    titles = {"bg_nbd": "BG/NBD (Fader, Hardie & Lee 2005)",
              "mbg_nbd": "MBG/NBD (Batislam, Denizel & Filiztekin 2007)",
              "pareto_nbd": "Pareto/NBD (Schmittlein, Morrison & Colombo 1987)",
              "gamma_gamma": "Gamma-Gamma (Fader, Hardie & Lee 2005)"}
    for key, title in titles.items():
        if key not in models:
            continue
        m = models[key]
        out.append(title)
        if "not_identified" in m:
            out += [f"  {m['not_identified']}", "  BG/NBD above is reported instead.", ""]
            continue
        if "not_fitted" in m:
            out += [f"  {m['not_fitted']}", ""]
            continue
        level = f"{100 * m['interval_level']:g} % interval"
        out.append(f"  {'':<15}{'estimate':>14}{'std. error':>14}  {level}")
        for name, value in m.items():
            if name not in m["standard_errors"]:
                continue
            se, (lo, hi) = m["standard_errors"][name], m["intervals"][name]
            out.append(f"  {name:<15}{value:>14.4f}{_number(se):>14}  "
                       f"{_number(lo)} - {_number(hi)}")
        if not m["identified"]:
            out.append("  (the data do not identify every parameter: no standard errors)")
        out.append(f"  {'log-likelihood':<15}{m['log_likelihood']:>14.2f}")
        out.append(f"  {'customers':<15}{m['customers']:>14,}")
        if m.get("left_out"):
            out.append(f"  {'left out':<15}{m['left_out']:>14,}  ({m['left_out_reason']})")
        out.append("")
    fitted = ", ".join(k for k in titles if k in models)
    out.append(f"Models fitted: {fitted} (--models all fits all four).")
    return "\n".join(out)


def _number(v: float | None) -> str:
    return "inf" if v is None else f"{v:.4f}"


if __name__ == "__main__":  # pragma: no cover
    sys.exit("run as: vinculo analytics FILE.csv ...")
