import datetime as dt

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InteractionsConfig(AppConfig):
    name = "vinculo.interactions"
    label = "interactions"
    verbose_name = _("Interactions")

    def ready(self) -> None:
        from vinculo.core import schedule, timeline
        from vinculo.interactions import selectors

        timeline.register(selectors.timeline)
        schedule.register("mail_poll", every=dt.timedelta(minutes=1))
        schedule.register("reminders_send", every=dt.timedelta(minutes=1))
