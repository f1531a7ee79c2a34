"""The analytics Django app: snapshots, runs, cost rates, pages and API over the pure library.

``vinculo.analytics`` itself (summary, rfm, bgnbd, …) imports no Django; only the modules named
in ``docs/architecture.md`` (models, services, selectors, views, api, tasks, admin) do.
"""

import datetime as dt

from django.utils.translation import gettext_lazy as _

from vinculo.core.plugins import (
    ApiRoute,
    Capture,
    Contract,
    Dataset,
    DatasetField,
    DatasetJoin,
    DemoGenerator,
    Event,
    HomePanel,
    Indicator,
    Job,
    Menu,
    MenuItem,
    VinculoApp,
)
from vinculo.core.roles import Role, only

_ANALYSTS = only(Role.ADMIN, Role.SALES_MANAGER, Role.ANALYST)
_FIGURES = _ANALYSTS | only(Role.READ_ONLY)


class AnalyticsConfig(VinculoApp):
    name = "vinculo.analytics"
    label = "analytics"
    verbose_name = _("Analytics")
    contract = Contract(
        url_prefix="analytics/",
        api_routes=(
            ApiRoute("analytics/accounts", "vinculo.analytics.api.AccountSnapshotViewSet",
                     "analytics-account"),
            ApiRoute("analytics", "vinculo.analytics.api.AnalyticsViewSet", "analytics"),
        ),
        permissions={
            "analytics.view": _ANALYSTS,
            "analytics.run": _ANALYSTS,
            # the home page's key figures and the customer lists behind them: those who
            # follow the whole organisation's figures (read-only sees figures only)
            "analytics.figures": _FIGURES,
            "analytics.manage": only(Role.ADMIN, Role.ANALYST),
        },
        # a dropdown: the reports (any role) sit in it too, so the bar keeps one entry for
        # both and fits 1366 px in Spanish
        menus=(Menu("analytics", _("Analytics"), order=70),),
        menu_items=(
            MenuItem("analytics", _("Customer analytics"), "analytics:dashboard",
                     permission="analytics.view"),
            MenuItem("analytics", _("Demand forecast"), "analytics:forecast",
                     permission="analytics.view", order=1),
            MenuItem("analytics", _("Model validation"), "analytics:validation",
                     permission="analytics.view", order=2),
        ),
        home_panels=(
            HomePanel("key_figures", "analytics/home/figures.html",
                      "vinculo.analytics.home.key_figures", "analytics.figures", order=40,
                      first_for=_FIGURES),
        ),
        jobs=(Job("analytics_recompute", ("--all",), daily_at=dt.time(2, 15)),),
        demo=DemoGenerator("vinculo.analytics.demo.generate", order=900,
                           estimate="vinculo.analytics.demo.estimate"),
        events=(
            Event("snapshot.recomputed", "Every customer's analytics snapshot (RFM, P(alive), "
                  "CLV, profit, value tier) was recomputed for a date.",
                  {"as_of": "ISO date of the snapshot", "customers": "how many were scored"}),
        ),
        datasets=(
            # The snapshots of the accounts the user may read (their record rule).
            Dataset("snapshots", _("Analytics snapshots"), "analytics.CustomerSnapshot",
                    "analytics.view", fields=(
                        DatasetField("as_of"), DatasetField("first_purchase"),
                        DatasetField("last_purchase"), DatasetField("recency_days"),
                        DatasetField("frequency"), DatasetField("monetary", type="money"),
                        DatasetField("r_score"), DatasetField("f_score"),
                        DatasetField("m_score"), DatasetField("rfm_segment"),
                        DatasetField("p_alive"), DatasetField("expected_purchases"),
                        DatasetField("clv", type="money"), DatasetField("revenue", type="money"),
                        DatasetField("cost_of_goods", type="money"),
                        DatasetField("cost_to_serve", type="money"),
                        DatasetField("profit", type="money"), DatasetField("profit_segment"),
                        DatasetField("value_tier")),
                    joins=(DatasetJoin("account", "accounts", "account", _("Account")),),
                    parent="account", date_field="as_of", order=120,
                    capture=(Capture(_("Nightly analytics recomputation"), "computed",
                                     url="analytics:dashboard"),)),
        ),
        indicators=(
            Indicator("retention", _("Retention"), "vinculo.analytics.indicators.retention",
                      "percent", "analytics.view", order=30,
                      definition=_("Mean share of a month's buyers who bought again the next "
                                   "month, over the complete months of the period.")),
            Indicator("average_clv", _("Average CLV"),
                      "vinculo.analytics.indicators.average_clv", "money", "analytics.view",
                      order=50, definition=_("Mean customer lifetime value in the newest "
                                             "analytics snapshot of the period.")),
            Indicator("cost_to_serve", _("Cost to serve"),
                      "vinculo.analytics.indicators.cost_to_serve", "money", "analytics.view",
                      higher_is_better=False, order=110,
                      definition=_("Mean cost to serve per customer in the newest analytics "
                                   "snapshot of the period.")),
        ),
    )
