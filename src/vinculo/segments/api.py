"""REST API of segments: CRUD through the services with the rule language, the live preview
of a rule (count and sample), the registry of fields, members, movements, the value summary,
the static list's members and the refresh."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import timezone
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from vinculo.core.api_base import ServiceSerializer, TenantViewSet
from vinculo.core.pagination import paginate
from vinculo.customers.models import Account, Contact
from vinculo.segments import rules, selectors, services
from vinculo.segments.models import Segment, Subject
from vinculo.segments.rules.schema import RULE_SCHEMA


@extend_schema_field(RULE_SCHEMA)
class RuleField(serializers.JSONField):
    pass


class CustomerSegmentSerializer(ServiceSerializer):
    rule = RuleField(required=False)

    class Meta:
        model = Segment
        fields = ("id", "version", "name", "description", "subject", "kind", "rule",
                  "member_count", "refreshed_at", "created_at", "updated_at")
        read_only_fields = ("member_count", "refreshed_at", "created_at", "updated_at")

    create_service = staticmethod(services.segment_create)
    update_service = staticmethod(services.segment_update)
    instance_kwarg = "segment"

    def service_kwargs(self, validated_data: dict[str, Any]) -> dict[str, Any]:
        return validated_data


class PreviewInput(serializers.Serializer):
    subject = serializers.ChoiceField(choices=Subject.choices, default=Subject.CONTACTS)
    rule = RuleField()


class MemberSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="uuid")
    name = serializers.CharField(source="__str__")
    email = serializers.CharField(allow_blank=True)


PreviewOutput = inline_serializer("SegmentPreview", {
    "count": serializers.IntegerField(),
    "sample": MemberSerializer(many=True),
})
MembersPage = inline_serializer("SegmentMembersPage", {
    "page": serializers.IntegerField(),
    "has_next": serializers.BooleanField(),
    "results": MemberSerializer(many=True),
})
FieldOutput = inline_serializer("SegmentField", {
    "name": serializers.CharField(), "label": serializers.CharField(),
    "group": serializers.CharField(), "type": serializers.CharField(),
    "applies_to": serializers.CharField(),
    "operators": serializers.ListField(child=serializers.CharField()),
    "params": serializers.ListField(child=serializers.CharField()),
    "choices": serializers.ListField(child=serializers.DictField()),
})


class RecordsInput(serializers.Serializer):
    add = serializers.ListField(child=serializers.UUIDField(), required=False, max_length=1000)
    remove = serializers.ListField(child=serializers.UUIDField(), required=False,
                                   max_length=1000)


MovementRow = inline_serializer("SegmentMovement", {
    "id": serializers.UUIDField(), "name": serializers.CharField(),
    "entered_at": serializers.DateTimeField(),
    "left_at": serializers.DateTimeField(allow_null=True),
})
Movements = inline_serializer("SegmentMovements", {
    "entered": MovementRow.__class__(many=True), "left": MovementRow.__class__(many=True)})
Summary = inline_serializer("SegmentValueSummary", {
    "members": serializers.IntegerField(),
    "as_of": serializers.DateField(allow_null=True),
    "accounts": serializers.IntegerField(),
    "clv": serializers.DecimalField(max_digits=20, decimal_places=2, allow_null=True),
    "revenue": serializers.DecimalField(max_digits=20, decimal_places=2, allow_null=True),
    "profit": serializers.DecimalField(max_digits=20, decimal_places=2, allow_null=True),
})
RefreshOutput = inline_serializer("SegmentRefresh", {
    "entered": serializers.IntegerField(), "left": serializers.IntegerField(),
    "members": serializers.IntegerField()})


def _date(raw: str | None, default: dt.date, name: str) -> dt.date:
    if not raw:
        return default
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise ValidationError({name: "Enter a date as YYYY-MM-DD."}) from None


class SegmentViewSet(TenantViewSet):
    """Segments: saved rules over accounts or contacts (the analytics included) or static
    lists, with their members materialised by `refresh` (nightly too)."""

    queryset = Segment.objects.none()
    serializer_class = CustomerSegmentSerializer
    permission_domain = "segments"
    action_permissions = {"preview": "segments.view", "fields": "segments.view",
                          "members": "segments.view", "movements": "segments.view",
                          "summary": "segments.view", "refresh": "segments.change",
                          "change_members": "segments.change"}
    delete_service = staticmethod(services.segment_delete)
    instance_kwarg = "segment"

    def scoped_queryset(self) -> QuerySet:
        return Segment.objects.order_by("name", "id")

    @extend_schema(request=PreviewInput, responses=PreviewOutput)
    @action(detail=False, methods=["post"])
    def preview(self, request: Request) -> Response:
        """The live count and a sample of the customers a rule selects (nothing is saved)."""
        payload = PreviewInput(data=request.data)
        payload.is_valid(raise_exception=True)
        result = selectors.preview(payload.validated_data["rule"],
                                   subject=payload.validated_data["subject"],
                                   organization_id=request.user.organization_id,
                                   user=request.user)
        return Response({"count": result["count"],
                         "sample": MemberSerializer(result["sample"], many=True).data})

    @extend_schema(responses=FieldOutput.__class__(many=True))
    @action(detail=False, methods=["get"])
    def fields(self, request: Request) -> Response:
        """Every field a rule may name, with its type, operators and choices."""
        return Response(rules.describe(request.user.organization_id))

    @extend_schema(responses=MembersPage, parameters=[
        OpenApiParameter("page", int, description="page number, from 1"),
        OpenApiParameter("page_size", int, description="rows per page (at most 200)")])
    @action(detail=True, methods=["get"])
    def members(self, request: Request, uuid: str | None = None) -> Response:
        """The segment's members now (accounts or contacts), as materialised by the last
        refresh. Any list of accounts or contacts also takes `?segment=<id>`."""
        segment = self.get_object()
        ordering = "name" if segment.subject == Subject.ACCOUNTS else "full_name"
        rows = selectors.members(segment, request.user).order_by(ordering, "id")
        page = paginate(rows, page=request.query_params.get("page"),
                        size=request.query_params.get("page_size"))
        return Response({"page": page.number, "has_next": page.has_next,
                         "results": MemberSerializer(page.items, many=True).data})

    @extend_schema(request=RecordsInput, responses=RefreshOutput)
    @members.mapping.post
    def change_members(self, request: Request, uuid: str | None = None) -> Response:
        """Add records to a static list, or take them out (by their ids)."""
        segment = self.get_object()
        payload = RecordsInput(data=request.data)
        payload.is_valid(raise_exception=True)
        model: Any = Account if segment.subject == Subject.ACCOUNTS else Contact
        visible = model.objects.restrict(request.user)
        entered = left = 0
        for key in ("add", "remove"):
            wanted = payload.validated_data.get(key) or []
            records = list(visible.filter(uuid__in=wanted))
            if len(records) != len(set(wanted)):
                raise ValidationError({key: "Some of these records were not found."})
            if key == "add" and records:
                entered = services.segment_members_add(actor=request.user, segment=segment,
                                                       records=records)
            elif records:
                left = services.segment_members_remove(actor=request.user, segment=segment,
                                                       records=records)
        segment.refresh_from_db()
        return Response({"entered": entered, "left": left, "members": segment.member_count})

    @extend_schema(responses=Movements, parameters=[
        OpenApiParameter("start", dt.date, description="first day (default: 7 days ago)"),
        OpenApiParameter("end", dt.date, description="last day (default: today)")])
    @action(detail=True, methods=["get"])
    def movements(self, request: Request, uuid: str | None = None) -> Response:
        """Who entered and who left the segment between two days (at most 500 of each)."""
        segment = self.get_object()
        today = timezone.localdate()
        start = _date(request.query_params.get("start"), today - dt.timedelta(days=7), "start")
        end = _date(request.query_params.get("end"), today, "end")
        found = selectors.movements(segment, start=start, end=end)

        def rows(queryset: QuerySet) -> list[dict[str, Any]]:
            return [{"id": (m.account or m.contact).uuid, "name": str(m.account or m.contact),
                     "entered_at": m.entered_at, "left_at": m.left_at}
                    for m in queryset[:500]]
        return Response(Movements.__class__({"entered": rows(found["entered"]),
                                             "left": rows(found["left"])}).data)

    @extend_schema(responses=Summary)
    @action(detail=True, methods=["get"])
    def summary(self, request: Request, uuid: str | None = None) -> Response:
        """The members' count and the total CLV, revenue and profit of their accounts, from
        the latest finished analytics snapshot."""
        data = selectors.value_summary(self.get_object())
        return Response(Summary.__class__(data).data)

    @extend_schema(request=None, responses=RefreshOutput)
    @action(detail=True, methods=["post"])
    def refresh(self, request: Request, uuid: str | None = None) -> Response:
        """Recompute the members now: who entered and who left."""
        result = services.segment_refresh(segment=self.get_object(), actor=request.user)
        return Response({"entered": result.entered, "left": result.left,
                         "members": result.members})
