import datetime as dt

from django.utils.translation import gettext_lazy as _

from vinculo.core.events import ANY
from vinculo.core.plugins import (
    ApiRoute,
    Contract,
    Event,
    Job,
    MenuItem,
    PersonalData,
    Subscriber,
    VinculoApp,
)
from vinculo.core.roles import Role, only

ADMINS = only(Role.ADMIN)


class IntegrationsConfig(VinculoApp):
    name = "vinculo.integrations"
    label = "integrations"
    verbose_name = _("Integrations")
    contract = Contract(
        url_prefix="integrations/",
        api_routes=(
            ApiRoute("webhooks", "vinculo.integrations.api.WebhookSubscriptionViewSet",
                     "webhook"),
            ApiRoute("webhook-deliveries", "vinculo.integrations.api.WebhookDeliveryViewSet",
                     "webhookdelivery"),
            ApiRoute("integration-keys", "vinculo.integrations.api.IntegrationKeyViewSet",
                     "integrationkey"),
        ),
        permissions={
            "integrations.view": ADMINS,
            "integrations.add": ADMINS,
            "integrations.change": ADMINS,
            "integrations.delete": ADMINS,
            "integrations.manage": ADMINS,
        },
        menu_items=(
            MenuItem("settings", _("Webhooks"), "integrations:webhook_list",
                     "integrations.manage", order=12),
            MenuItem("settings", _("Integration keys"), "integrations:key_list",
                     "integrations.manage", order=13),
        ),
        events=(
            Event("webhook.paused", "A webhook subscription was paused after failing deliveries "
                  "in a row.", {"url": "the subscription's URL",
                                "consecutive_failures": "how many attempts failed in a row"}),
        ),
        # Inside the publishing transaction: the deliveries (an outbox) commit with the change.
        subscribers=(Subscriber(ANY, "vinculo.integrations.delivery.event_record",
                                in_transaction=True),),
        jobs=(Job("webhooks_dispatch", every=dt.timedelta(minutes=1)),),
        personal_data=(
            PersonalData("webhooks", _("Webhook deliveries"),
                         "vinculo.integrations.privacy.export_deliveries",
                         "vinculo.integrations.privacy.erase_deliveries", order=80),
        ),
    )
