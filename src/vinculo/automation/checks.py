"""The checks of a rule: its trigger, conditions and actions, with every error keyed by the
path of the part at fault (``trigger.days``, ``conditions.conditions[1].value``,
``actions[0].template``) — the page shows each message where it belongs, the API answers 400.

Conditions are the segments' rule language over the record's account (``segments.rules``):
one condition language for segments, campaigns and exception rules.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from vinculo.automation.models import TriggerKind
from vinculo.core.models import CustomField, CustomFieldType, User
from vinculo.customers.models import ServiceTier
from vinculo.integrations.models import WebhookSubscription
from vinculo.interactions.models import Channel, EmailTemplate, TaskPriority
from vinculo.marketing.models import Campaign, CampaignStatus
from vinculo.segments import rules as segment_rules
from vinculo.segments.models import Segment, Subject
from vinculo.service.models import Priority, Queue, TicketType


@dataclass(frozen=True)
class EventSpec:
    """An event a rule can start from: the model of its record and the record's fields a
    trigger may narrow it by (``{"type": ["complaint"]}``), with their choices."""

    model: str
    filters: dict[str, list[str]] = field(default_factory=dict)


_TICKET = EventSpec("service.ticket", {"type": list(TicketType.values),
                                       "priority": list(Priority.values)})
#: The domain events rules listen to (each is a ``Subscriber`` in ``apps.py``).
EVENTS: dict[str, EventSpec] = {
    "ticket.created": _TICKET,
    "ticket.sla_warning": _TICKET,
    "ticket.sla_breached": _TICKET,
    "ticket.resolved": _TICKET,
    "order.created": EventSpec("sales.order"),
    "order.delivered_late": EventSpec("sales.order"),
    "order.cancelled": EventSpec("sales.order"),
    "invoice.issued": EventSpec("billing.invoice"),
    "invoice.paid": EventSpec("billing.invoice"),
    "return.requested": EventSpec("billing.returnauthorization"),
    "account.created": EventSpec("customers.account"),
    "opportunity.won": EventSpec("sales.opportunity"),
    "opportunity.lost": EventSpec("sales.opportunity"),
    "interaction.logged": EventSpec("interactions.interaction",
                                    {"channel": list(Channel.values)}),
    "opportunity.changed": EventSpec("sales.opportunity"),
    "order.shipped": EventSpec("sales.order"),
    "account.changed": EventSpec("customers.account"),
    "ticket.changed": _TICKET,
}

#: "A field crosses a value": the numeric fields whose event carries the value before and
#: after (``data["changes"][key] == [before, after]``), by name → (event, key). A new order's
#: total crosses from nothing (``[None, total]`` on ``order.created``): it can only rise.
CROSSING: dict[str, tuple[str, str]] = {
    "opportunity.amount": ("opportunity.changed", "amount"),
    "opportunity.probability": ("opportunity.changed", "probability"),
    "order.total": ("order.created", "total"),
    "ticket.reopened_count": ("ticket.changed", "reopened_count"),
}
#: The accounts' numeric custom fields cross too: ``account.custom.<key>`` (the segments'
#: name for them), carried by ``account.changed`` as ``custom.<key>``.
ACCOUNT_CUSTOM = "account.custom."
#: Fields that only rise (from nothing, when the record is made): "below" never happens.
RISING_ONLY = ("order.total",)
DIRECTIONS = ("above", "below")
#: The record of each crossing field, by the field name's first part.
CROSSING_MODELS = {"opportunity": "sales.opportunity", "order": "sales.order",
                   "ticket": "service.ticket", "account": "customers.account"}


def crossing(name: Any) -> tuple[str, str] | None:
    """(event, key in its ``changes``) of a crossing field, None for an unknown name; an
    account custom field is recognised by its name (``crossing_fields`` checks it exists)."""
    if not isinstance(name, str):
        return None
    if name.startswith(ACCOUNT_CUSTOM) and len(name) > len(ACCOUNT_CUSTOM):
        return "account.changed", "custom." + name[len(ACCOUNT_CUSTOM):]
    return CROSSING.get(name)


def account_number_fields(organization_id: int) -> dict[str, str]:
    """``account.custom.<key>`` → label, of the organisation's numeric account custom fields."""
    return {f"{ACCOUNT_CUSTOM}{key}": label for key, label in CustomField.all_objects.filter(
        organization_id=organization_id, model="account",
        type__in=(CustomFieldType.NUMBER, CustomFieldType.DECIMAL)).order_by(
        "order", "key").values_list("key", "label")}

#: "A date relative to a field": the date fields the scan watches, by name → the record.
DATE_FIELDS: dict[str, str] = {
    "order.promised_date": "sales.order",
    "invoice.due_date": "billing.invoice",
    "opportunity.expected_close": "sales.opportunity",
}
WHEN = ("before", "after")

#: The event a "delivery late or short" rule listens to: every delivery of an order.
DELIVERY_EVENT = "order.shipped"


def trigger_event(trigger: dict[str, Any]) -> str:
    """The event an event-started trigger listens to (the ``event`` column), "" for states."""
    kind = trigger.get("kind")
    if kind == TriggerKind.FIELD_CROSSES:
        return (crossing(trigger.get("field")) or ("", ""))[0]
    if kind == TriggerKind.DELIVERY_EXCEPTION:
        return DELIVERY_EVENT
    return str(trigger.get("event", "")) if kind == TriggerKind.EVENT else ""

#: The record each state trigger is about.
STATE_MODELS = {TriggerKind.ORDER_DUE: "sales.order",
                TriggerKind.INVOICE_OVERDUE: "billing.invoice",
                TriggerKind.SEGMENT_ENTERED: "customers.account",
                TriggerKind.SEGMENT_LEFT: "customers.account",
                TriggerKind.ANALYTICS: "customers.account"}

#: Who an action speaks to: the account's owner, the account manager its service package
#: names, the record's assignee (a ticket's agent), or a named user (their UUID).
RECIPIENTS = ("account_owner", "account_manager", "assignee")

#: What ``set_field`` may change, each through its owner's update service.
SETTABLE: dict[str, list[str]] = {
    "ticket.priority": list(Priority.values),
    "account.service_tier": list(ServiceTier.values),
}

ACTIONS = ("create_task", "notify", "send_email", "set_field", "assign_owner", "assign_queue",
           "enrol_campaign", "open_ticket", "call_webhook")
_ACTION_KEYS = {
    "create_task": {"type", "title", "due_in_days", "assignee", "priority"},
    "notify": {"type", "to", "message"},
    "send_email": {"type", "template", "to"},
    "set_field": {"type", "field", "value"},
    "assign_owner": {"type", "to"},
    "assign_queue": {"type", "queue"},
    "enrol_campaign": {"type", "campaign"},
    "open_ticket": {"type", "subject", "kind", "priority"},
    "call_webhook": {"type", "subscription"},
}
#: The campaigns an action may enrol customers in (not finished).
ENROLLING = (CampaignStatus.DRAFT, CampaignStatus.SCHEDULED, CampaignStatus.SENDING)
MAX_ACTIONS = 10
MAX_DAYS = 3650


class _Errors(dict):
    def add(self, path: str, message: str) -> None:
        self.setdefault(path, message)


def _days(value: Any, path: str, errors: _Errors, *, minimum: int) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or not (minimum <= value
                                                                     <= MAX_DAYS):
        errors.add(path, _("Give a whole number of days from %(min)d to %(max)d.")
                   % {"min": minimum, "max": MAX_DAYS})
        return None
    return value


def check_trigger(raw: Any, organization_id: int, errors: _Errors) -> dict[str, Any]:
    if not isinstance(raw, dict):
        errors.add("trigger", _("Give the trigger as an object with its kind."))
        return {}
    kind = raw.get("kind")
    if kind not in TriggerKind.values:
        errors.add("trigger.kind", _("Choose a trigger: %(choices)s.")
                   % {"choices": ", ".join(TriggerKind.values)})
        return {}
    allowed = {"kind"} | {TriggerKind.EVENT: {"event", "record"},
                          TriggerKind.ORDER_DUE: {"days"},
                          TriggerKind.INVOICE_OVERDUE: {"days"},
                          TriggerKind.SEGMENT_ENTERED: {"segment"},
                          TriggerKind.SEGMENT_LEFT: {"segment"},
                          TriggerKind.ANALYTICS: set(),
                          TriggerKind.FIELD_CROSSES: {"field", "direction", "value"},
                          TriggerKind.DATE_RELATIVE: {"field", "when", "days"},
                          TriggerKind.DELIVERY_EXCEPTION: {"late", "short"}}[kind]
    for key in sorted(set(raw) - allowed):
        errors.add(f"trigger.{key}", _("Unknown key for this trigger."))
    node: dict[str, Any] = {"kind": kind}
    if kind == TriggerKind.EVENT:
        event = raw.get("event")
        if event not in EVENTS:
            errors.add("trigger.event", _("Choose an event: %(choices)s.")
                       % {"choices": ", ".join(EVENTS)})
            return node
        node["event"] = event
        record = raw.get("record") or {}
        if not isinstance(record, dict):
            errors.add("trigger.record", _("Give the record's fields as an object."))
            return node
        narrowed = {}
        for name, values in record.items():
            choices = EVENTS[event].filters.get(name)
            if choices is None:
                errors.add(f"trigger.record.{name}",
                           _("This event's record cannot be narrowed by that field."))
                continue
            values = values if isinstance(values, list) else [values]
            bad = [v for v in values if v not in choices]
            if bad or not values:
                errors.add(f"trigger.record.{name}", _("Choose among: %(choices)s.")
                           % {"choices": ", ".join(choices)})
                continue
            narrowed[name] = values
        if narrowed:
            node["record"] = narrowed
    elif kind in (TriggerKind.ORDER_DUE, TriggerKind.INVOICE_OVERDUE):
        minimum = 0 if kind == TriggerKind.ORDER_DUE else 1
        days = _days(raw.get("days"), "trigger.days", errors, minimum=minimum)
        if days is not None:
            node["days"] = days
    elif kind in (TriggerKind.SEGMENT_ENTERED, TriggerKind.SEGMENT_LEFT):
        segment = _segment(raw.get("segment"), organization_id)
        if segment is None:
            errors.add("trigger.segment", _("Choose a segment of accounts of your "
                                            "organisation."))
        else:
            node["segment"] = str(segment.uuid)
    elif kind == TriggerKind.FIELD_CROSSES:
        _check_crossing(raw, node, errors, organization_id)
    elif kind == TriggerKind.DATE_RELATIVE:
        if raw.get("field") not in DATE_FIELDS:
            errors.add("trigger.field", _("Choose a date: %(choices)s.")
                       % {"choices": ", ".join(DATE_FIELDS)})
        else:
            node["field"] = raw["field"]
        when = raw.get("when") or "before"
        if when not in WHEN:
            errors.add("trigger.when", _("Choose “before” or “after”."))
        node["when"] = when
        days = _days(raw.get("days"), "trigger.days", errors, minimum=0)
        if days is not None:
            node["days"] = days
    elif kind == TriggerKind.DELIVERY_EXCEPTION:
        late, short = raw.get("late", True), raw.get("short", True)
        for key, value in (("late", late), ("short", short)):
            if not isinstance(value, bool):
                errors.add(f"trigger.{key}", _("Give true or false."))
        if late is False and short is False:
            errors.add("trigger.late", _("Choose late, short or both."))
        node["late"], node["short"] = late is True, short is True
    return node


def _check_crossing(raw: dict[str, Any], node: dict[str, Any], errors: _Errors,
                    organization_id: int) -> None:
    name = raw.get("field")
    custom = account_number_fields(organization_id)
    if name not in CROSSING and name not in custom:
        errors.add("trigger.field", _("Choose a field: %(choices)s.")
                   % {"choices": ", ".join([*CROSSING, *custom])})
    else:
        node["field"] = name
    if raw.get("direction") not in DIRECTIONS:
        errors.add("trigger.direction", _("Choose “above” or “below”."))
    elif name in RISING_ONLY and raw["direction"] == "below":
        errors.add("trigger.direction", _("A new order's total only rises to the value, "
                                          "when the order is placed: choose upwards "
                                          "(“above”)."))
    else:
        node["direction"] = raw["direction"]
    value = raw.get("value")
    try:
        if isinstance(value, bool) or value in (None, ""):
            raise InvalidOperation
        number = Decimal(str(value).strip())
        if not number.is_finite() or abs(number) >= Decimal("1e15"):
            raise InvalidOperation
    except (InvalidOperation, ValueError):
        errors.add("trigger.value", _("Give a number."))
    else:
        node["value"] = format(number.normalize(), "f")


def _uuid(value: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError, AttributeError):
        return None


def _segment(value: Any, organization_id: int) -> Segment | None:
    key = _uuid(value)
    if key is None:
        return None
    return Segment.all_objects.filter(organization_id=organization_id, uuid=key,
                                      subject=Subject.ACCOUNTS).first()


def check_conditions(raw: Any, organization_id: int, errors: _Errors) -> dict[str, Any]:
    """The segments' checks, their ``rule.…`` paths renamed ``conditions.…``."""
    if raw in (None, "", {}):
        return {}
    try:
        return segment_rules.as_json(segment_rules.check(
            raw, subject=Subject.ACCOUNTS, organization_id=organization_id))
    except ValidationError as exc:
        for path, messages in exc.message_dict.items():
            name = "conditions" + path[len("rule"):] if path.startswith("rule") else path
            errors.add(name, " ".join(messages))
    return {}


def _recipient(value: Any, path: str, organization_id: int, errors: _Errors,
               *, default: str = "account_owner") -> str | None:
    value = default if value in (None, "") else value
    if value in RECIPIENTS:
        return str(value)
    key = _uuid(value)
    if key is None or not User.objects.filter(organization_id=organization_id, uuid=key,
                                              is_active=True).exists():
        errors.add(path, _("Give “account_owner”, “account_manager”, “assignee” or the id of "
                           "an active user of your organisation."))
        return None
    return str(key)


def _text(value: Any, path: str, errors: _Errors, limit: int) -> str:
    text = " ".join(str(value or "").split()) if limit <= 300 else str(value or "").strip()
    if not text:
        errors.add(path, _("This field is required."))
    elif len(text) > limit:
        errors.add(path, _("At most %(n)d characters.") % {"n": limit})
    return text


def check_action(raw: Any, path: str, organization_id: int, errors: _Errors) -> dict[str, Any]:
    if not isinstance(raw, dict) or raw.get("type") not in ACTIONS:
        errors.add(f"{path}.type", _("Choose an action: %(choices)s.")
                   % {"choices": ", ".join(ACTIONS)})
        return {}
    kind = raw["type"]
    for key in sorted(set(raw) - _ACTION_KEYS[kind]):
        errors.add(f"{path}.{key}", _("Unknown key for this action."))
    node: dict[str, Any] = {"type": kind}
    if kind == "create_task":
        node["title"] = _text(raw.get("title"), f"{path}.title", errors, 200)
        due = raw.get("due_in_days", 1)
        node["due_in_days"] = _days(due, f"{path}.due_in_days", errors, minimum=0)
        node["assignee"] = _recipient(raw.get("assignee"), f"{path}.assignee",
                                      organization_id, errors)
        priority = raw.get("priority", TaskPriority.NORMAL)
        if priority not in TaskPriority.values:
            errors.add(f"{path}.priority", _("Choose among: %(choices)s.")
                       % {"choices": ", ".join(TaskPriority.values)})
        node["priority"] = priority
    elif kind == "notify":
        node["to"] = _recipient(raw.get("to"), f"{path}.to", organization_id, errors)
        node["message"] = _text(raw.get("message"), f"{path}.message", errors, 2000)
    elif kind == "send_email":
        key = _uuid(raw.get("template"))
        if key is None or not EmailTemplate.all_objects.filter(
                organization_id=organization_id, uuid=key).exists():
            errors.add(f"{path}.template", _("Choose an e-mail template of your "
                                             "organisation."))
        else:
            node["template"] = str(key)
        to = raw.get("to") or "contact"
        node["to"] = "contact" if to == "contact" else _recipient(
            to, f"{path}.to", organization_id, errors)
    elif kind == "set_field":
        name = raw.get("field")
        if name not in SETTABLE:
            errors.add(f"{path}.field", _("Choose a field: %(choices)s.")
                       % {"choices": ", ".join(SETTABLE)})
        elif raw.get("value") not in SETTABLE[name]:
            labels = dict(Priority.choices if name == "ticket.priority" else ServiceTier.choices)
            errors.add(f"{path}.value", _("Choose among: %(choices)s.") % {
                "choices": ", ".join(f"{labels.get(v, v)} ({v})" for v in SETTABLE[name])})
        node["field"], node["value"] = name, raw.get("value")
    elif kind == "assign_owner":
        node["to"] = _recipient(raw.get("to"), f"{path}.to", organization_id, errors)
    elif kind == "assign_queue":
        key = _uuid(raw.get("queue"))
        if key is None or not Queue.all_objects.filter(organization_id=organization_id,
                                                       uuid=key).exists():
            errors.add(f"{path}.queue", _("Choose a queue of your organisation."))
        else:
            node["queue"] = str(key)
    elif kind == "enrol_campaign":
        key = _uuid(raw.get("campaign"))
        if key is None or not Campaign.all_objects.filter(
                organization_id=organization_id, uuid=key, status__in=ENROLLING).exists():
            errors.add(f"{path}.campaign", _("Choose a campaign of your organisation that "
                                             "has not finished."))
        else:
            node["campaign"] = str(key)
    elif kind == "open_ticket":
        node["subject"] = _text(raw.get("subject"), f"{path}.subject", errors, 200)
        ticket_kind = raw.get("kind") or TicketType.values[0]
        if ticket_kind not in TicketType.values:
            errors.add(f"{path}.kind", _("Choose among: %(choices)s.")
                       % {"choices": ", ".join(TicketType.values)})
        priority = raw.get("priority") or Priority.NORMAL
        if priority not in Priority.values:
            errors.add(f"{path}.priority", _("Choose among: %(choices)s.")
                       % {"choices": ", ".join(Priority.values)})
        node["kind"], node["priority"] = ticket_kind, priority
    elif kind == "call_webhook":
        key = _uuid(raw.get("subscription"))
        if key is None or not WebhookSubscription.all_objects.filter(
                organization_id=organization_id, uuid=key).exists():
            errors.add(f"{path}.subscription", _("Choose a webhook subscription of your "
                                                 "organisation."))
        else:
            node["subscription"] = str(key)
    return node


def record_model(trigger: dict[str, Any]) -> str | None:
    """The model of the records a trigger acts on (``sales.order``), when it is known."""
    kind = trigger.get("kind")
    if kind == TriggerKind.EVENT:
        spec = EVENTS.get(trigger.get("event", ""))
        return spec.model if spec else None
    if kind == TriggerKind.DATE_RELATIVE:
        return DATE_FIELDS.get(trigger.get("field", ""))
    if kind == TriggerKind.FIELD_CROSSES:
        return CROSSING_MODELS.get(str(trigger.get("field", "")).split(".")[0])
    if kind == TriggerKind.DELIVERY_EXCEPTION:
        return "sales.order"
    return STATE_MODELS.get(kind)  # type: ignore[arg-type]


def check(*, trigger: Any, conditions: Any, actions: Any,
          organization_id: int) -> tuple[dict[str, Any], dict[str, Any], list[dict[str, Any]]]:
    """The rule's three parts in canonical form, or a ``ValidationError`` naming every part
    at fault."""
    errors = _Errors()
    trigger_node = check_trigger(trigger, organization_id, errors)
    condition_node = check_conditions(conditions, organization_id, errors)
    action_nodes: list[dict[str, Any]] = []
    if not isinstance(actions, list) or not actions:
        errors.add("actions", _("Give at least one action."))
    elif len(actions) > MAX_ACTIONS:
        errors.add("actions", _("At most %(n)d actions.") % {"n": MAX_ACTIONS})
    else:
        action_nodes = [check_action(item, f"actions[{i}]", organization_id, errors)
                        for i, item in enumerate(actions)]
    model = record_model(trigger_node)
    if model is not None and model != "service.ticket":
        for i, node in enumerate(action_nodes):
            if "assignee" in (node.get("to"), node.get("assignee")):
                errors.add(f"actions[{i}]", _("Only tickets have an assignee; choose "
                                              "“account_owner” or a user."))
    if trigger_node.get("kind") == TriggerKind.ANALYTICS and not condition_node:
        errors.add("conditions", _("An analytics trigger needs conditions (e.g. P(alive) "
                                   "below 0.5 and CLV over 1000)."))
    if errors:
        raise ValidationError(dict(errors))
    return trigger_node, condition_node, action_nodes
