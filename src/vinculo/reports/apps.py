"""Reports built from the report backwards: datasets the apps declare, definitions compiled to
one aggregate query, saved and shared reports with their chart and exports. The top layer."""

import datetime as dt

from django.utils.translation import gettext_lazy as _

from vinculo.core.plugins import ApiRoute, Contract, DemoGenerator, Job, MenuItem, VinculoApp
from vinculo.core.roles import ALL, Role, only


class ReportsConfig(VinculoApp):
    name = "vinculo.reports"
    label = "reports"
    verbose_name = _("Reports")
    contract = Contract(
        url_prefix="reports/",
        api_routes=(ApiRoute("reports", "vinculo.reports.api.ReportViewSet", "report"),
                    ApiRoute("objectives", "vinculo.reports.api_objectives.ObjectiveViewSet",
                             "objective")),
        permissions={
            # Anyone reads the reports shared with them and builds their own over the datasets
            # their role reads; sharing with roles and teams is for those who run the company.
            "reports.view": ALL,
            "reports.add": ALL,
            "reports.change": ALL,
            "reports.delete": ALL,
            "reports.share": only(Role.ADMIN, Role.SALES_MANAGER, Role.ANALYST),
            # a file of the rows leaves the application: the roles that may export the
            # customer lists (customers.export), for every export and every e-mailed schedule
            "reports.export": only(Role.ADMIN, Role.SALES_MANAGER, Role.MARKETING, Role.ANALYST),
            # objectives: everyone sees those of the indicators their role reads (theirs, their
            # team's, the organisation's); administrators and managers set them
            "objectives.view": ALL,
            "objectives.add": only(Role.ADMIN, Role.SALES_MANAGER),
            "objectives.change": only(Role.ADMIN, Role.SALES_MANAGER),
            "objectives.delete": only(Role.ADMIN, Role.SALES_MANAGER),
            # each role's management dashboard is arranged by the administrator
            "reports.dashboards": only(Role.ADMIN),
        },
        # in analytics' dropdown (a later section), not an entry of its own on the bar
        menu_items=(MenuItem("analytics", _("Dashboard"), "reports:dashboard",
                             permission="reports.view", section=1),
                    MenuItem("analytics", _("Reports"), "reports:report_list",
                             permission="reports.view", section=1, order=1),
                    MenuItem("analytics", _("Objectives"), "reports:objective_list",
                             permission="objectives.view", section=1, order=2)),
        demo=DemoGenerator("vinculo.reports.demo.generate", order=990),
        jobs=(Job("reports_send", ("--all",), every=dt.timedelta(minutes=5)),),
    )
