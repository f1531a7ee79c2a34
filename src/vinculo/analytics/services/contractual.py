"""Contract customers: retention and CLV from the shifted-beta-geometric model (sBG).

A customer with recurring contracts (``vinculo.contracts``) does not "buy when they feel like
it": at each renewal date they renew or leave, and leaving is seen. BG/NBD guesses a drop-out
nobody sees; for these accounts the contractual model is the right one (Fader & Hardie 2007,
2010). The recompute therefore fits sBG on the organisation's contract renewals and, for the
accounts that have contracts, replaces the purchase model's P(alive) and CLV:

* **Data.** One row per contract (its chain of terms, ``contracts.selectors.contract_chains``)
  started by the date: the number of renewal decisions it has been through and whether the
  customer left at the last one (cancelled or lapsed) or is still a customer (censored). sBG
  counts decisions, so contracts are fitted **per term length** (yearly ones apart from
  monthly ones); a term length whose data cannot identify the model (nobody renewed, nobody
  left) is reported with the model's refusal and its accounts keep the purchase model.
* **Retention probability** (stored in ``p_alive``): the chance that the account renews its
  main contract (the one with the largest value per term) at its next renewal date, given the
  n renewals it already made: (δ + n) / (γ + δ + n) — the posterior of the customer's churn
  probability after n renewals is Beta(γ, δ + n), so long-standing customers are more likely to
  stay. An account whose contracts have all ended has 0.
* **CLV** = Σ over its running contracts of value per term × DERL (discounted expected residual
  lifetime in terms, the next payment undiscounted; Fader & Hardie 2010, eq. 6), at the run's
  monthly discount rate compounded over the term. Unlike the purchase model's CLV it is not
  cut at the horizon: a contract is valued over the customer's expected remaining lifetime,
  and it is revenue (the contract's value), not margin. 0 for an account whose contracts ended.
* **Intervals**: delta method on (γ, δ) with their Hessian standard errors (``stats.
  uncertainty``), per distinct number of renewals; an account with several contracts gets
  the sum of the bounds (a conservative interval).

The run's parameters record it under ``contracts``: the fits, the retention curve of each
(observed vs fitted survivors by renewal), how many accounts were scored and why, and the
accounts with contracts but no purchase history (no snapshot to write them on).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np

from vinculo.analytics.stats.sbg import ShiftedBetaGeometric
from vinculo.analytics.stats.uncertainty import delta_interval, parameter_uncertainty
from vinculo.contracts.selectors import Chains, contract_chains

#: Why the accounts with contracts are scored by sBG (``parameters["contracts"]["reason"]``).
REASON = "contractual"


@dataclass
class ContractScores:
    """Per account of the summary: which are scored by sBG, and their values (NaN elsewhere)."""

    scored: np.ndarray  # bool
    retention: np.ndarray
    retention_lower: np.ndarray
    retention_upper: np.ndarray
    clv: np.ndarray
    clv_lower: np.ndarray
    clv_upper: np.ndarray
    parameters: dict[str, Any]


def renewals_and_churn(chains: Chains) -> tuple[np.ndarray, np.ndarray]:
    """(decisions observed, churned) per contract, as sBG takes them: a customer who left went
    through ``terms`` decisions, the last a churn; one still there through ``terms - 1``
    renewals, censored (their next decision is not known yet)."""
    t = np.where(chains.ended, chains.terms, chains.terms - 1)
    return t, chains.ended.copy()


def fit_term(t: np.ndarray, churned: np.ndarray, level: float) -> tuple[Any, Any, dict]:
    """sBG on one term length's contracts (those with at least one decision)."""
    keep = t > 0
    pattern, weight = np.unique(np.column_stack([t[keep], churned[keep]]), axis=0,
                                return_counts=True)
    sbg = ShiftedBetaGeometric.fit(pattern[:, 0], pattern[:, 1].astype(bool), weight)
    unc = parameter_uncertainty(sbg, pattern[:, 0], pattern[:, 1].astype(float),
                                weights=weight.astype(float))
    return sbg, unc, {**sbg.params, **unc.as_dict(level),
                      "log_likelihood": sbg.log_likelihood, "contracts": int(keep.sum())}


def survival_table(chains: Chains, mask: np.ndarray, as_of: dt.date, months: int,
                   sbg: ShiftedBetaGeometric) -> list[dict[str, Any]]:
    """Per renewal t: contracts old enough to have reached it, how many were still running
    after it (actual) and how many sBG expects (fitted n·S(t)) — the check that the fit
    follows the data. A contract that ended counts for every renewal date its age reached."""
    epoch = np.datetime64("1970-01-01", "D")
    first = (epoch + chains.first_start[mask]).astype("datetime64[M]")
    now = np.datetime64(as_of, "M")
    age = ((now - first).astype(np.int64) // months).astype(np.int64)
    terms, ended = chains.terms[mask], chains.ended[mask]
    observed = np.where(ended, np.maximum(terms, age), terms - 1)
    rows = []
    for t in range(int(observed.max(initial=0)) + 1):
        seen = observed >= t
        n = int(seen.sum())
        if n == 0:
            break
        survived = int((seen & (terms - 1 >= t)).sum())
        rows.append({"renewal": t, "observed": n, "actual": survived,
                     "fitted": float(n * sbg.survival(t))})
    return rows


def _derl(model: ShiftedBetaGeometric, *, rate: float, renewals: np.ndarray) -> np.ndarray:
    return model.derl(rate, renewals)


def _keep(model: ShiftedBetaGeometric, *, renewals: np.ndarray) -> np.ndarray:
    """P(renewing at the next decision) after ``renewals`` renewals: r(n + 1)."""
    return model.retention_rate(renewals + 1)


def contract_scores(*, organization_id: int, as_of: dt.date, accounts: np.ndarray,
                    monthly_discount_rate: float, level: float) -> ContractScores | None:
    """sBG scores for the accounts (``accounts``: the summary's ascending ids) that have
    contracts; None when the organisation has no contract started by ``as_of``."""
    chains = contract_chains(organization_id=organization_id, as_of=as_of)
    if not len(chains):
        return None
    n = accounts.size
    nan = np.full(n, np.nan)
    out = ContractScores(np.zeros(n, bool), nan.copy(), nan.copy(), nan.copy(), nan.copy(),
                         nan.copy(), nan.copy(), {})
    t, churned = renewals_and_churn(chains)
    fits: list[dict[str, Any]] = []
    # Per contract: its value over its expected remaining lifetime with bounds, and its
    # retention probability with bounds; NaN where its term length could not be fitted.
    value = np.full(len(chains), np.nan)
    value_lo, value_hi = value.copy(), value.copy()
    keep_p, keep_lo, keep_hi = value.copy(), value.copy(), value.copy()
    for months in np.unique(chains.term_months):
        mask = chains.term_months == months
        entry: dict[str, Any] = {"term_months": int(months), "customers": int(
            np.unique(chains.account[mask]).size), "running": int((mask & ~chains.ended).sum()),
            "ended": int((mask & chains.ended).sum())}
        fits.append(entry)
        try:
            sbg, unc, params = fit_term(t[mask], churned[mask], level)
        except ValueError as exc:
            entry["error"] = str(exc)
            continue
        rate = (1 + monthly_discount_rate) ** int(months) - 1
        entry.update(sbg=params, period_discount_rate=rate,
                     retention=survival_table(chains, mask, as_of, int(months), sbg))
        running = mask & ~chains.ended
        ended = mask & chains.ended
        value[ended] = value_lo[ended] = value_hi[ended] = 0.0
        keep_p[ended] = keep_lo[ended] = keep_hi[ended] = 0.0
        if running.any():
            renewals = (chains.terms[running] - 1).astype(float)
            distinct, inverse = np.unique(renewals, return_inverse=True)
            derl = delta_interval(partial(_derl, rate=rate, renewals=distinct), sbg, unc,
                                  level=level)
            keep = delta_interval(partial(_keep, renewals=distinct), sbg, unc, level=level,
                                  scale="logit")
            v = chains.value[running]
            value[running] = v * derl.estimate[inverse]
            value_lo[running] = v * derl.lower[inverse]
            value_hi[running] = v * derl.upper[inverse]
            keep_p[running] = keep.estimate[inverse]
            keep_lo[running], keep_hi[running] = keep.lower[inverse], keep.upper[inverse]
    fitted = np.isfinite(value)
    # Per account: the sum over its contracts; the retention of its main running contract.
    position = np.searchsorted(accounts, chains.account)
    found = (position < n) & (accounts[np.minimum(position, n - 1)] == chains.account)
    use = fitted & found
    idx = position[use]
    out.scored[idx] = True
    for target, source in ((out.clv, value), (out.clv_lower, value_lo),
                           (out.clv_upper, value_hi)):
        target[out.scored] = 0.0
        np.add.at(target, idx, np.nan_to_num(source[use]))
    out.retention[out.scored] = 0.0
    out.retention_lower[out.scored] = 0.0
    out.retention_upper[out.scored] = 0.0
    # The main contract: the running one with the largest value per term (ties: the first).
    weight = np.where(chains.ended, -1.0, chains.value)
    order = np.lexsort((-weight[use], idx))  # by account, then largest value first
    first = np.ones(order.size, bool)
    first[1:] = idx[order][1:] != idx[order][:-1]
    main = np.flatnonzero(use)[order[first]]
    at = position[main]
    out.retention[at] = keep_p[main]
    out.retention_lower[at] = keep_lo[main]
    out.retention_upper[at] = keep_hi[main]
    with_contracts = np.unique(chains.account)
    out.parameters = {
        "model": "sbg", "reason": REASON, "fits": fits,
        "accounts": int(out.scored.sum()),
        "accounts_with_contracts": int(with_contracts.size),
        "accounts_without_history": int(np.setdiff1d(with_contracts, accounts).size),
        "accounts_not_fitted": int(np.unique(chains.account[~fitted & found]).size
                                   - np.intersect1d(np.unique(chains.account[~fitted & found]),
                                                    np.unique(chains.account[use])).size),
    }
    return out


def apply(scores: Any, contract: ContractScores | None, purchase_model: str) -> np.ndarray:
    """Put the sBG values of the contract accounts into ``scores`` (P(alive) column: their
    retention probability; CLV) and answer the model of each account: ``"sbg"`` for them,
    ``purchase_model`` for the others that were scored, ``""`` where nothing was."""
    from vinculo.analytics.services.scoring import value_tiers
    from vinculo.analytics.stats.uncertainty import Interval

    n = len(scores.summary)
    label = np.full(n, purchase_model if scores.p_alive is not None else "", dtype=object)
    if contract is None or not contract.scored.any():
        return label.astype(str)
    s = contract.scored
    label[s] = "sbg"
    nan = np.full(n, np.nan)
    intervals = dict(scores.intervals or {})
    for name, est, lo, hi in (
            ("p_alive", contract.retention, contract.retention_lower, contract.retention_upper),
            ("clv", contract.clv, contract.clv_lower, contract.clv_upper)):
        old = intervals.get(name)
        base = getattr(scores, name)
        estimate = np.array(base if base is not None else nan, dtype=float)
        lower = np.array(old.lower if old is not None else nan, dtype=float)
        upper = np.array(old.upper if old is not None else nan, dtype=float)
        estimate[s], lower[s], upper[s] = est[s], lo[s], hi[s]
        setattr(scores, name, estimate)
        intervals[name] = Interval(estimate, lower, upper)
    scores.intervals = intervals
    scores.value_tier = value_tiers(scores.clv, scores.profit)
    return label.astype(str)
