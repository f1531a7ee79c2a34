"""Objectives: what an indicator should reach in a period, against what it does.

The indicators are the apps' (``Contract.indicators``): each app measures its own figure
with its own selectors (``billing.indicators.revenue`` over ``revenue_between``…), so a rule
is never written twice; this module only names the period and the scope, and says whether
the period will make it at the current pace.

**Pace.** A figure that sums over the days (revenue, complaints: ``Indicator.additive``) is
projected linearly to the period's end: actual × days in the period ÷ days gone. A rate or
an average is projected at its current value. A period not started has no projection; a
period over is judged on its final figure.

**Trend.** The same indicator and scope over the previous periods of the same shape: the
previous calendar months when the period is whole months, else periods of as many days.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.formats import date_format

from vinculo.core import plugins
from vinculo.core.models import Organization, User
from vinculo.core.plugins import Indicator
from vinculo.core.roles import role_has
from vinculo.reports.models import Objective, ObjectiveScope

TREND_PERIODS = 3
MANAGE = "objectives.change"


@cache
def _indicators() -> dict[str, Indicator]:
    ordered = sorted(plugins.collect("indicators"), key=lambda i: (i.order, i.key))
    return {indicator.key: indicator for indicator in ordered}


def indicators() -> dict[str, Indicator]:
    """Every indicator the installed apps declared, by key, in their order."""
    return _indicators()


def indicator_label(key: str) -> str:
    indicator = indicators().get(key)
    return str(indicator.label) if indicator else key


def readable_indicators(user: User) -> dict[str, Indicator]:
    """The indicators whose figure ``user``'s role may read."""
    return {key: ind for key, ind in indicators().items() if role_has(user.role, ind.permission)}


def visible_objectives(user: User) -> QuerySet:
    """The objectives ``user`` sees: of indicators their role reads; those who set objectives
    see every scope, the others the organisation's, their team's and their own."""
    rows = Objective.objects.filter(indicator__in=list(readable_indicators(user)))
    if not role_has(user.role, MANAGE):
        mine = Q(scope=ObjectiveScope.ORGANIZATION) | Q(user_id=user.pk)
        if user.team_id is not None:
            mine |= Q(team_id=user.team_id)
        rows = rows.filter(mine)
    return rows.select_related("organization", "team", "user")


def owners_of(objective: Objective) -> list[int] | None:
    """The user ids whose records count: a team's members, one person; None: everyone."""
    if objective.scope == ObjectiveScope.TEAM:
        return list(User.objects.filter(team_id=objective.team_id).values_list("pk", flat=True))
    if objective.scope == ObjectiveScope.USER:
        return [objective.user_id]
    return None


def measure(indicator: Indicator, *, organization: Organization, start: dt.date,
            end: dt.date, owners: Collection[int] | None) -> Decimal | None:
    """The indicator's figure over ``start``–``end``, measured by the app that declares it."""
    value = plugins.resolve(indicator.measure)(
        organization=organization, start=start, end=end,
        owners=owners if indicator.by_owner else None)
    return None if value is None else Decimal(str(value))


def _month_end(day: dt.date) -> dt.date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def previous_periods(start: dt.date, end: dt.date, count: int) -> list[tuple[dt.date, dt.date]]:
    """The ``count`` periods before ``start``–``end`` of the same shape, oldest first."""
    periods = []
    if start.day == 1 and end == _month_end(end):
        months = (end.year - start.year) * 12 + end.month - start.month + 1
        for k in range(count, 0, -1):
            first = _add_months(start, -months * k)
            periods.append((first, _month_end(_add_months(first, months - 1))))
    else:
        length = (end - start).days + 1
        for k in range(count, 0, -1):
            first = start - dt.timedelta(days=length * k)
            periods.append((first, first + dt.timedelta(days=length - 1)))
    return periods


def period_label(start: dt.date, end: dt.date) -> str:
    """"March 2026" for a whole month, else the two dates, in the active language."""
    if start.day == 1 and end == _month_end(start):
        return date_format(start, "YEAR_MONTH_FORMAT")
    return f"{date_format(start, 'SHORT_DATE_FORMAT')} – {date_format(end, 'SHORT_DATE_FORMAT')}"


@dataclass(frozen=True)
class Pace:
    """Where a period stands on ``today``: days gone of the total, the figure projected to
    the end at the current pace, and whether that makes the objective."""

    state: str  # "upcoming", "running", "closed"
    days_gone: int
    days_total: int
    projected: Decimal | None
    on_track: bool | None


def pace(*, actual: Decimal | None, target: Decimal, start: dt.date, end: dt.date,
         today: dt.date, additive: bool, higher_is_better: bool) -> Pace:
    """Linear projection of an additive figure (actual × total days ÷ days gone), the
    current value of a rate; judged against ``target`` in the indicator's direction."""
    total = (end - start).days + 1
    if today < start:
        return Pace("upcoming", 0, total, None, None)
    gone = min((today - start).days + 1, total)
    state = "closed" if today > end else "running"
    if actual is None:
        return Pace(state, gone, total, None, None)
    projected = actual
    if additive and state == "running":
        projected = (actual * total / gone).quantize(Decimal("0.01"))
    on_track = projected >= target if higher_is_better else projected <= target
    return Pace(state, gone, total, projected, on_track)


@dataclass
class Progress:
    """An objective with its actual figure, pace and trend, as its card shows it."""

    objective: Objective
    indicator: Indicator
    actual: Decimal | None
    pace: Pace
    trend: list[dict[str, Any]] = field(default_factory=list)

    @property
    def attainment(self) -> float | None:
        """The actual as a share of the objective (%), for the bar."""
        if self.actual is None or not self.objective.target:
            return None
        return round(float(self.actual / self.objective.target * 100), 1)


def progress(objective: Objective, *, today: dt.date | None = None,
             trend: int = TREND_PERIODS) -> Progress:
    """The objective measured up to ``today`` (the organisation's today by default), with the
    same figure over the ``trend`` previous periods."""
    indicator = indicators()[objective.indicator]
    today = today or timezone.localdate()
    organization = objective.organization
    owners = owners_of(objective)
    actual = None
    if today >= objective.start:
        actual = measure(indicator, organization=organization, start=objective.start,
                         end=min(objective.end, today), owners=owners)
    rows = [{"start": first, "end": last, "label": period_label(first, last),
             "value": measure(indicator, organization=organization, start=first, end=last,
                              owners=owners)}
            for first, last in previous_periods(objective.start, objective.end, trend)]
    return Progress(objective, indicator, actual,
                    pace(actual=actual, target=objective.target, start=objective.start,
                         end=objective.end, today=today, additive=indicator.additive,
                         higher_is_better=indicator.higher_is_better), rows)
