"""REST API of service packages: the packages (with their included services and rule), a
customer's assignment by hand, the measures per package and the migration matrix, and the
changes of package (pending downgrades approved or rejected by a manager)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from vinculo.core.api_base import (
    ScopedRelatedField,
    ServiceSerializer,
    TenantScopedMixin,
    TenantViewSet,
)
from vinculo.customers.models import Account
from vinculo.packages import measures
from vinculo.packages import services as package_services
from vinculo.packages.models import PackageChange, ServiceChannel, ServicePackage

MANAGE = "packages.manage"


class IncludedServiceSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=120)
    monthly_cost = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=0)


class PackageSerializer(ServiceSerializer):
    rule = serializers.JSONField(required=False, help_text="The segments' rule language over "
                                 "accounts (see /api/segments/fields/); empty: by hand only.")
    price_list = ScopedRelatedField("catalog.PriceList", required=False, allow_null=True)
    account_manager = ScopedRelatedField("core.User", required=False, allow_null=True)
    team = ScopedRelatedField("core.Team", required=False, allow_null=True)
    channels = serializers.ListField(child=serializers.ChoiceField(ServiceChannel.choices),
                                     required=False)
    services = IncludedServiceSerializer(many=True, required=False)

    class Meta:
        model = ServicePackage
        fields = ("id", "version", "name", "description", "rank", "active", "rule",
                  "service_tier", "price_list", "lead_time_days", "partial_deliveries",
                  "payment_terms_days", "account_manager", "team", "channels", "offers",
                  "downgrade_needs_approval", "services", "created_at", "updated_at")
        read_only_fields = ("created_at", "updated_at")

    create_service = staticmethod(package_services.package_create)
    update_service = staticmethod(package_services.package_update)
    instance_kwarg = "package"

    def service_kwargs(self, validated_data: dict[str, Any]) -> dict[str, Any]:
        included = validated_data.pop("services", None)
        return {"data": validated_data, "services": included}

    def to_representation(self, instance: Any) -> Any:
        data = super().to_representation(instance)
        data["services"] = [{"name": s.name, "monthly_cost": str(s.monthly_cost)}
                            for s in instance.services.all()]
        return data


class AssignInput(serializers.Serializer):
    account = ScopedRelatedField(Account)
    package = ScopedRelatedField(ServicePackage, required=False, allow_null=True)
    reason = serializers.CharField(max_length=2000)


class ChangeSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    account = serializers.SlugRelatedField(slug_field="uuid", read_only=True)
    from_package = serializers.SlugRelatedField(slug_field="uuid", read_only=True,
                                                allow_null=True)
    to_package = serializers.SlugRelatedField(slug_field="uuid", read_only=True,
                                              allow_null=True)

    class Meta:
        model = PackageChange
        fields = ("id", "account", "from_package", "to_package", "on", "decided_by", "reason",
                  "status", "reviewed_at", "created_at")


MEASURES = ("on_time_rate", "fill_rate", "order_fill_rate", "sla_compliance", "csat", "nps",
            "complaints_per_100_orders", "return_rate", "credit_notes_per_100_invoices",
            "revenue_per_customer", "cost_to_serve_per_customer", "profit_per_customer")
Measures = inline_serializer("PackageMeasures", {
    "package": serializers.UUIDField(), "name": serializers.CharField(),
    "customers": serializers.IntegerField(),
    **{name: serializers.FloatField(allow_null=True) for name in MEASURES},
})
Matrix = inline_serializer("PackageMigration", {
    "from": serializers.UUIDField(allow_null=True), "to": serializers.UUIDField(allow_null=True),
    "customers": serializers.IntegerField()})
_PERIOD = [OpenApiParameter("start", dt.date, description="the day before the period "
                            "(default: 90 days ago)"),
           OpenApiParameter("end", dt.date, description="the last day (default: today)")]


def _date(raw: str | None, default: dt.date, name: str) -> dt.date:
    if not raw:
        return default
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise ValidationError({name: _("Enter a date as YYYY-MM-DD.")}) from None


def period(params: Any) -> tuple[dt.date, dt.date]:
    today = timezone.localdate()
    end = _date(params.get("end"), today, "end")
    start = _date(params.get("start"), end - dt.timedelta(days=90), "start")
    if start >= end:
        raise ValidationError({"start": _("The start must be before the end.")})
    return start, end


class PackageViewSet(TenantViewSet):
    """Service packages: what the company promises each class of customers, who gets it (a
    rule over the analytics snapshot, re-evaluated after each recompute, or by hand), and
    whether it keeps its promise (`measures`, `migrations`)."""

    queryset = ServicePackage.objects.none()
    serializer_class = PackageSerializer
    permission_domain = "packages"
    action_permissions = {"create": MANAGE, "update": MANAGE, "partial_update": MANAGE,
                          "destroy": MANAGE, "assign": "packages.assign",
                          "measures": "analytics.view", "migrations": "analytics.view"}
    delete_service = staticmethod(package_services.package_delete)
    instance_kwarg = "package"

    def scoped_queryset(self) -> QuerySet:
        return ServicePackage.objects.prefetch_related("services").order_by("-rank", "name")

    @extend_schema(request=AssignInput, responses={201: ChangeSerializer})
    @action(detail=False, methods=["post"])
    def assign(self, request: Request) -> Response:
        """Give a customer a package by hand (`package: null` takes it away), with the reason.
        A downgrade that needs approval is answered as a pending change."""
        payload = AssignInput(data=request.data, context={"request": request})
        payload.is_valid(raise_exception=True)
        change = package_services.package_assign(actor=request.user, **payload.validated_data)
        return Response(ChangeSerializer(change).data, status=201)

    @extend_schema(responses=Measures.__class__(many=True), parameters=_PERIOD)
    @action(detail=False, methods=["get"])
    def measures(self, request: Request) -> Response:
        """Per package, over the period: on-time delivery, fill rate, SLA compliance, CSAT,
        NPS, complaints per 100 orders, returns per 100 orders, credit notes per 100 invoices,
        and revenue, cost to serve and profit per customer (latest analytics snapshot). Each
        order, ticket, return and invoice counts for the package its customer had on its day
        (a customer who moved leaves the old package's records to it); `customers`: those
        who had the package at some time in the period."""
        start, end = period(request.query_params)
        found = measures.measures(start=start, end=end)
        rows = []
        for package in ServicePackage.objects.order_by("-rank", "name"):
            values = found.get(package.pk, {})
            rows.append({"package": package.uuid, "name": package.name,
                         "customers": values.get("customers", 0), **{
                             k: (float(values[k]) if values.get(k) is not None else None)
                             for k in MEASURES}})
        return Response(rows)

    @extend_schema(responses=Matrix.__class__(many=True), parameters=_PERIOD)
    @action(detail=False, methods=["get"])
    def migrations(self, request: Request) -> Response:
        """How many customers moved from one package to another in the period (null: no
        package)."""
        start, end = period(request.query_params)
        uuids = dict(ServicePackage.objects.values_list("id", "uuid"))
        return Response([{"from": uuids.get(a), "to": uuids.get(b), "customers": n}
                         for (a, b), n in measures.migration_matrix(start=start, end=end)
                         .items()])


class PackageChangeViewSet(TenantScopedMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                           viewsets.GenericViewSet):
    """Every change of a customer's package, dated, with who or what decided it;
    `?status=pending` lists the downgrades waiting for a manager."""

    queryset = PackageChange.objects.none()
    serializer_class = ChangeSerializer
    permission_domain = "packages"
    lookup_field = "uuid"
    action_permissions = {"approve": "packages.approve", "reject": "packages.approve"}

    def scoped_queryset(self) -> QuerySet:
        rows = PackageChange.objects.select_related("account", "from_package", "to_package")
        status = self.request.query_params.get("status")
        if status:
            rows = rows.filter(status=status)
        return rows.order_by("-on", "-id")

    @extend_schema(request=None, responses=ChangeSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, uuid: str | None = None) -> Response:
        """Approve a pending downgrade: the customer moves now."""
        change = package_services.change_approve(actor=request.user, change=self.get_object())
        return Response(ChangeSerializer(change).data)

    @extend_schema(request=None, responses=ChangeSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, uuid: str | None = None) -> Response:
        """Reject a pending downgrade: the customer keeps their package."""
        change = package_services.change_reject(actor=request.user, change=self.get_object())
        return Response(ChangeSerializer(change).data)
