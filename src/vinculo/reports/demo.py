"""The demo's objectives and dashboards: this month's objectives on the main indicators (set
a little above what last month measured, so some are on track and some behind), the
campaigns' return from three months back to this month's end, one for the northern sales
team and one for a representative, two reports shared with the roles that use them, and
every role's dashboard made with its defaults."""

from __future__ import annotations

import calendar
import datetime as dt
from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import override

from vinculo.core.audit import acting_as
from vinculo.core.demo import DemoContext
from vinculo.core.roles import Role
from vinculo.core.tenancy import organization_scope
from vinculo.reports import dashboards, services, services_objectives
from vinculo.reports.objectives import indicators, measure

#: indicator -> what the objective asks of last month's figure (× for sums and rates)
OBJECTIVES = {"revenue": "1.10", "new_customers": "1.20", "conversion_rate": "1.05",
              "on_time_delivery": "1.03", "fill_rate": "1.03", "retention": "1.05",
              "average_clv": "1.05", "sla_compliance": "1.05", "csat": "1.03", "nps": "1.10",
              "complaints": "0.80", "cost_to_serve": "0.95"}
ROI_TARGET = Decimal("150")  # campaigns' margin 1.5 times their cost, over their cost
CEILING = {"csat": Decimal(5), "nps": Decimal(100)}  # the top of a score's scale
FALLBACK = {"money": Decimal("1000"), "percent": Decimal("90"), "count": Decimal("10"),
            "score": Decimal("4")}


def _target(key: str, last: Decimal | None) -> Decimal:
    unit = indicators()[key].unit
    if last is None or last <= 0:
        return FALLBACK[unit]
    target = last * Decimal(OBJECTIVES[key])
    if unit == "percent":
        target = min(target, Decimal(100))
    target = min(target, CEILING.get(key, target))
    if unit == "count":
        target = target.quantize(Decimal(1))
    return target.quantize(Decimal("0.01"))


def generate(ctx: DemoContext) -> dict[str, int]:
    org = ctx.organization
    admin = ctx.users["admin"]
    today = ctx.now.date()
    start = today.replace(day=1)
    end = today.replace(day=calendar.monthrange(today.year, today.month)[1])
    last_end = start - dt.timedelta(days=1)
    last_start = last_end.replace(day=1)
    made = 0
    with organization_scope(org), acting_as(admin), override(org.language or "es"):
        for key in OBJECTIVES:
            if key not in indicators():
                continue
            last = measure(indicators()[key], organization=org, start=last_start,
                           end=last_end, owners=None)
            services_objectives.objective_create(actor=admin, data={
                "indicator": key, "start": start, "end": end, "target": _target(key, last)})
            made += 1
        if "campaign_roi" in indicators():
            # A campaign's return shows weeks after its start: the objective runs from three
            # months back, so it covers the demo campaign sent two months ago.
            first = start
            for _month in range(3):
                first = (first - dt.timedelta(days=1)).replace(day=1)
            services_objectives.objective_create(actor=admin, data={
                "indicator": "campaign_roi", "start": first, "end": end,
                "target": ROI_TARGET})
            made += 1
        north = ctx.users["rep.norte"]
        for data in ({"scope": "team", "team": north.team},
                     {"scope": "user", "user": ctx.users["rep.sur"]}):
            owners = ([north.pk] if data["scope"] == "team" else [ctx.users["rep.sur"].pk])
            last = measure(indicators()["revenue"], organization=org, start=last_start,
                           end=last_end, owners=owners)
            services_objectives.objective_create(actor=admin, data={
                "indicator": "revenue", "start": start, "end": end,
                "target": _target("revenue", last), **data})
            made += 1
        services.report_create(actor=admin, data={
            "name": _("Revenue by month"),
            "description": _("Net invoiced per month (invoices less credit notes)."),
            "definition": {"dataset": "invoices",
                           "group_by": [{"field": "issue_date", "bucket": "month"}],
                           "aggregates": [{"fn": "sum", "field": "net_amount"}],
                           "chart": "bar"},
            "shared_roles": [Role.ADMIN, Role.SALES_MANAGER, Role.SALES_REP, Role.ANALYST,
                             Role.READ_ONLY]})
        services.report_create(actor=admin, data={
            "name": _("Tickets by status"),
            "description": _("Open and closed tickets by their status."),
            "definition": {"dataset": "tickets", "group_by": [{"field": "status"}],
                           "aggregates": [{"fn": "count"}], "chart": "pie"},
            "shared_roles": [Role.ADMIN, Role.SERVICE_AGENT, Role.ANALYST, Role.READ_ONLY]})
        for role in Role.values:
            dashboards.dashboard_for(org, role)
    return {"objectives": made, "reports": 2, "dashboards": len(Role.values)}
