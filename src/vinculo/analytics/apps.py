"""The analytics Django app: snapshots, runs, cost rates, pages and API over the pure library.

``vinculo.analytics`` itself (summary, rfm, bgnbd, …) imports no Django; only the modules named
in ``docs/architecture.md`` (models, services, selectors, views, api, tasks, admin) do.
"""

import datetime as dt

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalyticsConfig(AppConfig):
    name = "vinculo.analytics"
    label = "analytics"
    verbose_name = _("Analytics")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from vinculo.analytics import services
        from vinculo.core import schedule

        services.register_builtin_drivers()
        services.discover_drivers()
        schedule.register("analytics_recompute", "--all", daily_at=dt.time(2, 15))
