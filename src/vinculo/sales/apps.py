from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SalesConfig(AppConfig):
    name = "vinculo.sales"
    label = "sales"
    verbose_name = _("Sales")

    def ready(self) -> None:
        from vinculo.core import timeline
        from vinculo.sales import selectors
        from vinculo.sales.documents import selectors as document_selectors

        timeline.register(selectors.timeline)
        timeline.register(document_selectors.timeline)
