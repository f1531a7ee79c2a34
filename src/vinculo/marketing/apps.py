"""Marketing: campaigns on every channel to a segment, tracked responses, the lift over a
control group and the return on margin, and the next-best action for key customers."""

import datetime as dt

from django.utils.translation import gettext_lazy as _

from vinculo.core.plugins import (
    ApiRoute,
    Capture,
    Contract,
    Dataset,
    DatasetField,
    DemoGenerator,
    Event,
    HomePanel,
    Indicator,
    Job,
    MenuItem,
    PersonalData,
    Subscriber,
    VinculoApp,
)
from vinculo.core.record_panels import EXTENSION_POINT, RecordPanel
from vinculo.core.roles import ALL, Role, only

_MARKETERS = only(Role.ADMIN, Role.MARKETING, Role.SALES_MANAGER)
# nextaction: who works call and visit lists, and who acts on suggested actions.
_CALLERS = _MARKETERS | only(Role.SALES_REP)

# ---- campaigns: sending and its resume job -------------------------------------------------
_CAMPAIGN_EVENTS = (
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
)
_CAMPAIGN_JOBS = (Job("campaign_send_resume", every=dt.timedelta(minutes=1)),)

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


# ---- nextaction: the non-e-mail channels and the next-best action ------------------------
_NEXTACTION_EVENTS = (
    Event("suggestion.accepted", "A suggested action was accepted.",
          {"rule": "the rule that suggested it", "account": "the account's UUID",
           "task": "UUID of the task made, or null",
           "campaign": "UUID of the campaign enrolled in, or null"}),
    Event("suggestion.dismissed", "A suggested action was dismissed.",
          {"rule": "the rule that suggested it", "reason": "why, in words"}),
)
_NEXTACTION_SUBSCRIBERS = (
    Subscriber("snapshot.recomputed", "vinculo.marketing.actions.services.snapshot_recomputed"),
    Subscriber("web_form.submitted", "vinculo.marketing.webforms.submission_attribute",
               in_transaction=True),
)
_NEXTACTION_PANELS = (
    RecordPanel("suggestions", "marketing:suggestion_panel", "suggestions.view",
                ("customers.account",), order=5),
    RecordPanel("campaign_channel", "marketing:channel_panel", "marketing.view",
                ("marketing.campaign",), order=5),
)
_NEXTACTION_JOBS = (Job("suggestions_refresh", ("--all",), daily_at=dt.time(4, 0)),)
# ---- end of nextaction --------------------------------------------------------------------


class MarketingConfig(VinculoApp):
    name = "vinculo.marketing"
    label = "marketing"
    verbose_name = _("Marketing")
    contract = Contract(
        datasets=(
            Dataset("campaigns", _("Campaigns"), "marketing.Campaign", "marketing.view",
                    fields=(
                        DatasetField("name"), DatasetField("channel"), DatasetField("status"),
                        DatasetField("owner"), DatasetField("segment"),
                        DatasetField("starts_on"), DatasetField("ends_on"),
                        DatasetField("budget", type="money"),
                        DatasetField("fixed_cost", type="money"),
                        DatasetField("control_share"), DatasetField("attribution_days"),
                        DatasetField("started_at")),
                    date_field="starts_on", order=130, currency="currency",
                    capture=(
                        Capture(_("Campaign form"), url="marketing:campaign_create"),
                        Capture(_("Starting and sending the campaign"), "computed",
                                ("status", "started_at")))),
        ),
        url_prefix="marketing/",
        # The links inside campaign e-mails: the unsubscribe page; the open pixel and the
        # click redirect without the middleware (core.lean).
        public_urls="vinculo.marketing.urls_public",
        lean_urls="vinculo.marketing.urls_tracking",
        api_routes=(
            ApiRoute("campaigns", "vinculo.marketing.api.CampaignViewSet", "campaign"),
            ApiRoute("campaign-variants", "vinculo.marketing.api.CampaignVariantViewSet",
                     "campaign-variant"),
            ApiRoute("suggestions", "vinculo.marketing.actions.api.SuggestionViewSet",
                     "suggestion"),
        ),
        permissions={
            "marketing.view": _MARKETERS | only(Role.ANALYST, Role.READ_ONLY),
            "marketing.add": _MARKETERS,
            "marketing.change": _MARKETERS,
            "marketing.delete": _MARKETERS,
            "marketing.send": _MARKETERS,
            # nextaction: call lists and suggested actions
            "marketing.calls": _CALLERS,
            "suggestions.view": ALL,
            "suggestions.change": _CALLERS,
        },
        menu_items=(
            MenuItem("marketing", _("Campaigns"), "marketing:campaign_list", "marketing.view",
                     order=20),
            MenuItem("marketing", _("My call lists"), "marketing:my_call_lists",
                     "marketing.calls", section=20, order=5),
            MenuItem("marketing", _("My suggested actions"), "marketing:suggestion_list",
                     "suggestions.view", section=20, order=10),
            MenuItem("marketing", _("Suggested actions: hit rates"),
                     "marketing:suggestion_rules", "suggestions.view", section=20, order=20),
        ),
        home_panels=(
            HomePanel("my_suggestions", "marketing/home/suggestions.html",
                      "vinculo.marketing.actions.selectors.home_suggestions",
                      "suggestions.change", order=15),
        ),
        events=_CAMPAIGN_EVENTS + _RESULTS_EVENTS + _NEXTACTION_EVENTS,
        subscribers=_RESULTS_SUBSCRIBERS + _NEXTACTION_SUBSCRIBERS,
        extensions={**_RESULTS_EXTENSIONS, EXTENSION_POINT: _NEXTACTION_PANELS},
        timeline=_RESULTS_TIMELINE,
        jobs=_CAMPAIGN_JOBS + _RESULTS_JOBS + _NEXTACTION_JOBS,
        # After segments (950): its campaigns go to the demo segments.
        demo=DemoGenerator("vinculo.marketing.demo.generate", order=960,
                           estimate="vinculo.marketing.demo.estimate"),
        personal_data=(
            PersonalData("campaigns", _("Campaigns"),
                         "vinculo.marketing.privacy.export_campaigns",
                         "vinculo.marketing.privacy.erase_campaigns", order=65,
                         kept=_("Campaign recipient rows stay without the address, so the "
                                "campaigns' counts stay right.")),
        ),
        indicators=(
            Indicator("campaign_roi", _("Campaign ROI"),
                      "vinculo.marketing.indicators.campaign_roi", "return", "marketing.view",
                      by_owner=True, order=120,
                      definition=_("Return on margin of the campaigns started in the period "
                                   "with a control group, together: incremental margin less "
                                   "their cost, over their cost.")),
        ),
    )
