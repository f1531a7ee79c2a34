"""The default exception rules the demo ships, saved through the rule services as the demo's
administrator: a late-delivery warning, an overdue-invoice reminder, a call to valuable
customers at risk and complaints from customers of the top service package (the packages'
demo, run before) sent to their account manager.
Four rules and one e-mail template: no scan runs here, so loading the demo costs nothing more
(the scheduler's ``automation_scan`` and the next recompute fire them)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import override

from vinculo.automation.services import rule_create
from vinculo.core.audit import acting_as
from vinculo.core.demo import DemoContext
from vinculo.core.tenancy import organization_scope
from vinculo.interactions import mailing
from vinculo.packages.models import ServicePackage

HIGH_VALUE = {"field": "analytics.value_tier", "op": "in", "value": ["Platinum", "Gold"]}


def definitions(template_uuid: str, top_package: Any = None) -> list[dict]:
    """The default rules, worded in the active language. ``top_package``: the top service
    package, whose customers' complaints go to their account manager (without one, the
    Platinum and Gold value tiers stand for the top tier)."""
    top = ({"field": "packages.package", "op": "eq", "value": str(top_package.uuid)}
           if top_package is not None else HIGH_VALUE)
    # The package's account manager when it names one, else the account's owner.
    manager = ("account_manager" if getattr(top_package, "account_manager_id", None)
               else "account_owner")
    return [
        {"name": _("Late-delivery warning"),
         "description": _("Three days before an order's promised date, if it is not "
                          "delivered yet, the account manager gets a task to warn the "
                          "customer or hurry the delivery."),
         "trigger": {"kind": "order_due", "days": 3},
         "actions": [{"type": "create_task", "title": _("Order at risk of arriving late"),
                      "due_in_days": 1, "assignee": "account_owner", "priority": "high"}]},
        {"name": _("Overdue invoice reminder"),
         "description": _("Seven days after an invoice's due date, the customer gets a "
                          "reminder and the account manager a task to follow it up."),
         "trigger": {"kind": "invoice_overdue", "days": 7},
         "actions": [{"type": "send_email", "template": template_uuid, "to": "contact"},
                     {"type": "create_task", "title": _("Follow up an overdue invoice"),
                      "due_in_days": 2, "assignee": "account_owner"}]},
        {"name": _("At-risk high-value customer: call"),
         "description": _("After each recompute, a Platinum or Gold customer whose P(alive) "
                          "fell below 0.5 gets a call from their account manager."),
         "trigger": {"kind": "analytics"},
         "conditions": {"match": "all", "conditions": [
             {"field": "analytics.p_alive", "op": "lt", "value": 0.5}, HIGH_VALUE]},
         "actions": [{"type": "create_task", "title": _("Call: valuable customer at risk"),
                      "due_in_days": 2, "assignee": "account_owner", "priority": "high"}]},
        {"name": _("Complaint from a top-tier customer"),
         "description": (_("A complaint from a customer of the %(package)s package goes to "
                           "their account manager, who is told at once.")
                         % {"package": top_package.name} if top_package is not None else
                         _("A complaint from a Platinum or Gold customer goes to their "
                           "account manager, who is told at once.")),
         "trigger": {"kind": "event", "event": "ticket.created",
                     "record": {"type": ["complaint"]}},
         "conditions": {"match": "all", "conditions": [top]},
         "actions": [{"type": "assign_owner", "to": manager},
                     {"type": "notify", "to": manager,
                      "message": _("A top-tier customer opened a complaint: you have it.")}]},
    ]


def generate(ctx: DemoContext) -> dict[str, int]:
    org = ctx.organization
    admin = ctx.users["admin"]
    with organization_scope(org), acting_as(admin), override(org.language or "es"):
        template = mailing.email_template_create(actor=admin, data={
            "name": _("Overdue invoice reminder"),
            "subject": _("Reminder: an invoice is overdue"),
            "body": _("Dear {{ contact.first_name }},\n\nAccording to our records an invoice "
                      "of {{ account.name }} is past its due date. If you have already paid "
                      "it, please ignore this message.\n\n{{ organization.name }}")})
        top = ServicePackage.objects.filter(
            pk=ctx.shared.get("packages", {}).get("premium")).first()
        rules = [rule_create(actor=admin, data=spec)
                 for spec in definitions(str(template.uuid), top)]
    ctx.progress.update(len(rules))
    return {"exception rules": len(rules)}
