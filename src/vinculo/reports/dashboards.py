"""Management dashboards, one per role: cards of saved reports and objectives that the
administrator arranges (``services_objectives.widget_*``).

A role's dashboard is made the first time it is opened, with the defaults of its family
(sales, service, marketing, management): the organisation's current objectives on the
family's indicators, then the reports shared with the role. Each reader sees only the cards
they may read: a report among their ``visible_reports`` whose definition still passes
``check`` as them (it then runs with their rights), an objective among their
``visible_objectives``.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from vinculo.core.models import Organization, User
from vinculo.core.roles import Role
from vinculo.reports.definition import check
from vinculo.reports.models import Dashboard, Objective, ObjectiveScope, Report, Widget
from vinculo.reports.objectives import indicators, progress, visible_objectives
from vinculo.reports.selectors import visible_reports

FAMILY = {
    Role.SALES_MANAGER: "sales", Role.SALES_REP: "sales", Role.SERVICE_AGENT: "service",
    Role.MARKETING: "marketing", Role.ADMIN: "management", Role.ANALYST: "management",
    Role.READ_ONLY: "management",
}
DEFAULT_INDICATORS = {
    "sales": ("revenue", "new_customers", "conversion_rate", "on_time_delivery"),
    "service": ("sla_compliance", "csat", "nps", "complaints"),
    "marketing": ("new_customers", "retention", "conversion_rate", "average_clv",
                  "campaign_roi"),
    "management": ("revenue", "retention", "average_clv", "on_time_delivery",
                   "sla_compliance", "cost_to_serve"),
}
DEFAULT_REPORTS = 4


def _defaults(dashboard: Dashboard) -> None:
    wanted = [key for key in DEFAULT_INDICATORS[FAMILY[dashboard.role]] if key in indicators()]
    today = timezone.localdate()
    current = {o.indicator: o for o in Objective.objects.filter(
        scope=ObjectiveScope.ORGANIZATION, indicator__in=wanted, start__lte=today,
        end__gte=today).order_by("end", "id")}
    reports = Report.objects.filter(shares__role=dashboard.role).order_by("name", "id")
    widgets = [Widget(organization_id=dashboard.organization_id, dashboard=dashboard,
                      objective=current[key]) for key in wanted if key in current]
    widgets += [Widget(organization_id=dashboard.organization_id, dashboard=dashboard,
                       report=report) for report in reports[:DEFAULT_REPORTS]]
    for position, widget in enumerate(widgets):
        widget.position = position
    Widget.objects.bulk_create(widgets)


def dashboard_for(organization: Organization, role: str) -> Dashboard:
    """The role's dashboard, made with its defaults the first time."""
    found = Dashboard.objects.filter(role=role).first()
    if found is not None:
        return found
    try:
        with transaction.atomic():
            dashboard = Dashboard.objects.create(organization=organization, role=role)
            _defaults(dashboard)
    except IntegrityError:  # made meanwhile by another request
        return Dashboard.objects.get(role=role)
    return dashboard


def cards(dashboard: Dashboard, user: User) -> list[dict[str, Any]]:
    """The dashboard's widgets ``user`` may read, in order: ``{"widget", "report"}`` or
    ``{"widget", "progress"}`` (the objective measured now)."""
    widgets = list(dashboard.widgets.select_related("report", "objective"))
    report_ids = {w.report_id for w in widgets if w.report_id}
    readable = set(visible_reports(user).filter(pk__in=report_ids).values_list("pk", flat=True))
    objectives = {o.pk: o for o in visible_objectives(user).filter(
        pk__in=[w.objective_id for w in widgets if w.objective_id])}
    out: list[dict[str, Any]] = []
    for widget in widgets:
        if widget.report_id in readable:
            try:
                check(widget.report.definition, user)
            except ValidationError:
                continue
            out.append({"widget": widget, "report": widget.report})
        elif widget.objective_id in objectives:
            out.append({"widget": widget,
                        "progress": progress(objectives[widget.objective_id])})
    return out
