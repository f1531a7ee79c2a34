"""The rule builder's rows: conditions and actions as lists of choices, never JSON typed by
hand. It turns what the page posted (``c-<i>-field``/``-op``/``-value``/``-value2``/``-days``
like the segment builder, ``a-<i>-type`` and ``a-<i>-<parameter>`` for actions) into the
rule's parts, and back; ``automation.checks`` decides, and its errors (``actions[1].to``,
``conditions.conditions[0].value``) are put beside the control they name.

The conditions' rows speak the segments' rule language through its registry
(``segments.rules``), not through the segments' forms or views: one language, one list of
fields, and this app imports no other app's pages.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any

from django.utils.translation import gettext_lazy as _

from vinculo.automation import checks
from vinculo.automation.describe import ACTION_LABELS
from vinculo.core.models import User
from vinculo.integrations.models import WebhookSubscription
from vinculo.interactions.models import EmailTemplate, TaskPriority
from vinculo.marketing.models import Campaign
from vinculo.segments.rules.registry import FieldDef
from vinculo.segments.rules.rows import (
    Row,
    number_or_text,
    rows_from_post,
    rows_from_rule,
    rule_from_rows,
)
from vinculo.service.models import Priority, Queue, TicketType

MAX_ROWS = 20
_TEXT_LIMIT = 2000


#: One condition as the builder shows it: the segment builder's row (``segments.rules.rows``).
ConditionRow = Row


@dataclass
class Param:
    """One parameter of an action as a control: its key, label, kind (``text``, ``textarea``,
    ``number``, ``choice``), the choices, the value and its error."""

    name: str
    label: Any
    kind: str
    value: Any = ""
    choices: list[tuple[str, Any]] = dataclass_field(default_factory=list)
    errors: list[str] = dataclass_field(default_factory=list)


@dataclass
class ActionRow:
    index: int
    type: str = ""
    params: list[Param] = dataclass_field(default_factory=list)
    errors: list[str] = dataclass_field(default_factory=list)


# ---- conditions --------------------------------------------------------------------------------


def conditions_from_post(data: Any, registry: dict[str, FieldDef]) -> list[ConditionRow]:
    return rows_from_post(data, registry, count_key="condition_rows", add_key="add_condition",
                          remove_key="remove_condition", max_rows=MAX_ROWS)


def _count(raw: Any) -> int:
    try:
        return min(MAX_ROWS, max(0, int(raw or 0)))
    except (TypeError, ValueError):
        return 0


def conditions_from_rows(match: str, rows: list[ConditionRow]) -> dict[str, Any]:
    """The rule language for the rows (``segments.rules.rows``); no row: no conditions."""
    if not rows:
        return {}
    return rule_from_rows(match if match in ("all", "any") else "all", rows)


def conditions_to_rows(rule: dict[str, Any],
                       registry: dict[str, FieldDef]) -> list[ConditionRow] | None:
    """The rows of stored conditions, or None when they nest groups (shown as JSON)."""
    return rows_from_rule(rule, registry)


# ---- actions -----------------------------------------------------------------------------------


def _people(organization_id: int, *, contact: bool = False,
            assignee: bool = True) -> list[tuple[str, Any]]:
    options: list[tuple[str, Any]] = []
    if contact:
        options.append(("contact", _("The customer's contact")))
    options.append(("account_owner", _("The account's owner")))
    options.append(("account_manager", _("The account manager of the customer's package")))
    if assignee:
        options.append(("assignee", _("The ticket's assignee")))
    options += [(str(uuid), " ".join(part for part in (first, last) if part) or email)
                for uuid, first, last, email in User.objects.filter(
                    organization_id=organization_id, is_active=True)
                .order_by("first_name", "last_name", "email")
                .values_list("uuid", "first_name", "last_name", "email")[:200]]
    return options


SET_FIELD_LABELS = {"ticket.priority": _("The ticket's priority"),
                    "account.service_tier": _("The account's service tier")}


def _set_field_values(name: str) -> list[tuple[str, Any]]:
    from vinculo.customers.models import ServiceTier

    labels = dict(Priority.choices) if name == "ticket.priority" else dict(ServiceTier.choices)
    return [(value, labels.get(value, value)) for value in checks.SETTABLE.get(name, [])]


def action_params(kind: str, values: dict[str, Any], organization_id: int) -> list[Param]:
    """The controls of one action, with the values given (or the defaults)."""
    def get(name: str, default: Any = "") -> Any:
        value = values.get(name)
        return default if value in (None, "") else value

    if kind == "create_task":
        return [Param("title", _("Task title"), "text", get("title")),
                Param("due_in_days", _("Due in (days)"), "number", get("due_in_days", 1)),
                Param("assignee", _("For"), "choice", get("assignee", "account_owner"),
                      _people(organization_id)),
                Param("priority", _("Priority"), "choice", get("priority", TaskPriority.NORMAL),
                      list(TaskPriority.choices))]
    if kind == "notify":
        return [Param("to", _("Who"), "choice", get("to", "account_owner"),
                      _people(organization_id)),
                Param("message", _("Message"), "textarea", get("message"))]
    if kind == "send_email":
        templates = [(str(uuid), name) for uuid, name in EmailTemplate.all_objects.filter(
            organization_id=organization_id).order_by("name").values_list("uuid", "name")]
        return [Param("template", _("E-mail template"), "choice", get("template"),
                      [("", _("Choose a template")), *templates]),
                Param("to", _("To"), "choice", get("to", "contact"),
                      _people(organization_id, contact=True))]
    if kind == "set_field":
        name = get("field", next(iter(checks.SETTABLE)))
        return [Param("field", _("Field"), "choice", name, list(SET_FIELD_LABELS.items())),
                Param("value", _("New value"), "choice", get("value"),
                      [("", _("Choose a value")), *_set_field_values(name)])]
    if kind == "assign_owner":
        return [Param("to", _("New owner"), "choice", get("to", "account_owner"),
                      _people(organization_id))]
    if kind == "assign_queue":
        queues = [(str(uuid), name) for uuid, name in Queue.all_objects.filter(
            organization_id=organization_id).order_by("name").values_list("uuid", "name")]
        return [Param("queue", _("Queue"), "choice", get("queue"),
                      [("", _("Choose a queue")), *queues])]
    if kind == "enrol_campaign":
        campaigns = [(str(uuid), name) for uuid, name in Campaign.all_objects.filter(
            organization_id=organization_id, status__in=checks.ENROLLING)
            .order_by("name").values_list("uuid", "name")]
        return [Param("campaign", _("Campaign"), "choice", get("campaign"),
                      [("", _("Choose a campaign")), *campaigns])]
    if kind == "open_ticket":
        return [Param("subject", _("Ticket subject"), "text", get("subject")),
                Param("kind", _("Kind"), "choice", get("kind", TicketType.REQUEST),
                      list(TicketType.choices)),
                Param("priority", _("Priority"), "choice", get("priority", Priority.NORMAL),
                      list(Priority.choices))]
    if kind == "call_webhook":
        subscriptions = [(str(uuid), name) for uuid, name in WebhookSubscription.all_objects
                         .filter(organization_id=organization_id).order_by("name")
                         .values_list("uuid", "name")]
        return [Param("subscription", _("Webhook subscription"), "choice",
                      get("subscription"), [("", _("Choose a subscription")),
                                            *subscriptions])]
    return []


def action_choices() -> list[tuple[str, Any]]:
    return [(kind, ACTION_LABELS.get(kind, kind)) for kind in checks.ACTIONS]


def actions_from_post(data: Any, organization_id: int) -> list[ActionRow]:
    count = _count(data.get("action_rows"))
    rows: list[ActionRow] = []
    for i in range(count):
        if data.get("remove_action") == str(i):
            continue
        prefix = f"a-{i}-"
        kind = str(data.get(prefix + "type", ""))[:40]
        values = {key[len(prefix):]: str(value)[:_TEXT_LIMIT] for key, value in data.items()
                  if key.startswith(prefix) and key != prefix + "type"}
        rows.append(ActionRow(index=len(rows), type=kind,
                              params=action_params(kind, values, organization_id)))
    if data.get("add_action") and len(rows) < checks.MAX_ACTIONS:
        rows.append(ActionRow(index=len(rows), type="create_task",
                              params=action_params("create_task", {}, organization_id)))
    return rows


def actions_to_rows(actions: list[dict[str, Any]], organization_id: int) -> list[ActionRow]:
    return [ActionRow(index=i, type=str(action.get("type", "")),
                      params=action_params(str(action.get("type", "")),
                                           {k: v for k, v in action.items() if k != "type"},
                                           organization_id))
            for i, action in enumerate(actions or [])]


_NUMBERS = {"due_in_days"}


def actions_from_rows(rows: list[ActionRow]) -> list[dict[str, Any]]:
    """The actions as the checks take them; a number that is not one is passed as typed."""
    actions = []
    for row in rows:
        action: dict[str, Any] = {"type": row.type}
        for param in row.params:
            value = param.value
            if param.name in _NUMBERS or param.kind == "number":
                value = number_or_text(str(value).strip())
            action[param.name] = value
        actions.append(action)
    return actions


def attach_errors(errors: dict[str, list[str]], conditions: list[ConditionRow],
                  actions: list[ActionRow]) -> list[str]:
    """Put each error beside its control (``conditions.conditions[2].value`` on row 2,
    ``actions[1].to`` on action 1's "to"); return the ones that belong to no row."""
    general = []
    for path, messages in errors.items():
        placed = False
        if path.startswith("conditions.conditions["):
            index = path[len("conditions.conditions["):].split("]", 1)[0]
            if index.isdigit() and int(index) < len(conditions):
                conditions[int(index)].errors.extend(messages)
                placed = True
        elif path.startswith("actions["):
            index, _sep, rest = path[len("actions["):].partition("]")
            if index.isdigit() and int(index) < len(actions):
                row = actions[int(index)]
                name = rest.lstrip(".")
                target = next((p for p in row.params if p.name == name), None)
                (target.errors if target is not None else row.errors).extend(messages)
                placed = True
        if not placed:
            general.extend(messages)
    return general


def ticket_type_choices() -> list[tuple[str, Any]]:
    return list(TicketType.choices)
