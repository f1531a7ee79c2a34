"""REST API of exception rules: CRUD through the services (a bad rule is a 400 keyed by the
part at fault: ``trigger.days``, ``conditions.conditions[0].field``, ``actions[1].to``) and
the log of a rule's firings."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from vinculo.automation import checks, selectors, services
from vinculo.automation.models import Firing, Rule, TriggerKind
from vinculo.core.api_base import ServiceSerializer, TenantViewSet
from vinculo.segments.rules.schema import RULE_SCHEMA

TRIGGER_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": (
        "What starts the rule. `kind`: `event` (with `event`, one of the events listed, and "
        "optionally `record` narrowing the record by its fields, e.g. a ticket's `type`); "
        "`order_due` (with `days`: an order not delivered whose promised date is at most that "
        "many days ahead, or past); `invoice_overdue` (with `days`: overdue by at least that "
        "many days); `segment_entered` and `segment_left` (with `segment`: the UUID of a segment "
        "of accounts; leaving counts stays ended after the rule was made); "
        "`analytics` (after each recompute, for the accounts meeting the conditions); "
        "`field_crosses` (with `field`: " + ", ".join(f"`{n}`" for n in checks.CROSSING) +
        " or `account.custom.<key>` of a numeric custom field of accounts, `direction`: "
        "`above` or `below` (`order.total` only `above`: a new order's total), `value`: a "
        "number; fires on the change that crosses it); `date_relative` (with `field`: " +
        ", ".join(f"`{n}`" for n in checks.DATE_FIELDS) + ", `when`: `before` or `after`, "
        "`days`; once per record and date); `delivery_exception` (with `late` and `short`, "
        "booleans: a delivery after the promised date, or leaving the order incomplete). The "
        "state triggers fire once per record while their condition lasts."),
    "properties": {
        "kind": {"type": "string", "enum": list(TriggerKind.values)},
        "event": {"type": "string", "enum": list(checks.EVENTS)},
        "record": {"type": "object", "example": {"type": ["complaint"]}},
        "days": {"type": "integer", "minimum": 0},
        "segment": {"type": "string", "format": "uuid"},
        "field": {"type": "string", "maxLength": 80,
                  "example": "opportunity.amount"},
        "direction": {"type": "string", "enum": list(checks.DIRECTIONS)},
        "value": {"type": "string", "example": "10000"},
        "when": {"type": "string", "enum": list(checks.WHEN)},
        "late": {"type": "boolean"},
        "short": {"type": "boolean"},
    },
    "required": ["kind"],
    "example": {"kind": "order_due", "days": 3},
}
CONDITIONS_SCHEMA: dict[str, Any] = {
    **RULE_SCHEMA,
    "description": ("Conditions on the record's account, in the segments' rule language "
                    "(fields: `GET /api/segments/fields/`); empty: always. Errors are keyed "
                    "`conditions.conditions[<i>].<part>`."),
    "example": {"match": "all", "conditions": [
        {"field": "analytics.p_alive", "op": "lt", "value": 0.5},
        {"field": "analytics.clv", "op": "gte", "value": 1000}]},
}
ACTIONS_SCHEMA: dict[str, Any] = {
    "type": "array",
    "description": (
        "What the rule does, in order (at most 10). `create_task` {title, due_in_days, "
        "assignee, priority}; `notify` {to, message}; `send_email` {template (UUID of an "
        "e-mail template), to: `contact` (the customer's contact) or a user}; `set_field` "
        "{field: " + ", ".join(f"`{name}`" for name in checks.SETTABLE) + ", value}; "
        "`assign_owner` {to}; `assign_queue` {queue: a queue's UUID, for tickets}; "
        "`enrol_campaign` {campaign: UUID of a campaign not finished}; `open_ticket` {subject, "
        "kind, priority}; `call_webhook` {subscription: UUID of a webhook subscription}. A user is "
        "`account_owner`, `account_manager` (the one the customer's service package names), "
        "`assignee` (a ticket's) or a user's UUID. Errors are keyed "
        "`actions[<i>].<part>`."),
    "items": {"type": "object", "properties": {
        "type": {"type": "string", "enum": list(checks.ACTIONS)}}, "required": ["type"]},
    "example": [{"type": "create_task", "title": "Call the customer", "due_in_days": 1,
                 "assignee": "account_owner"}],
}


@extend_schema_field(TRIGGER_SCHEMA)
class TriggerField(serializers.JSONField):
    pass


@extend_schema_field(CONDITIONS_SCHEMA)
class ConditionsField(serializers.JSONField):
    pass


@extend_schema_field(ACTIONS_SCHEMA)
class ActionsField(serializers.JSONField):
    pass


class RuleSerializer(ServiceSerializer):
    trigger = TriggerField()
    conditions = ConditionsField(required=False)
    actions = ActionsField()
    run_as = serializers.UUIDField(source="run_as.uuid", read_only=True)

    class Meta:
        model = Rule
        fields = ("id", "version", "name", "description", "active", "trigger", "conditions",
                  "actions", "run_as", "created_at", "updated_at")
        read_only_fields = ("created_at", "updated_at")

    create_service = staticmethod(services.rule_create)
    update_service = staticmethod(services.rule_update)
    instance_kwarg = "rule"


class FiringSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    results = serializers.ListField(child=serializers.DictField(), read_only=True)

    class Meta:
        model = Firing
        fields = ("id", "created_at", "trigger", "record_type", "record_uuid", "record_label",
                  "depth", "status", "results")


class RuleViewSet(TenantViewSet):
    """Exception rules: trigger → conditions → actions. Administrators edit them; managers
    and analysts read them and their log."""

    queryset = Rule.objects.none()
    serializer_class = RuleSerializer
    permission_domain = "automation"
    action_permissions = {
        **{name: "automation.view" for name in ("list", "retrieve", "firings")},
        **{name: "automation.manage" for name in ("create", "update", "partial_update",
                                                  "destroy")},
    }
    delete_service = staticmethod(services.rule_delete)
    instance_kwarg = "rule"

    def scoped_queryset(self) -> QuerySet:
        return selectors.rule_list()

    @extend_schema(responses=FiringSerializer(many=True))
    @action(detail=True, methods=["get"])
    def firings(self, request: Request, uuid: str | None = None) -> Response:
        """The rule's latest 100 firings: on what, and what each action did."""
        rule = self.get_object()
        return Response(FiringSerializer(selectors.firings(rule), many=True).data)
