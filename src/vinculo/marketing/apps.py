"""Marketing: campaigns on every channel to a segment, tracked responses, the lift over a
control group and the return on margin, and the next-best action for key customers."""

import datetime as dt

from django.utils.translation import gettext_lazy as _

from vinculo.core.plugins import ApiRoute, Contract, Event, Job, MenuItem, VinculoApp
from vinculo.core.roles import Role, only

_MARKETERS = only(Role.ADMIN, Role.MARKETING, Role.SALES_MANAGER)


class MarketingConfig(VinculoApp):
    name = "vinculo.marketing"
    label = "marketing"
    verbose_name = _("Marketing")
    contract = Contract(
        url_prefix="marketing/",
        # The links inside campaign e-mails: open pixel, click redirect, unsubscribe.
        public_urls="vinculo.marketing.urls_public",
        api_routes=(
            ApiRoute("campaigns", "vinculo.marketing.api.CampaignViewSet", "campaign"),
            ApiRoute("campaign-variants", "vinculo.marketing.api.CampaignVariantViewSet",
                     "campaign-variant"),
        ),
        permissions={
            "marketing.view": _MARKETERS | only(Role.ANALYST, Role.READ_ONLY),
            "marketing.add": _MARKETERS,
            "marketing.change": _MARKETERS,
            "marketing.delete": _MARKETERS,
            "marketing.send": _MARKETERS,
        },
        menu_items=(
            MenuItem("marketing", _("Campaigns"), "marketing:campaign_list", "marketing.view",
                     order=20),
        ),
        jobs=(Job("campaign_send_resume", every=dt.timedelta(minutes=1)),),
        events=(
            Event("campaign.started", "A campaign's recipients were built and its channel "
                  "started delivering.",
                  {"campaign": "the campaign's UUID", "recipients": "members reached by the "
                   "segment", "control": "held out", "pending": "to contact",
                   "skipped": "not contactable (consent, address, suppression)"}),
            Event("campaign.sent", "Every message of a campaign was handed to the channel.",
                  {"campaign": "the campaign's UUID", "sent": "messages sent",
                   "failed": "messages refused"}),
            Event("campaign.finished", "A campaign was closed.",
                  {"campaign": "the campaign's UUID"}),
        ),
    )
