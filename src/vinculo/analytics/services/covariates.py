"""What drives purchasing and drop-out: BG/NBD with the accounts' attributes as covariates.

At each recompute the purchase model is fitted once more with the time-invariant attributes
accounts carry (Fader & Hardie 2007, ``stats.covariates``): the acquisition channel
(``source``), the industry and the company size. The effects table — per attribute level
against the most common level, the effect on the purchase rate and on the drop-out Beta's a
and b, with standard errors, e^coef and its interval, the mean drop-out probability per level
and a likelihood-ratio test against BG/NBD without covariates — is stored in the run's
parameters (``covariates``) and shown on the analytics page. It explains differences between
groups; the snapshots keep the plain model's predictions.

Attributes are prepared so the model can be fitted: an empty value is its own level ("not
set"); levels held by fewer than :data:`MIN_CUSTOMERS` fitted customers are grouped as
"other" (and a still-too-small "other" joins the most common level); an attribute left with
one level is skipped and listed. Above :data:`SAMPLE` customers the fit uses a random sample
of that many (seeded by the date, so a rerun gives the same table): the effects' standard
errors then describe the sample.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np

from vinculo.analytics.analyst_covariates import effects_table
from vinculo.analytics.analyst_csv import InputError
from vinculo.analytics.services.summary import SqlSummary
from vinculo.analytics.stats.bgnbd import BGNBD
from vinculo.analytics.stats.covariates import design
from vinculo.customers.models import Account

#: The account attributes used as covariates, in the order of the table.
ATTRIBUTES = ("source", "industry", "size")
#: A level needs this many fitted customers, else it is grouped as "other".
MIN_CUSTOMERS = 50
#: The fit's sample size (the covariate fit costs ~50× the plain one per customer).
SAMPLE = 50_000
NOT_SET, OTHER = "", "__other__"


def prepared(values: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """An attribute's values with rare levels grouped (see the module), and those grouped."""
    out = np.asarray(values, dtype=object).astype(str)
    levels, counts = np.unique(out, return_counts=True)
    rare = [str(v) for v, c in zip(levels, counts, strict=True) if c < MIN_CUSTOMERS]
    if rare:
        out[np.isin(out, rare)] = OTHER
        if (out == OTHER).sum() < MIN_CUSTOMERS:
            levels, counts = np.unique(out[out != OTHER], return_counts=True)
            if levels.size:
                out[out == OTHER] = levels[np.argmax(counts)]
    return out, rare


def purchase_drivers(*, organization_id: int, as_of: dt.date, summary: SqlSummary,
                     level: float) -> dict[str, Any]:
    """The effects table for the run's parameters, or ``{"error": …}`` saying why none."""
    s = summary.for_model(as_of)
    x, tx, T = s["frequency"], s["recency"], s["T"]
    n = x.size
    if n == 0 or not (x > 0).any():
        return {"error": "no repeat purchases yet"}
    pick = np.arange(n)
    if n > SAMPLE:
        pick = np.sort(np.random.default_rng(as_of.toordinal()).choice(n, SAMPLE,
                                                                       replace=False))
    ids = summary.account[pick]
    rows = _attributes(organization_id, ids)
    values: dict[str, np.ndarray] = {}
    skipped: list[str] = []
    grouped: dict[str, list[str]] = {}
    for j, name in enumerate(ATTRIBUTES):
        col = np.array([rows.get(int(a), ("",) * len(ATTRIBUTES))[j] or NOT_SET for a in ids],
                       dtype=object)
        col, rare = prepared(col)
        if np.unique(col).size < 2:
            skipped.append(name)
            continue
        values[name] = col
        if rare:
            grouped[name] = rare
    if not values:
        return {"error": "the accounts' attributes do not vary", "skipped": skipped}
    built = design({k: v.tolist() for k, v in values.items()}, min_customers=2)
    try:
        plain = BGNBD.fit(x[pick], tx[pick], T[pick])
        table = effects_table(x[pick], tx[pick], T[pick], built, level=level,
                              plain_log_likelihood=plain.log_likelihood)
    except (ValueError, FloatingPointError, np.linalg.LinAlgError, InputError) as exc:
        return {"error": str(exc), "skipped": skipped}
    return {**table, "attributes": list(values), "skipped": skipped, "grouped": grouped,
            "sample": int(pick.size), "customers_total": int(n)}


def _attributes(organization_id: int, ids: np.ndarray) -> dict[int, tuple[str, ...]]:
    out: dict[int, tuple[str, ...]] = {}
    for start in range(0, ids.size, 5000):
        chunk = ids[start:start + 5000].tolist()
        for pk, *attrs in (Account.all_objects.filter(organization_id=organization_id,
                                                      pk__in=chunk)
                           .values_list("pk", *ATTRIBUTES)):
            out[pk] = tuple(attrs)
    return out
