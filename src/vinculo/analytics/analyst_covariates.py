"""``vinculo analytics FILE --covariates segment,channel``: BG/NBD with time-invariant covariates.

Each covariate is a column of the transactions file that describes the customer, not the
purchase (segment, acquisition channel, package, campaign, company size): numeric when every
value is a number (used as it is: the effect is per unit), categorical otherwise. A
customer's value is taken from their first row, and every later row must repeat it: a value
that changes is an error naming the column, the customer and both lines (the model's
covariates are time-invariant, so "first value wins" would fit a model the data contradict).
A categorical covariate is dummy-coded against its most frequent level among the fitted
customers (the reference; ties go to the first in alphabetical order), so every effect reads
"this level against the reference, the other covariates held fixed"; a level held by one
customer is refused (its effect would be that customer's own history).

The model (``stats.covariates.CovariateBGNBD``, Fader & Hardie 2007) lets the covariates move
the purchase rate's Gamma scale α and both parameters a, b of the drop-out Beta. Reported per
level: the coefficient, its standard error (Hessian), e^coef with its interval
(exp(coef ± z·se)) and what it means: e^coef on the purchase rate multiplies a customer's mean
purchase rate r/α; the drop-out effects multiply a and b, whose combined meaning is the mean
drop-out probability after a purchase a/(a+b), shown for the level and for the reference.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import numpy as np
from scipy.special import ndtri
from scipy.stats import chi2

from vinculo.analytics.analyst_csv import InputError, scan_columns
from vinculo.analytics.stats.covariates import EFFECT_BOUND, CovariateBGNBD, Design, design
from vinculo.analytics.stats.summary import CustomerSummary

#: A standard error above this (on the log scale) says the data do not identify the effect.
UNIDENTIFIED = 10.0
#: A drop-out effect on a or b beyond this many log units is the two running off together.
DROPOUT_LIMIT = 10.0
PROCESSES = {"purchase": "purchase rate", "dropout_a": "drop-out a", "dropout_b": "drop-out b"}


def parse_covariates(value: str) -> tuple[str, ...]:
    """``--covariates segment,channel``: column names, none empty, none twice."""
    names = [v.strip() for v in value.split(",")]
    if not all(names):
        raise argparse.ArgumentTypeError(f"empty column name in {value!r}")
    if len({n.lower() for n in names}) != len(names):
        raise argparse.ArgumentTypeError(f"a column is named twice in {value!r}")
    return tuple(names)


def read_covariates(path: Path, customer_col: str,
                    columns: tuple[str, ...]) -> tuple[list[str], dict[str, list[str]]]:
    """(column names as in the header, each customer's values) from a second pass over the
    file; a value that is empty or changes for a customer is an error naming the line."""
    seen: dict[str, tuple[list[str], int]] = {}

    def visit(line: int, values: list[str]) -> str | None:
        customer, rest = values[0], values[1:]
        if not customer:
            return None  # the transactions pass names this line
        for name, value in zip(columns, rest, strict=True):
            if not value:
                return f"line {line}: covariate column {name!r} is empty for customer " \
                       f"{customer!r}"
        first = seen.get(customer)
        if first is None:
            seen[customer] = (rest, line)
            return None
        for name, old, new in zip(columns, first[0], rest, strict=True):
            if old != new:
                return (f"line {line}: covariate column {name!r} changes for customer "
                        f"{customer!r}: {new!r} here, {old!r} on line {first[1]} (covariates "
                        "describe the customer and must be the same on all their rows)")
        return None

    names = scan_columns(path, [("--customer-col", customer_col),
                                *(("--covariates", c) for c in columns)], visit)
    return names[1:], {c: v for c, (v, _) in seen.items()}


def covariate_design(values: list[list[str]], names: list[str]) -> Design:
    """The covariate columns of the fitted customers (``stats.covariates.design``): numeric
    columns as they are, categorical ones dummy-coded against their most frequent level; a
    covariate with one level, too many levels or a level of one customer is refused naming
    the column."""
    try:
        return design({name: [v[j] for v in values] for j, name in enumerate(names)})
    except ValueError as exc:
        raise InputError(str(exc)) from None


def covariate_effects(summary: CustomerSummary, labels: np.ndarray,
                      covariates: tuple[list[str], dict[str, list[str]]], *, level: float,
                      plain_log_likelihood: float) -> dict[str, Any]:
    """Fit BG/NBD with the covariates on the command's summary; JSON-ready effects."""
    names, by_customer = covariates
    customers = labels[summary.customer].tolist()
    values = [by_customer[c] for c in customers]
    built = covariate_design(values, names)
    return effects_table(summary.frequency, summary.recency, summary.T, built, level=level,
                         plain_log_likelihood=plain_log_likelihood)


def effects_table(frequency: np.ndarray, recency: np.ndarray, T: np.ndarray, built: Design, *,
                  level: float, plain_log_likelihood: float,
                  weights: np.ndarray | None = None) -> dict[str, Any]:
    """Fit ``CovariateBGNBD`` and lay its effects out (JSON-ready): per covariate column and
    process the coefficient, standard error, e^coef and its interval, the mean drop-out
    probability a/(a+b) of each level, the likelihood-ratio test against plain BG/NBD. The
    analyst command and the product's recompute both show this table."""
    keys, levels, reference = built.keys, built.columns, built.reference
    try:
        model = CovariateBGNBD.fit(frequency, recency, T, built.z, keys, weights)
    except ValueError as exc:
        raise InputError(f"BG/NBD with covariates cannot be fitted: {exc}") from None
    q = float(ndtri(0.5 + level / 2))
    effects = []
    by_key = {k: e for k, e in zip(keys, levels, strict=True)}
    for row in model.effects():
        coef, se = float(row["coefficient"]), float(row["standard_error"])  # type: ignore[arg-type]
        # An effect the data do not identify gets no interval: one that ran to the fit's bound
        # (its standard error then describes the bound, not the data), or whose standard error
        # is infinite or above UNIDENTIFIED (e^coef known within a factor of e^±16: nothing).
        # On drop-out, a and b may run off together (the level's drop-out probability is the
        # same for all its customers): their ratio, the mean drop-out probability shown per
        # level, is still known, but e^coef beyond e^±10 on a or b alone says nothing.
        limit = EFFECT_BOUND - 0.5 if row["process"] == "purchase" else DROPOUT_LIMIT
        ok = bool(np.isfinite(se)) and se <= UNIDENTIFIED and abs(coef) < limit
        effects.append({**by_key[str(row["covariate"])], "process": row["process"],
                        "process_label": PROCESSES[str(row["process"])],
                        "coefficient": coef, "standard_error": se if np.isfinite(se) else None,
                        "identified": ok,
                        "factor": float(np.exp(coef)),
                        "interval": [float(np.exp(coef - q * se)), float(np.exp(coef + q * se))]
                        if ok else [None, None]})
    order = {k: i for i, k in enumerate(keys)}
    effects.sort(key=lambda e: (order[e["key"]],
                                list(PROCESSES).index(e["process"])))
    dropout = {}
    a_eff = model.a_effects or (0.0,) * len(keys)
    b_eff = model.b_effects or (0.0,) * len(keys)
    for key, ea, eb in zip(keys, a_eff, b_eff, strict=True):
        a, b = model.a0 * np.exp(ea), model.b0 * np.exp(eb)
        dropout[key] = float(a / (a + b))
    df = len(effects)
    lr = max(0.0, 2 * (model.log_likelihood - plain_log_likelihood))
    return {
        **model.params, "log_likelihood": model.log_likelihood,
        "customers": int(np.asarray(frequency).size if weights is None else np.sum(weights)),
        "converged": model.converged, "interval_level": level, "reference": reference,
        "numeric": [c["covariate"] for c in levels if c["kind"] == "numeric"],
        "effects": effects,
        "mean_dropout": {"reference": model.a0 / (model.a0 + model.b0), **dropout},
        "likelihood_ratio": {"statistic": lr, "df": df, "p_value": float(chi2.sf(lr, df)),
                             "against": "bg_nbd"},
    }



def format_covariates(c: dict[str, Any]) -> str:
    """The effects as a text table, one block per level."""
    ref = ", ".join(f"{k}={v}" for k, v in c["reference"].items())
    lr = c["likelihood_ratio"]
    p = "< 0.0001" if lr["p_value"] < 1e-4 else f"= {lr['p_value']:.4f}"
    level = f"{100 * c['interval_level']:g} % interval"
    out = ["", "BG/NBD with covariates (Fader & Hardie 2007)",
           f"  reference levels: {ref or '(none: numeric covariates only)'}",
           *([f"  numeric, as they are (effect per unit): {', '.join(c['numeric'])}"]
             if c.get("numeric") else []),
           f"  r {c['r']:.4f}  alpha0 {c['alpha0']:.4f}  a0 {c['a0']:.4f}  b0 {c['b0']:.4f}  "
           f"(the reference customers' parameters)",
           f"  log-likelihood {c['log_likelihood']:.2f}; against BG/NBD without covariates: "
           f"LR {lr['statistic']:.2f} on {lr['df']} df, p {p}",
           f"  {'level':<24}{'customers':>10}  {'effect on':<14}{'coef':>9}{'std. error':>12}"
           f"{'e^coef':>9}  {level} of e^coef"]
    last = None
    for e in c["effects"]:
        key = e["key"]
        head = (f"  {key:<24}{e['customers']:>10,}" if key != last else f"  {'':<34}")
        if key != last and last is not None:
            out.append(f"  {'':<36}mean drop-out probability {c['mean_dropout'][last]:.3f} "
                       f"(reference {c['mean_dropout']['reference']:.3f})")
        last = key
        se = "nan" if e["standard_error"] is None else f"{e['standard_error']:.4f}"
        lo, hi = e["interval"]
        interval = "not identified" if lo is None else f"{lo:.4f} - {hi:.4f}"
        out.append(f"{head}  {PROCESSES[e['process']]:<14}{e['coefficient']:>9.4f}{se:>12}"
                   f"{e['factor']:>9.4f}  {interval}")
    if last is not None:
        out.append(f"  {'':<36}mean drop-out probability {c['mean_dropout'][last]:.3f} "
                   f"(reference {c['mean_dropout']['reference']:.3f})")
    out += ["  e^coef on the purchase rate multiplies the mean purchase rate r/alpha; on drop-out",
            "  a or b it multiplies a or b of the drop-out Beta (e^coef > 1 on a, or < 1 on b,",
            "  makes leaving after a purchase likelier: see the mean drop-out probability).",
            "  Each level is compared with the reference level, the other covariates fixed."]
    if not c["converged"]:
        out.append("  (the fit did not converge or an effect reached its bound: read the "
                   "effects with care)")
    out.append("")
    return "\n".join(out)
