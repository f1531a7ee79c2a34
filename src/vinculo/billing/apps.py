from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BillingConfig(AppConfig):
    name = "vinculo.billing"
    label = "billing"
    verbose_name = _("Billing")

    def ready(self) -> None:
        from vinculo.billing import selectors
        from vinculo.core import timeline

        timeline.register(selectors.timeline)
