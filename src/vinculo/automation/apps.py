"""Exception rules: act before the promise breaks. A rule is a trigger (a domain event, or a
state found by the periodic scan, a recompute or a segment refresh) → conditions (the
segments' rule language over the record's account) → actions (task, notification, e-mail
from a template, a field set, an owner assigned), each through the owning app's services."""

import datetime as dt

from django.utils.translation import gettext_lazy as _

from vinculo.core.plugins import (
    ApiRoute,
    Contract,
    DemoGenerator,
    Job,
    MenuItem,
    PersonalData,
    Subscriber,
    VinculoApp,
)
from vinculo.core.roles import Role, only

_ENGINE = "vinculo.automation.engine"
# The events rules listen to: automation.checks.EVENTS (kept in step by a test).
_EVENTS = ("ticket.created", "ticket.sla_warning", "ticket.sla_breached", "ticket.resolved",
           "order.created", "order.delivered_late", "order.cancelled", "invoice.issued",
           "invoice.paid", "return.requested", "account.created", "opportunity.won",
           "opportunity.lost", "interaction.logged", "opportunity.changed", "order.shipped",
           "account.changed", "ticket.changed")


class AutomationConfig(VinculoApp):
    name = "vinculo.automation"
    label = "automation"
    verbose_name = _("Exception rules")
    contract = Contract(
        url_prefix="automation/",
        api_routes=(ApiRoute("automation/rules", "vinculo.automation.api.RuleViewSet",
                             "automation-rule"),),
        permissions={
            "automation.view": only(Role.ADMIN, Role.SALES_MANAGER, Role.ANALYST),
            "automation.manage": only(Role.ADMIN),
        },
        menu_items=(MenuItem("settings", _("Exception rules"), "automation:rule_list",
                             "automation.view", section=40, order=10,
                             header=_("Automation")),),
        subscribers=(
            *(Subscriber(name, f"{_ENGINE}.event_capture", in_transaction=True)
              for name in _EVENTS),
            *(Subscriber(name, f"{_ENGINE}.event_received") for name in _EVENTS),
            Subscriber("snapshot.recomputed", f"{_ENGINE}.snapshot_recomputed"),
            Subscriber("segment.refreshed", f"{_ENGINE}.segment_refreshed"),
        ),
        jobs=(Job("automation_scan", ("--all",), every=dt.timedelta(minutes=15)),),
        # After marketing (960): the rules name the demo's templates and segments.
        demo=DemoGenerator("vinculo.automation.demo.generate", order=970),
        personal_data=(
            PersonalData("automation", _("Exception rules"),
                         "vinculo.automation.privacy.export_firings",
                         "vinculo.automation.privacy.erase_firings", order=85),
        ),
    )
