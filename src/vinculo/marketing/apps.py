"""Marketing: campaigns on every channel to a segment, tracked responses, the lift over a
control group and the return on margin, and the next-best action for key customers."""

import datetime as dt

from django.utils.translation import gettext_lazy as _

from vinculo.core.plugins import Contract, Event, Job, Subscriber, VinculoApp
from vinculo.core.roles import Role, only

_MARKETERS = only(Role.ADMIN, Role.MARKETING, Role.SALES_MANAGER)

# ---- results (branch "results"): bounces, replies, attribution, the results page ----------
_RESULTS = "vinculo.marketing.results"
_RESULTS_EVENTS = (
    Event("campaign_recipient.bounced", "A campaign message bounced (a DSN came back).",
          {"recipient": "the recipient's token", "kind": "hard or soft",
           "status": "the DSN's status code"}),
    Event("campaign_recipient.complained", "A recipient reported a campaign message as "
          "spam (an ARF feedback report came back).",
          {"recipient": "the recipient's token", "kind": "empty", "status": "empty"}),
)
_RESULTS_SUBSCRIBERS = (
    Subscriber("email.received", f"{_RESULTS}.services.reply_record", in_transaction=True),
    Subscriber("lead.created", f"{_RESULTS}.services.origin_record", in_transaction=True),
    Subscriber("opportunity.created", f"{_RESULTS}.services.origin_record",
               in_transaction=True),
)
_RESULTS_EXTENSIONS = {
    "interactions.inbound_filters": (f"{_RESULTS}.services.inbound_report",),
}
_RESULTS_TIMELINE = (f"{_RESULTS}.timeline.timeline",)
_RESULTS_JOBS = (Job("campaign_conversions", daily_at=dt.time(2, 45)),)
# ---- end of results -----------------------------------------------------------------------


class MarketingConfig(VinculoApp):
    name = "vinculo.marketing"
    label = "marketing"
    verbose_name = _("Marketing")
    contract = Contract(
        url_prefix="marketing/",
        events=_RESULTS_EVENTS,
        subscribers=_RESULTS_SUBSCRIBERS,
        extensions=_RESULTS_EXTENSIONS,
        timeline=_RESULTS_TIMELINE,
        jobs=_RESULTS_JOBS,
        permissions={
            "marketing.view": _MARKETERS | only(Role.ANALYST, Role.READ_ONLY),
            "marketing.add": _MARKETERS,
            "marketing.change": _MARKETERS,
            "marketing.delete": _MARKETERS,
            "marketing.send": _MARKETERS,
        },
    )
