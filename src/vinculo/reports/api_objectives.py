"""REST API of objectives: set them (administrators and managers) and read each one's actual
figure, pace and trend (``objectives.progress``)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from vinculo.core.api_base import ScopedRelatedField, ServiceSerializer, TenantViewSet
from vinculo.core.models import Team, User
from vinculo.reports import services_objectives
from vinculo.reports.models import Objective, ObjectiveScope
from vinculo.reports.objectives import progress, visible_objectives


class ObjectiveSerializer(ServiceSerializer):
    indicator = serializers.CharField(max_length=40, help_text=(
        "An indicator key the apps declare: revenue, new_customers, retention, "
        "conversion_rate, average_clv, on_time_delivery, fill_rate, sla_compliance, csat, "
        "nps, complaints, cost_to_serve."))
    scope = serializers.ChoiceField(choices=ObjectiveScope.choices, required=False)
    team = ScopedRelatedField(Team, required=False, allow_null=True)
    user = ScopedRelatedField(User, required=False, allow_null=True)
    target = serializers.DecimalField(max_digits=16, decimal_places=2)

    class Meta:
        model = Objective
        fields = ("id", "version", "indicator", "scope", "team", "user", "start", "end",
                  "target", "created_at", "updated_at")
        read_only_fields = ("created_at", "updated_at")

    create_service = staticmethod(services_objectives.objective_create)
    update_service = staticmethod(services_objectives.objective_update)
    instance_kwarg = "objective"


ProgressOutput = inline_serializer("ObjectiveProgress", {
    "actual": serializers.DecimalField(max_digits=20, decimal_places=2, allow_null=True),
    "target": serializers.DecimalField(max_digits=16, decimal_places=2),
    "unit": serializers.CharField(),
    "state": serializers.ChoiceField(choices=["upcoming", "running", "closed"]),
    "days_gone": serializers.IntegerField(), "days_total": serializers.IntegerField(),
    "projected": serializers.DecimalField(max_digits=20, decimal_places=2, allow_null=True),
    "projection": serializers.ChoiceField(choices=["linear", "current_value"]),
    "on_track": serializers.BooleanField(allow_null=True),
    "trend": inline_serializer("ObjectiveTrendPeriod", {
        "start": serializers.DateField(), "end": serializers.DateField(),
        "value": serializers.DecimalField(max_digits=20, decimal_places=2, allow_null=True),
    }, many=True),
})


def _amount(value: Any) -> str | None:
    return None if value is None else str(value.quantize(value.__class__("0.01")))


class ObjectiveViewSet(TenantViewSet):
    """Objectives per indicator and period, for the organisation, a team or a person. Anyone
    reads those of the indicators their role reads (theirs, their team's, the organisation's);
    administrators and sales managers set them."""

    queryset = Objective.objects.none()
    serializer_class = ObjectiveSerializer
    permission_domain = "objectives"
    action_permissions = {"progress": "objectives.view"}
    delete_service = staticmethod(services_objectives.objective_delete)
    instance_kwarg = "objective"

    def get_queryset(self) -> QuerySet:
        if getattr(self, "swagger_fake_view", False):
            return Objective.objects.none()
        return visible_objectives(self.request.user)

    @extend_schema(responses=ProgressOutput)
    @action(detail=True, methods=["get"])
    def progress(self, request: Request, uuid: str | None = None) -> Response:
        """The actual figure so far, the projection to the period's end at the current pace
        (linear for sums, the current value for rates and averages), whether that makes the
        objective, and the figure over the three previous periods."""
        shown = progress(self.get_object())
        pace = shown.pace
        return Response({
            "actual": _amount(shown.actual), "target": _amount(shown.objective.target),
            "unit": shown.indicator.unit, "state": pace.state, "days_gone": pace.days_gone,
            "days_total": pace.days_total, "projected": _amount(pace.projected),
            "projection": "linear" if shown.indicator.additive else "current_value",
            "on_track": pace.on_track,
            "trend": [{"start": row["start"].isoformat(), "end": row["end"].isoformat(),
                       "value": _amount(row["value"])} for row in shown.trend]})
