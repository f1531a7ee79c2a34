"""REST API of the pipeline: pipelines, opportunities (move, forecast, funnel)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from vinculo.catalog.models import Product
from vinculo.core.api_base import (
    ScopedRelatedField,
    ServiceSerializer,
    TenantScopedMixin,
    TenantViewSet,
)
from vinculo.core.models import User
from vinculo.customers.models import Account, Contact, Lead
from vinculo.sales import selectors, services
from vinculo.sales.filters import OpportunityFilterSet
from vinculo.sales.models import Opportunity, OpportunityLine, Pipeline, Stage


class StageSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)

    class Meta:
        model = Stage
        fields = ("id", "name", "order", "probability", "kind")


class PipelineSerializer(ServiceSerializer):
    stages = StageSerializer(many=True)

    create_service = staticmethod(services.pipeline_create)

    class Meta:
        model = Pipeline
        fields = ("id", "name", "is_default", "stages")

    def service_kwargs(self, validated_data: dict[str, Any]) -> dict[str, Any]:
        stages = [(s["name"], s["probability"], s.get("kind", "open"))
                  for s in sorted(validated_data["stages"], key=lambda s: s["order"])]
        return {"organization": self.context["request"].user.organization,
                "name": validated_data["name"], "stages": stages,
                "is_default": validated_data.get("is_default", False)}


class PipelineViewSet(TenantScopedMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                      mixins.CreateModelMixin, viewsets.GenericViewSet):
    """Pipelines and their ordered stages."""

    queryset = Pipeline.objects.none()
    serializer_class = PipelineSerializer
    lookup_field = "uuid"
    permission_domain = "sales"

    def scoped_queryset(self) -> QuerySet:
        return Pipeline.objects.prefetch_related("stages")


class OpportunityLineSerializer(serializers.ModelSerializer):
    product = ScopedRelatedField(Product, required=False, allow_null=True,
                                 help_text="A catalogue product; its name and list price are "
                                           "used where description or unit price are left out.")
    description = serializers.CharField(max_length=200, required=False)
    unit_price = serializers.DecimalField(max_digits=14, decimal_places=2, required=False)

    class Meta:
        model = OpportunityLine
        fields = ("product", "description", "quantity", "unit_price", "discount_percent")


class OpportunitySerializer(ServiceSerializer):
    account = ScopedRelatedField(Account)
    contact = ScopedRelatedField(Contact, required=False, allow_null=True)
    owner = ScopedRelatedField(User, required=False, allow_null=True)
    pipeline = ScopedRelatedField(Pipeline, required=False)
    stage = ScopedRelatedField(Stage, required=False)
    lines = OpportunityLineSerializer(many=True, required=False)
    probability = serializers.DecimalField(max_digits=5, decimal_places=2, required=False)

    class Meta:
        model = Opportunity
        fields = ("id", "version", "name", "account", "contact", "pipeline", "stage", "amount",
                  "currency", "probability", "expected_close", "owner", "source", "status",
                  "lost_reason", "lines", "created_at", "closed_at")
        read_only_fields = ("status", "lost_reason", "created_at", "closed_at")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if self.instance is not None:
            if "version" not in attrs:
                raise serializers.ValidationError({"version": ["Send the version you read."]})
            for key in ("stage", "pipeline", "lines"):
                if key in attrs:
                    raise serializers.ValidationError(
                        {key: ["Use the move action to change the stage."
                               if key == "stage" else "Cannot be changed here."]})
        return attrs

    create_service = staticmethod(services.opportunity_create)
    update_service = staticmethod(services.opportunity_update)
    instance_kwarg = "opportunity"

    def service_kwargs(self, validated_data: dict[str, Any]) -> dict[str, Any]:
        if self.instance is not None:
            return {"data": validated_data}
        return {"pipeline": validated_data.pop("pipeline", None),
                "stage": validated_data.pop("stage", None),
                "lines": validated_data.pop("lines", []), "data": validated_data}


class MoveSerializer(serializers.Serializer):
    stage = serializers.UUIDField()
    lost_reason = serializers.CharField(max_length=200,
                                        required=False, allow_blank=True, default="")
    version = serializers.IntegerField(required=False, min_value=1)


class FromLeadSerializer(serializers.Serializer):
    lead = serializers.UUIDField()
    amount = serializers.DecimalField(max_digits=14, decimal_places=2, required=False)
    name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class ForecastRowSerializer(serializers.Serializer):
    month = serializers.CharField(help_text="The month of the expected close, YYYY-MM.")
    owner = serializers.CharField(help_text="The owner's name (or e-mail; — for nobody).")
    currency = serializers.CharField()
    count = serializers.IntegerField()
    amount = serializers.DecimalField(max_digits=16, decimal_places=2)
    weighted = serializers.DecimalField(max_digits=16, decimal_places=2,
                                        help_text="Σ amount × probability.")


class FunnelRowSerializer(serializers.Serializer):
    key = serializers.CharField(help_text="The source channel (an opportunity's own, else its "
                                          "lead's, else its account's), or the owner's e-mail; "
                                          "empty for none.")
    label = serializers.CharField(help_text="The source's name in the user's language, the "
                                            "owner's e-mail, or Unknown.")
    leads = serializers.IntegerField()
    opportunities = serializers.IntegerField()
    from_leads = serializers.IntegerField()
    won = serializers.IntegerField()
    lost = serializers.IntegerField()
    lead_to_opportunity = serializers.FloatField(allow_null=True, help_text="Percent.")
    win_rate = serializers.FloatField(allow_null=True, help_text="Percent of those closed.")
    days_to_close = serializers.FloatField(allow_null=True, help_text="Mean, of those won.")


class OpportunityViewSet(TenantViewSet):
    """Possible sales moving through a pipeline; ``move`` changes the stage."""

    queryset = Opportunity.objects.none()
    serializer_class = OpportunitySerializer
    filterset_class = OpportunityFilterSet
    permission_domain = "sales"
    ordering_fields = ["created_at", "expected_close", "amount", "name"]
    delete_service = staticmethod(services.opportunity_delete)
    instance_kwarg = "opportunity"
    action_permissions = {"move": "sales.change", "forecast": "sales.view",
                          "funnel": "sales.view", "from_lead": "leads.convert"}

    def scoped_queryset(self) -> QuerySet:
        return (Opportunity.objects.select_related("account", "contact", "owner", "pipeline",
                                                   "stage")
                .prefetch_related("lines").order_by("-created_at", "-id"))

    @extend_schema(request=MoveSerializer, responses=OpportunitySerializer)
    @action(detail=True, methods=["post"])
    def move(self, request: Request, uuid: str | None = None) -> Response:
        """Move to another stage (won and lost stages close it; lost needs a reason)."""
        opportunity = self.get_object()
        payload = MoveSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        stage = Stage.objects.filter(uuid=payload.validated_data["stage"]).first()
        if stage is None:
            raise serializers.ValidationError({"stage": ["Not found."]})
        moved = services.opportunity_move(
            actor=request.user, opportunity=opportunity, stage=stage,
            lost_reason=payload.validated_data["lost_reason"],
            expected_version=payload.validated_data.get("version"))
        return Response(self.get_serializer(moved).data)

    @extend_schema(request=FromLeadSerializer, responses=OpportunitySerializer)
    @action(detail=False, methods=["post"], url_path="from-lead")
    def from_lead(self, request: Request) -> Response:
        """Convert a lead into account + contact and open an opportunity, in one step."""
        payload = FromLeadSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        lead = Lead.objects.all().restrict(request.user).filter(
            uuid=payload.validated_data["lead"]).first()
        if lead is None:
            raise serializers.ValidationError({"lead": ["Not found."]})
        _account, _contact, opportunity = services.lead_convert_to_opportunity(
            actor=request.user, lead=lead, amount=payload.validated_data.get("amount"),
            name=payload.validated_data["name"])
        return Response(self.get_serializer(opportunity).data, status=201)

    @extend_schema(responses=ForecastRowSerializer(many=True))
    @action(detail=False, methods=["get"])
    def forecast(self, request: Request) -> Response:
        """Weighted forecast (amount × probability) by month of expected close and owner."""
        rows = selectors.weighted_forecast(user=request.user)
        return Response([{**row, "month": row["month"].strftime("%Y-%m"),
                          "amount": str(row["amount"]), "weighted": str(row["weighted"])}
                         for row in rows])

    @extend_schema(parameters=[OpenApiParameter("by", str, enum=["source", "owner", "origin"])],
                   responses=FunnelRowSerializer(many=True))
    @action(detail=False, methods=["get"])
    def funnel(self, request: Request) -> Response:
        """Lead → opportunity → won by source, owner or origin (the campaign that brought them
        in), with rates and days to close."""
        by = request.query_params.get("by", "source")
        if by not in ("source", "owner", "origin"):
            raise serializers.ValidationError({"by": ["Choose source, owner or origin."]})
        return Response(selectors.conversion_funnel(user=request.user, by=by))
