"""An exception rule in words, for its page: the stored trigger and actions are checked JSON
(``automation.checks``), which a reader should not have to decode."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils.formats import number_format
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from vinculo.automation import checks
from vinculo.automation.models import Rule, TriggerKind
from vinculo.core.models import User
from vinculo.customers.models import ServiceTier
from vinculo.integrations.models import WebhookSubscription
from vinculo.interactions.models import EmailTemplate, TaskPriority
from vinculo.marketing.models import Campaign
from vinculo.segments import rules as segment_rules
from vinculo.segments.models import Segment
from vinculo.segments.rules.wording import describe_rule
from vinculo.service.models import Priority, Queue, TicketType

#: The events a rule may start from (``checks.EVENTS``), as the form and the page name them.
EVENT_LABELS = {
    "ticket.created": gettext_lazy("A ticket was opened"),
    "ticket.sla_warning": gettext_lazy("A ticket is about to breach its SLA"),
    "ticket.sla_breached": gettext_lazy("A ticket breached its SLA"),
    "ticket.resolved": gettext_lazy("A ticket was resolved"),
    "order.created": gettext_lazy("An order was created"),
    "order.delivered_late": gettext_lazy("An order was delivered late"),
    "order.cancelled": gettext_lazy("An order was cancelled"),
    "invoice.issued": gettext_lazy("An invoice was issued"),
    "invoice.paid": gettext_lazy("An invoice was paid"),
    "return.requested": gettext_lazy("A return was requested"),
    "account.created": gettext_lazy("An account was created"),
    "opportunity.won": gettext_lazy("An opportunity was won"),
    "opportunity.lost": gettext_lazy("An opportunity was lost"),
    "interaction.logged": gettext_lazy("An interaction was logged"),
    "opportunity.changed": gettext_lazy("An opportunity was changed"),
    "order.shipped": gettext_lazy("A delivery of an order was recorded"),
    "account.changed": gettext_lazy("An account's numeric custom field was changed"),
    "ticket.changed": gettext_lazy("A ticket's priority or times reopened changed"),
}

#: The fields a "crosses a value" trigger and a "date relative to a field" trigger name.
CROSSING_LABELS = {
    "opportunity.amount": gettext_lazy("The opportunity's amount"),
    "opportunity.probability": gettext_lazy("The opportunity's probability (%)"),
    "order.total": gettext_lazy("A new order's total"),
    "ticket.reopened_count": gettext_lazy("The times a ticket was reopened"),
}


def crossing_labels(organization_id: int) -> dict[str, str]:
    """Every field a crossing trigger may name for the organisation, with its label: the fixed
    ones and the numeric custom fields of accounts."""
    labels = {name: str(label) for name, label in CROSSING_LABELS.items()}
    for name, label in checks.account_number_fields(organization_id).items():
        labels[name] = _("The account's %(field)s") % {"field": label}
    return labels
DATE_LABELS = {
    "order.promised_date": gettext_lazy("The order's promised delivery date"),
    "invoice.due_date": gettext_lazy("The invoice's due date"),
    "opportunity.expected_close": gettext_lazy("The opportunity's expected close date"),
}


#: Each action's short name, for the list of rules.
ACTION_LABELS = {
    "create_task": gettext_lazy("Create a task"),
    "notify": gettext_lazy("Notify"),
    "send_email": gettext_lazy("Send an e-mail"),
    "set_field": gettext_lazy("Set a field"),
    "assign_owner": gettext_lazy("Assign an owner"),
    "assign_queue": gettext_lazy("Move to a queue"),
    "enrol_campaign": gettext_lazy("Enrol in a campaign"),
    "open_ticket": gettext_lazy("Open a ticket"),
    "call_webhook": gettext_lazy("Call a webhook"),
}


def _person(spec: Any, organization_id: int) -> str:
    if spec == "account_owner":
        return _("the account's owner")
    if spec == "account_manager":
        return _("the account manager of the customer's package")
    if spec == "assignee":
        return _("the record's assignee")
    if spec == "contact":
        return _("the customer's contact")
    user = User.objects.filter(organization_id=organization_id, uuid=spec).first()
    return str(user) if user else _("a user who no longer exists")


def trigger_text(rule: Rule) -> str:
    """What starts the rule: the trigger's name with its days, event or segment."""
    trigger = rule.trigger or {}
    kind = rule.kind or trigger.get("kind")
    if kind == TriggerKind.ORDER_DUE:
        return _("An order is due within %(days)s days and not delivered") % {
            "days": trigger.get("days", 0)}
    if kind == TriggerKind.INVOICE_OVERDUE:
        return _("An invoice is overdue by %(days)s days") % {"days": trigger.get("days", 0)}
    if kind in (TriggerKind.SEGMENT_ENTERED, TriggerKind.SEGMENT_LEFT):
        segment = Segment.all_objects.filter(organization_id=rule.organization_id,
                                             uuid=trigger.get("segment")).first()
        name = segment.name if segment else _("a segment that no longer exists")
        text = (_("A customer entered the segment “%(name)s”")
                if kind == TriggerKind.SEGMENT_ENTERED
                else _("A customer left the segment “%(name)s”"))
        return text % {"name": name}
    if kind == TriggerKind.FIELD_CROSSES:
        text = (_("%(field)s rises to %(value)s or more") if trigger.get("direction") == "above"
                else _("%(field)s falls below %(value)s"))
        field = trigger.get("field", "")
        return text % {"field": crossing_labels(rule.organization_id).get(field, field),
                       "value": number_format(Decimal(str(trigger.get("value") or 0)),
                                              force_grouping=True)}
    if kind == TriggerKind.DATE_RELATIVE:
        text = (_("%(days)s days after %(field)s") if trigger.get("when") == "after"
                else _("%(days)s days before %(field)s"))
        return text % {"days": trigger.get("days", 0),
                       "field": str(DATE_LABELS.get(trigger.get("field"), "")).lower()}
    if kind == TriggerKind.DELIVERY_EXCEPTION:
        if trigger.get("late") and trigger.get("short"):
            return _("A delivery is late or short")
        return (_("A delivery is late") if trigger.get("late")
                else _("A delivery is short (less than ordered)"))
    if kind == TriggerKind.EVENT:
        text = str(EVENT_LABELS.get(rule.event, rule.event))
        types = (trigger.get("record") or {}).get("type") or []
        if types:
            names = dict(TicketType.choices)
            text += " " + _("(only: %(kinds)s)") % {
                "kinds": ", ".join(str(names.get(t, t)) for t in types)}
        return text
    return str(TriggerKind(kind).label) if kind in TriggerKind.values else str(kind)


def firing_trigger(trigger: str) -> str:
    """What started a firing: the event's name, or the state trigger's."""
    if trigger in EVENT_LABELS:
        return str(EVENT_LABELS[trigger])
    return str(TriggerKind(trigger).label) if trigger in TriggerKind.values else trigger


def condition_lines(rule: Rule) -> list[str]:
    """The conditions in the segment builder's words; empty when there are none."""
    if not rule.conditions:
        return []
    return describe_rule(rule.conditions, segment_rules.fields(rule.organization_id))


def action_text(action: dict[str, Any], organization_id: int) -> str:
    """One action as a sentence."""
    return _contracted(_action_text(action, organization_id))


def _contracted(text: str) -> str:
    """Spanish contracts "a el" and "de el" ("Avisar al propietario de la cuenta"): the
    sentences put a person phrase ("el propietario…") after a preposition."""
    if (get_language() or "").startswith("es"):
        return text.replace(" a el ", " al ").replace(" de el ", " del ")
    return text


def _action_text(action: dict[str, Any], organization_id: int) -> str:
    kind = action.get("type")
    if kind == "create_task":
        priority = dict(TaskPriority.choices).get(action.get("priority"), "")
        return _("Create the task “%(title)s” for %(who)s, due in %(days)s days%(priority)s") % {
            "title": action.get("title", ""), "who": _person(action.get("assignee"),
                                                              organization_id),
            "days": action.get("due_in_days", 0),
            "priority": f" ({str(priority).lower()})" if priority else ""}
    if kind == "notify":
        return _("Notify %(who)s: “%(message)s”") % {
            "who": _person(action.get("to"), organization_id), "message": action.get("message")}
    if kind == "send_email":
        template = EmailTemplate.all_objects.filter(organization_id=organization_id,
                                                    uuid=action.get("template")).first()
        return _("Send the e-mail template “%(template)s” to %(who)s") % {
            "template": template.name if template else _("(deleted)"),
            "who": _person(action.get("to"), organization_id)}
    if kind == "set_field":
        field, value = action.get("field"), action.get("value")
        if field == "ticket.priority":
            return _("Set the ticket's priority to %(value)s") % {
                "value": dict(Priority.choices).get(value, value)}
        if field == "account.service_tier":
            return _("Set the account's service tier to %(value)s") % {
                "value": dict(ServiceTier.choices).get(value, value)}
        return _("Set %(field)s to %(value)s") % {"field": field, "value": value}
    if kind == "assign_owner":
        return _("Assign the record to %(who)s") % {
            "who": _person(action.get("to"), organization_id)}
    if kind == "assign_queue":
        queue = Queue.all_objects.filter(organization_id=organization_id,
                                         uuid=action.get("queue")).first()
        return _("Move the ticket to the queue %(queue)s") % {
            "queue": queue.name if queue else _("(deleted)")}
    if kind == "enrol_campaign":
        campaign = Campaign.all_objects.filter(organization_id=organization_id,
                                               uuid=action.get("campaign")).first()
        return _("Enrol the customer's contact in the campaign “%(campaign)s”") % {
            "campaign": campaign.name if campaign else _("(deleted)")}
    if kind == "open_ticket":
        return _("Open a ticket “%(subject)s” (%(kind)s, %(priority)s priority)") % {
            "subject": action.get("subject", ""),
            "kind": str(dict(TicketType.choices).get(action.get("kind"), "")).lower(),
            "priority": str(dict(Priority.choices).get(action.get("priority"), "")).lower()}
    if kind == "call_webhook":
        subscription = WebhookSubscription.all_objects.filter(
            organization_id=organization_id, uuid=action.get("subscription")).first()
        return _("Call the webhook “%(name)s”") % {
            "name": subscription.name if subscription else _("(deleted)")}
    return str(kind)
