"""Writes of objectives and of the roles' dashboards.

Objectives are set by those who run the company (``objectives.add``/``change``/``delete``:
administrators and sales managers) on indicators their role reads; each refusal names the
field at fault. Dashboards are arranged by administrators (``reports.dashboards``).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from vinculo.core.models import Team, User
from vinculo.core.services import org_id, refuse_unknown, require, same_org, versioned_save
from vinculo.reports.models import Dashboard, Objective, ObjectiveScope, Report, Widget
from vinculo.reports.objectives import readable_indicators

OBJECTIVE_FIELDS = ("indicator", "scope", "team", "user", "start", "end", "target")
TARGET_LIMIT = Decimal("99999999999999")


def _objective_values(actor: User, data: dict[str, Any],
                      objective: Objective | None) -> dict[str, Any]:
    """The checked values of ``data`` merged over the objective's; every error by field."""
    current = {name: getattr(objective, name) for name in OBJECTIVE_FIELDS} if objective else {}
    values = {**current, **data}
    errors: dict[str, str] = {}
    indicator = readable_indicators(actor).get(str(values.get("indicator") or ""))
    if indicator is None:
        errors["indicator"] = _("Unknown indicator: choose one from the list.")
    scope = values.get("scope") or ObjectiveScope.ORGANIZATION
    if scope not in ObjectiveScope.values:
        errors["scope"] = _("Choose the organisation, a team or a person.")
    team, user = values.get("team"), values.get("user")
    organization_id = org_id(actor)
    if team is not None and not isinstance(team, Team):
        errors["team"] = _("Not found.")
    if user is not None and not isinstance(user, User):
        errors["user"] = _("Not found.")
    if not errors:
        same_org(organization_id, team=team)
        if user is not None and user.organization_id != organization_id:
            raise ValidationError({"user": _("Not found.")})
    if scope == ObjectiveScope.TEAM and team is None:
        errors["team"] = _("Choose the team the objective is for.")
    if scope == ObjectiveScope.USER and user is None:
        errors["user"] = _("Choose the person the objective is for.")
    if scope != ObjectiveScope.TEAM:
        team = None
    if scope != ObjectiveScope.USER:
        user = None
    if indicator is not None and scope != ObjectiveScope.ORGANIZATION and not indicator.by_owner:
        errors["scope"] = _("%(indicator)s is measured for the whole organisation only.") % {
            "indicator": indicator.label}
    start, end = values.get("start"), values.get("end")
    if not isinstance(start, dt.date):
        errors["start"] = _("Give the first day of the period.")
    if not isinstance(end, dt.date):
        errors["end"] = _("Give the last day of the period.")
    elif isinstance(start, dt.date) and end < start:
        errors["end"] = _("The period ends before it starts.")
    try:
        target = Decimal(str(values.get("target")))
        if not target.is_finite():
            raise InvalidOperation
    except (InvalidOperation, ValueError):
        errors["target"] = _("Give the objective as a number.")
    else:
        if indicator is not None and indicator.unit in ("percent", "count", "money") \
                and target < 0:
            errors["target"] = _("The objective cannot be negative.")
        elif indicator is not None and indicator.unit == "percent" and target > 100:
            errors["target"] = _("A percentage cannot be over 100.")
        elif abs(target) > TARGET_LIMIT:
            errors["target"] = _("The objective is too large.")
        else:
            target = target.quantize(Decimal("0.01"))
    if errors or indicator is None:
        raise ValidationError(errors)
    return {"indicator": indicator.key, "scope": scope, "team": team, "user": user,
            "start": start, "end": end, "target": target}


@transaction.atomic
def objective_create(*, actor: User, data: dict[str, Any]) -> Objective:
    require(actor, "objectives.add")
    refuse_unknown(data, OBJECTIVE_FIELDS)
    values = _objective_values(actor, data, None)
    return Objective.objects.create(organization_id=org_id(actor), **values)


@transaction.atomic
def objective_update(*, actor: User, objective: Objective, data: dict[str, Any],
                     expected_version: int | None) -> Objective:
    require(actor, "objectives.change")
    refuse_unknown(data, OBJECTIVE_FIELDS)
    values = _objective_values(actor, data, objective)
    for name, value in values.items():
        setattr(objective, name, value)
    return versioned_save(objective, expected_version=expected_version, fields=list(values))


@transaction.atomic
def objective_delete(*, actor: User, objective: Objective) -> None:
    """Remove the objective (and its cards on the dashboards)."""
    require(actor, "objectives.delete")
    objective.delete()


# ---- dashboards --------------------------------------------------------------------------------


@transaction.atomic
def widget_add(*, actor: User, dashboard: Dashboard, report: Report | None = None,
               objective: Objective | None = None) -> Widget:
    """Put a saved report or an objective at the end of the dashboard."""
    require(actor, "reports.dashboards")
    if (report is None) == (objective is None):
        raise ValidationError({"widget": _("Choose a report or an objective.")})
    same_org(org_id(actor), report=report, objective=objective, dashboard=dashboard)
    last = dashboard.widgets.aggregate(last=Max("position"))["last"]
    return Widget.objects.create(organization_id=dashboard.organization_id,
                                 dashboard=dashboard, report=report, objective=objective,
                                 position=0 if last is None else last + 1)


@transaction.atomic
def widget_remove(*, actor: User, widget: Widget) -> None:
    require(actor, "reports.dashboards")
    widget.delete()


@transaction.atomic
def widget_move(*, actor: User, widget: Widget, step: int) -> None:
    """Swap the widget with its neighbour before (``step`` −1) or after (+1)."""
    require(actor, "reports.dashboards")
    widgets = list(Widget.objects.select_for_update().filter(dashboard_id=widget.dashboard_id))
    index = next(i for i, w in enumerate(widgets) if w.pk == widget.pk)
    other = index + (1 if step > 0 else -1)
    if not 0 <= other < len(widgets):
        return
    widgets[index], widgets[other] = widgets[other], widgets[index]
    for position, row in enumerate(widgets):
        if row.position != position:
            row.position = position
            row.save(update_fields=["position", "updated_at"])
