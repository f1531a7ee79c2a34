"""REST API of the service desk's settings: queues (with by-tier routes), SLA policies (with
targets per priority), business calendars and their holidays.

Writes are for administrators (``service.manage``); everyone who can see tickets may read
them (a ticket names its queue and SLA policy).
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from vinculo.core.api_base import ScopedRelatedField, ServiceSerializer, TenantViewSet
from vinculo.core.models import Team, User
from vinculo.interactions.models import Mailbox
from vinculo.service import services
from vinculo.service.models import BusinessCalendar, Holiday, Queue, SlaPolicy, TicketCategory

MANAGE = "service.manage"
WRITES = {name: MANAGE for name in ("create", "update", "partial_update", "destroy",
                                    "import_holidays")}


class SettingsViewSet(TenantViewSet):
    permission_domain = "service"
    action_permissions = WRITES
    http_method_names = ["get", "post", "put", "patch", "head", "options"]


# ---- queues ---------------------------------------------------------------------------------


class TierRoutesField(serializers.DictField):
    """A queue's routes as customer tier → agent."""

    def get_attribute(self, queue: Queue) -> dict[str, Any]:
        return {route.tier: route.agent for route in queue.tier_routes.all()}


class QueueSerializer(ServiceSerializer):
    team = ScopedRelatedField(Team, slug_field="name", required=False, allow_null=True,
                              help_text="The team's name.")
    mailbox = ScopedRelatedField(Mailbox, required=False, allow_null=True)
    escalate_to = ScopedRelatedField(User, required=False, allow_null=True)
    default_for = serializers.ListField(
        child=serializers.CharField(max_length=20), required=False,
        help_text="Ticket kinds (request, incident, complaint, return) routed here by default; "
                  "a ticket type with its own queue goes there.")
    tier_routes = TierRoutesField(
        child=ScopedRelatedField(User, allow_null=True), required=False,
        help_text="By-tier assignment: customer tier → the agent's id (null removes the "
                  "route). Tiers left out keep their route.")

    class Meta:
        model = Queue
        fields = ("id", "version", "name", "team", "assignment", "mailbox", "default_for",
                  "escalate_to", "tier_routes", "created_at", "updated_at")
        read_only_fields = ("created_at", "updated_at")

    create_service = staticmethod(services.queue_create)
    update_service = staticmethod(services.queue_update)
    instance_kwarg = "queue"

    def service_kwargs(self, validated_data: dict[str, Any]) -> dict[str, Any]:
        return {"data": validated_data,
                "tier_routes": validated_data.pop("tier_routes", None)}


class QueueViewSet(SettingsViewSet):
    """Queues: a team, an assignment rule (manual, round robin within the team, by customer
    tier), a mailbox whose new e-mail opens tickets here, the ticket types it takes by
    default and who gets its breached tickets."""

    queryset = Queue.objects.none()
    serializer_class = QueueSerializer

    def scoped_queryset(self) -> QuerySet:
        return Queue.objects.select_related("team", "mailbox", "escalate_to").prefetch_related(
            "tier_routes__agent").order_by("name", "id")


# ---- ticket types ---------------------------------------------------------------------------


class TicketTypeSerializer(ServiceSerializer):
    queue = ScopedRelatedField(Queue, required=False, allow_null=True,
                               help_text="Tickets of this type wait here when none is given; "
                                         "null: the queue taking its kind by default.")

    class Meta:
        model = TicketCategory
        fields = ("id", "version", "name", "kind", "queue", "order", "active",
                  "created_at", "updated_at")
        read_only_fields = ("created_at", "updated_at")

    create_service = staticmethod(services.ticket_type_create)
    update_service = staticmethod(services.ticket_type_update)
    instance_kwarg = "ticket_type"


class TicketTypeViewSet(SettingsViewSet):
    """The organisation's ticket types, each counting as a built-in kind (request, incident,
    complaint, return). A type that tickets have cannot be deleted (409): deactivate it."""

    queryset = TicketCategory.objects.none()
    serializer_class = TicketTypeSerializer
    http_method_names = [*SettingsViewSet.http_method_names, "delete"]
    delete_service = staticmethod(services.ticket_type_delete)
    instance_kwarg = "ticket_type"

    def scoped_queryset(self) -> QuerySet:
        return TicketCategory.objects.select_related("queue").order_by("order", "name", "id")


# ---- SLA policies ---------------------------------------------------------------------------


class TargetSerializer(serializers.Serializer):
    first_response_minutes = serializers.IntegerField()
    resolution_minutes = serializers.IntegerField()


class TargetsField(serializers.DictField):
    """A policy's targets as priority → {first_response_minutes, resolution_minutes}."""

    def get_attribute(self, policy: SlaPolicy) -> dict[str, Any]:
        return {t.priority: t for t in policy.targets.all()}


class SlaPolicySerializer(ServiceSerializer):
    calendar = ScopedRelatedField(BusinessCalendar, required=False, allow_null=True,
                                  help_text="Empty: around the clock.")
    targets = TargetsField(
        child=TargetSerializer(), required=False,
        help_text="Per priority (low, normal, high, urgent), in business minutes. When sent, "
                  "it replaces every target of the policy.")

    class Meta:
        model = SlaPolicy
        fields = ("id", "version", "name", "tier", "calendar", "warn_percent", "active",
                  "targets", "created_at", "updated_at")
        read_only_fields = ("created_at", "updated_at")

    def _targets(self, data: dict[str, Any]) -> dict[str, tuple[int, int]] | None:
        targets = data.pop("targets", None)
        if targets is None:
            return None
        return {priority: (t["first_response_minutes"], t["resolution_minutes"])
                for priority, t in targets.items()}

    create_service = staticmethod(services.sla_policy_create)
    update_service = staticmethod(services.sla_policy_update)
    instance_kwarg = "policy"

    def service_kwargs(self, validated_data: dict[str, Any]) -> dict[str, Any]:
        return {"data": validated_data, "targets": self._targets(validated_data)}


class SlaPolicyViewSet(SettingsViewSet):
    """SLA policies: first-response and resolution targets per priority for the customers
    of one tier (or any), counted in a business calendar."""

    queryset = SlaPolicy.objects.none()
    serializer_class = SlaPolicySerializer

    def scoped_queryset(self) -> QuerySet:
        return SlaPolicy.objects.select_related("calendar").prefetch_related(
            "targets").order_by("name", "id")


# ---- business calendars and holidays --------------------------------------------------------


class HolidayBriefSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)

    class Meta:
        model = Holiday
        fields = ("id", "date", "name")


class BusinessCalendarSerializer(ServiceSerializer):
    weekly_hours = serializers.JSONField(help_text=(
        'Working hours per weekday in local time, Monday = "0": '
        '{"0": [["09:00", "14:00"], ["15:00", "18:00"]], …}; a missing day is closed.'))
    holidays = HolidayBriefSerializer(many=True, read_only=True)

    class Meta:
        model = BusinessCalendar
        fields = ("id", "version", "name", "timezone", "weekly_hours", "holidays",
                  "created_at", "updated_at")
        read_only_fields = ("created_at", "updated_at")

    create_service = staticmethod(services.business_calendar_create)
    update_service = staticmethod(services.business_calendar_update)
    instance_kwarg = "calendar"


class HolidayImportSerializer(serializers.Serializer):
    country = serializers.CharField(max_length=2, help_text="ISO 3166 code, e.g. ES.")
    year = serializers.IntegerField()
    subdivision = serializers.CharField(max_length=10, required=False, allow_blank=True,
                                        default="", help_text="A region, e.g. MD.")


class BusinessCalendarViewSet(SettingsViewSet):
    """Business calendars: weekly working hours in a time zone, and holidays. Changing one
    moves the SLA due times of the open tickets that count in it."""

    queryset = BusinessCalendar.objects.none()
    serializer_class = BusinessCalendarSerializer

    def scoped_queryset(self) -> QuerySet:
        return BusinessCalendar.objects.prefetch_related("holidays").order_by("name", "id")

    @extend_schema(request=HolidayImportSerializer, responses=inline_serializer(
        "HolidaysImported", {"added": serializers.IntegerField()}))
    @action(detail=True, methods=["post"], url_path="import-holidays")
    def import_holidays(self, request: Request, uuid: str | None = None) -> Response:
        """Add a country's (and region's) public holidays of a year; returns how many were
        new (a second import adds none)."""
        calendar = self.get_object()
        payload = HolidayImportSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        added = services.holidays_import(actor=request.user, calendar=calendar,
                                         **payload.validated_data)
        return Response({"added": added})


class HolidaySerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    calendar = ScopedRelatedField(BusinessCalendar)

    class Meta:
        model = Holiday
        fields = ("id", "calendar", "date", "name")
        validators: list = []  # a day already in the calendar: the service says so on date

    def create(self, validated_data: dict[str, Any]) -> Holiday:
        return services.holiday_create(actor=self.context["request"].user, **validated_data)


class HolidayViewSet(SettingsViewSet):
    """Holidays of the business calendars (``?calendar=<id>`` for one calendar's): add one,
    remove one; they cannot be edited (remove and add)."""

    queryset = Holiday.objects.none()
    serializer_class = HolidaySerializer
    http_method_names = ["get", "post", "delete", "head", "options"]
    delete_service = staticmethod(services.holiday_delete)
    instance_kwarg = "holiday"

    def scoped_queryset(self) -> QuerySet:
        rows = Holiday.objects.select_related("calendar").order_by("date", "id")
        calendar = self.request.query_params.get("calendar") if self.request else None
        if calendar:
            try:
                rows = rows.filter(calendar__uuid=uuid.UUID(calendar))
            except ValueError:  # not an id: nothing matches
                return rows.none()
        return rows

    @extend_schema(parameters=[OpenApiParameter("calendar", str, description="A calendar id.")])
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

