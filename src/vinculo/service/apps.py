import datetime as dt

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServiceConfig(AppConfig):
    name = "vinculo.service"
    label = "service"
    verbose_name = _("Service desk")

    def ready(self) -> None:
        from vinculo.core import schedule, timeline
        from vinculo.interactions import mailing
        from vinculo.interactions import services as interactions
        from vinculo.service import selectors, services

        timeline.register(selectors.timeline)
        interactions.register_listener(services.ticket_interaction_logged)
        interactions.register_inbound_handler(services.ticket_inbound_email)
        interactions.register_web_form_handler("request", services.ticket_from_web_form)
        interactions.register_web_form_handler("complaint", services.ticket_from_web_form)
        mailing.register_merge_fields(
            "ticket", services.TICKET_MERGE_FIELDS, services.ticket_merge_values)
        schedule.register("service_sla_scan", every=dt.timedelta(minutes=1))
