"""The default exception rules the demo ships, saved through the rule services as the demo's
administrator: a late-delivery warning, an overdue-invoice reminder, a call to valuable
customers at risk and complaints from top-tier customers sent to their account manager.
Four rules and one e-mail template: no scan runs here, so loading the demo costs nothing more
(the scheduler's ``automation_scan`` and the next recompute fire them)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import override

from vinculo.automation.services import rule_create
from vinculo.core.audit import acting_as
from vinculo.core.demo import DemoContext
from vinculo.core.tenancy import organization_scope
from vinculo.interactions import mailing

HIGH_VALUE = {"field": "analytics.value_tier", "op": "in", "value": ["Platinum", "Gold"]}


def definitions(template_uuid: str) -> list[dict]:
    """The default rules, worded in the active language."""
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
         "description": _("A complaint from a Platinum or Gold customer goes to their account "
                          "manager, who is told at once."),
         "trigger": {"kind": "event", "event": "ticket.created",
                     "record": {"type": ["complaint"]}},
         "conditions": {"match": "all", "conditions": [HIGH_VALUE]},
         "actions": [{"type": "assign_owner", "to": "account_owner"},
                     {"type": "notify", "to": "account_owner",
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
        rules = [rule_create(actor=admin, data=spec) for spec in definitions(str(template.uuid))]
    ctx.progress.update(len(rules))
    return {"exception rules": len(rules)}
