"""Marketing: campaigns on every channel to a segment, tracked responses, the lift over a
control group and the return on margin, and the next-best action for key customers."""

import datetime as dt

from django.utils.translation import gettext_lazy as _

from vinculo.core.plugins import (
    ApiRoute,
    Contract,
    Event,
    HomePanel,
    Job,
    MenuItem,
    Subscriber,
    VinculoApp,
)
from vinculo.core.record_panels import EXTENSION_POINT, RecordPanel
from vinculo.core.roles import ALL, Role, only

_MARKETERS = only(Role.ADMIN, Role.MARKETING, Role.SALES_MANAGER)
# nextaction: who works call and visit lists, and who acts on suggested actions.
_CALLERS = _MARKETERS | only(Role.SALES_REP)


class MarketingConfig(VinculoApp):
    name = "vinculo.marketing"
    label = "marketing"
    verbose_name = _("Marketing")
    contract = Contract(
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
        # nextaction: the non-e-mail channels and the next-best action
        url_prefix="marketing/",
        api_routes=(
            ApiRoute("suggestions", "vinculo.marketing.actions.api.SuggestionViewSet",
                     "suggestion"),
        ),
        menu_items=(
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
        jobs=(Job("suggestions_refresh", ("--all",), daily_at=dt.time(4, 0)),),
        events=(
            Event("suggestion.accepted", "A suggested action was accepted.",
                  {"rule": "the rule that suggested it", "account": "the account's UUID",
                   "task": "UUID of the task made, or null",
                   "campaign": "UUID of the campaign enrolled in, or null"}),
            Event("suggestion.dismissed", "A suggested action was dismissed.",
                  {"rule": "the rule that suggested it", "reason": "why, in words"}),
        ),
        subscribers=(
            Subscriber("snapshot.recomputed",
                       "vinculo.marketing.actions.services.snapshot_recomputed"),
            Subscriber("web_form.submitted", "vinculo.marketing.webforms.submission_attribute",
                       in_transaction=True),
        ),
        extensions={EXTENSION_POINT: (
            RecordPanel("suggestions", "marketing:suggestion_panel", "suggestions.view",
                        ("customers.account",), order=5),
            RecordPanel("campaign_channel", "marketing:channel_panel", "marketing.view",
                        ("marketing.campaign",), order=5),
        )},
    )
