"""The rules of the next-best action, in one place, each with the reason it gives in words.

Every rule reads the same facts about one account (``selectors.account_facts``): from the
latest finished analytics snapshot — value tier, CLV, P(alive) then and at the snapshot
before, repeat purchases (``frequency``), ``T`` (days since the first purchase) and
``recency_days`` at the snapshot —, and from the account's activity today — the date of its
last order that was not cancelled, the complaints still open.

*Key customers* are the top value tiers (Platinum and Gold: the top 20 % by CLV, see
``analytics/services/scoring.py``); *at risk* are customers of any profitable tier whose
P(alive) falls. The rules, checked in this order (an account may have one open suggestion per
rule):

``complaint_open``
    A key customer has a complaint open: call them (whoever owns the account), so the
    complaint is heard by the person who sells to them. Reason: "complaint open for 12 days,
    CLV 3.844,00 €: call".
``p_alive_falling``
    P(alive) fell by at least ``P_ALIVE_DROP`` (15 points) between the last two snapshots,
    for a Platinum, Gold or Iron customer: visit a Platinum one, call the others. Reason:
    "P(alive) fell from 82 % to 41 %, CLV …: visit".
``overdue``
    A key customer with at least ``MIN_REPEATS`` repeat purchases has not ordered for
    ``OVERDUE_FACTOR`` (1.5) times their usual interval, where the usual interval is the mean
    time between purchases, ``(T − recency) / frequency`` days (the span from the first to
    the last purchase over the repeat purchases). Visit a Platinum one, call a Gold one.
    Reason: "usually buys every 34 days, last order 81 days ago, CLV 3.844,00 €: call".

An accepted suggestion is a *hit* when the account orders within ``HIT_DAYS`` days of the
task being done (or of its enrolment in a campaign), a *miss* when that window passes without
an order or the task is cancelled; each rule's hit rate is hits / (hits + misses).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from vinculo.core.formats import format_money, format_number

KEY_TIERS = ("Platinum", "Gold")
AT_RISK_TIERS = ("Platinum", "Gold", "Iron")
P_ALIVE_DROP = 0.15
MIN_REPEATS = 2
OVERDUE_FACTOR = 1.5
HIT_DAYS = 30


@dataclass(frozen=True)
class Rule:
    key: str
    label: Any  # lazy text
    description: Any
    check: Callable[[dict[str, Any]], str | None]  # facts -> action, or None


def usual_interval(facts: dict[str, Any]) -> float | None:
    """Mean days between purchases: (T − recency) / frequency; None without repeats."""
    frequency = facts.get("frequency") or 0
    if frequency < 1:
        return None
    return (facts["T"] - facts["recency_days"]) / frequency


def days_since_order(facts: dict[str, Any], today: dt.date) -> int:
    return (today - dt.date.fromisoformat(facts["last_order"])).days


def _complaint_open(facts: dict[str, Any]) -> str | None:
    if facts.get("tier") in KEY_TIERS and facts.get("complaint_since"):
        return "call"
    return None


def _p_alive_falling(facts: dict[str, Any]) -> str | None:
    now, before = facts.get("p_alive"), facts.get("p_alive_before")
    if facts.get("tier") not in AT_RISK_TIERS or now is None or before is None:
        return None
    if before - now >= P_ALIVE_DROP:
        return "visit" if facts["tier"] == "Platinum" else "call"
    return None


def _overdue(facts: dict[str, Any]) -> str | None:
    if facts.get("tier") not in KEY_TIERS or (facts.get("frequency") or 0) < MIN_REPEATS:
        return None
    interval = usual_interval(facts)
    if not interval or interval <= 0:
        return None
    today = dt.date.fromisoformat(facts["today"])
    if days_since_order(facts, today) > OVERDUE_FACTOR * interval:
        return "visit" if facts["tier"] == "Platinum" else "call"
    return None


RULES: tuple[Rule, ...] = (
    Rule("complaint_open", gettext_lazy("Key customer with a complaint open"),
         gettext_lazy("A Platinum or Gold customer has a complaint that is not resolved."),
         _complaint_open),
    Rule("p_alive_falling", gettext_lazy("Falling P(alive)"),
         gettext_lazy("P(alive) fell by 15 points or more between the last two analytics "
                      "snapshots (Platinum, Gold or Iron)."),
         _p_alive_falling),
    Rule("overdue", gettext_lazy("Overdue for an order"),
         gettext_lazy("A Platinum or Gold customer with at least two repeat purchases has not "
                      "ordered for 1.5 times their usual interval between purchases."),
         _overdue),
)
BY_KEY = {rule.key: rule for rule in RULES}


def evaluate(facts: dict[str, Any]) -> list[tuple[str, str]]:
    """``(rule key, action)`` for every rule that fires on ``facts``."""
    fired = []
    for rule in RULES:
        action = rule.check(facts)
        if action:
            fired.append((rule.key, action))
    return fired


def rule_label(key: str) -> str:
    rule = BY_KEY.get(key)
    return str(rule.label) if rule else key


def action_label(action: str) -> str:
    return {"call": _("call"), "visit": _("visit")}.get(action, action)


def reason(rule: str, action: str, facts: dict[str, Any], *, today: dt.date) -> str:
    """The reason in words, in the active language and its number formats."""
    parts: list[str] = []
    if rule == "complaint_open" and facts.get("complaint_since"):
        days = (today - dt.date.fromisoformat(facts["complaint_since"])).days
        parts.append(_("complaint open for %(days)s days") % {"days": format_number(days)})
    elif rule == "p_alive_falling":
        parts.append(_("P(alive) fell from %(before)s %% to %(now)s %%") % {
            "before": format_number(100 * facts["p_alive_before"]),
            "now": format_number(100 * facts["p_alive"])})
    elif rule == "overdue":
        interval = usual_interval(facts) or 0
        parts.append(_("usually buys every %(days)s days") % {
            "days": format_number(round(interval))})
        parts.append(_("last order %(days)s days ago") % {
            "days": format_number(days_since_order(facts, today))})
    if facts.get("clv") is not None:
        parts.append(_("CLV %(clv)s") % {"clv": format_money(facts["clv"], facts.get(
            "currency", ""))})
    return _("%(facts)s: %(action)s") % {"facts": ", ".join(parts),
                                          "action": action_label(action)}
