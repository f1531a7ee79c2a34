"""Read-only REST API of the analytical CRM: snapshots, segments, migration, whale curve, runs,
demand forecast.

Scoped like every endpoint: the caller's organisation only (another organisation's account is
a 404) and roles holding ``analytics.view`` (administrator, sales manager, analyst; others 403).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from vinculo.analytics import demand, selectors
from vinculo.analytics.models import AnalyticsRun, CustomerSnapshot
from vinculo.core.api_base import TenantScopedMixin
from vinculo.customers.models import Account


class SnapshotSerializer(serializers.ModelSerializer):
    class Meta:
        model = CustomerSnapshot
        fields = (
            "as_of", "first_purchase", "last_purchase", "recency_days", "frequency", "monetary",
            "T", "r_score", "f_score", "m_score", "rfm_segment", "p_alive",
            "expected_purchases", "expected_spend", "clv", "p_alive_lower", "p_alive_upper",
            "expected_purchases_lower", "expected_purchases_upper", "clv_lower", "clv_upper",
            "revenue", "cost_of_goods", "cost_to_serve", "cost_breakdown", "profit",
            "profit_segment", "value_tier", "model",
        )
        extra_kwargs = {"model": {"help_text": (
            "The model behind p_alive and clv: bg_nbd or mbg_nbd (purchase models), or sbg "
            "for an account with contracts, whose p_alive is then its probability of renewing "
            "its main contract and clv the contracts' residual lifetime value.")}}


class AccountSnapshotsSerializer(serializers.Serializer):
    account = serializers.UUIDField()
    name = serializers.CharField()
    snapshots = SnapshotSerializer(many=True)


class RunSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)

    class Meta:
        model = AnalyticsRun
        fields = ("id", "as_of", "status", "progress", "step", "started_at", "finished_at",
                  "customers", "parameters", "error")


class SegmentSerializer(serializers.Serializer):
    segment = serializers.CharField()
    label = serializers.CharField()
    customers = serializers.IntegerField()
    clv = serializers.DecimalField(max_digits=20, decimal_places=2)
    revenue = serializers.DecimalField(max_digits=20, decimal_places=2)
    profit = serializers.DecimalField(max_digits=20, decimal_places=2)
    p_alive = serializers.FloatField(allow_null=True)


class SegmentsSerializer(serializers.Serializer):
    as_of = serializers.DateField(allow_null=True)
    segments = SegmentSerializer(many=True)


class MigrationSerializer(serializers.Serializer):
    date_1 = serializers.DateField(allow_null=True)
    date_2 = serializers.DateField(allow_null=True)
    rows = serializers.ListField(child=serializers.CharField())
    columns = serializers.ListField(child=serializers.CharField())
    counts = serializers.ListField(child=serializers.ListField(child=serializers.IntegerField()))


class WhalePointSerializer(serializers.Serializer):
    share = serializers.FloatField()
    profit_pct = serializers.FloatField(allow_null=True)


class WhaleSerializer(serializers.Serializer):
    as_of = serializers.DateField(allow_null=True)
    customers = serializers.IntegerField()
    peak = serializers.FloatField(allow_null=True)
    peak_share = serializers.FloatField(allow_null=True)
    points = WhalePointSerializer(many=True)


class ForecastSeriesSerializer(serializers.Serializer):
    id = serializers.CharField(source="key")
    code = serializers.CharField()
    name = serializers.CharField()
    method = serializers.CharField()
    method_label = serializers.CharField()
    mase = serializers.FloatField(allow_null=True)
    candidates = serializers.DictField(child=serializers.FloatField(allow_null=True))
    history = serializers.ListField(child=serializers.FloatField())
    forecast = serializers.ListField(child=serializers.FloatField())


class ForecastKindSerializer(serializers.Serializer):
    season_length = serializers.IntegerField()
    series = ForecastSeriesSerializer(many=True)


class ForecastSerializer(serializers.Serializer):
    as_of = serializers.DateField()
    months = serializers.ListField(child=serializers.DateField())
    future = serializers.ListField(child=serializers.DateField())
    horizon = serializers.IntegerField()
    products = ForecastKindSerializer()
    customers = ForecastKindSerializer()


def _date(request: Any, name: str, default: dt.date | None) -> dt.date | None:
    raw = request.query_params.get(name)
    if not raw:
        return default
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise ValidationError({name: ["Use a date as YYYY-MM-DD."]}) from None


AS_OF = OpenApiParameter("as_of", str, description="Snapshot date (default: the latest).")


class AccountSnapshotViewSet(TenantScopedMixin, mixins.RetrieveModelMixin,
                             viewsets.GenericViewSet):
    """The dated snapshots of one account, newest first."""

    queryset = Account.objects.none()
    serializer_class = AccountSnapshotsSerializer
    lookup_field = "uuid"
    lookup_value_regex = "[0-9a-f-]{36}"
    permission_domain = "analytics"

    def scoped_queryset(self) -> QuerySet:
        return Account.objects.all().restrict(self.request.user)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        account = self.get_object()
        rows = selectors.account_snapshots(account)
        return Response({"account": account.uuid, "name": account.name,
                         "snapshots": SnapshotSerializer(rows, many=True).data})


class AnalyticsViewSet(TenantScopedMixin, viewsets.GenericViewSet):
    """Organisation-wide figures read from the latest (or a chosen) snapshot date."""

    queryset = CustomerSnapshot.objects.none()
    permission_domain = "analytics"
    pagination_class = None
    serializer_class = SegmentsSerializer

    @extend_schema(parameters=[AS_OF], responses=SegmentsSerializer)
    @action(detail=False, methods=["get"])
    def segments(self, request: Request) -> Response:
        as_of = _date(request, "as_of", selectors.current_date())
        rows = selectors.segment_sizes(as_of) if as_of else []
        return Response(SegmentsSerializer({"as_of": as_of, "segments": rows}).data)

    @extend_schema(
        parameters=[OpenApiParameter("from", str, description="First date (default: previous)."),
                    OpenApiParameter("to", str, description="Second date (default: latest).")],
        responses=MigrationSerializer,
    )
    @action(detail=False, methods=["get"])
    def migration(self, request: Request) -> Response:
        dates = selectors.snapshot_dates()
        date_2 = _date(request, "to", dates[0] if dates else None)
        date_1 = _date(request, "from", dates[1] if len(dates) > 1 else date_2)
        if date_1 is None or date_2 is None:  # no snapshot yet
            return Response({"date_1": None, "date_2": None, "rows": [], "columns": [],
                             "counts": []})
        m = selectors.migration_between(date_1, date_2)
        return Response(MigrationSerializer(m).data)

    @extend_schema(parameters=[AS_OF], responses=WhaleSerializer)
    @action(detail=False, methods=["get"], url_path="whale-curve")
    def whale_curve(self, request: Request) -> Response:
        as_of = _date(request, "as_of", selectors.current_date())
        data = selectors.whale(as_of) if as_of else {"points": [], "peak": None,
                                                     "peak_share": None, "customers": 0}
        return Response(WhaleSerializer({"as_of": as_of, **data}).data)

    @extend_schema(
        parameters=[
            OpenApiParameter("as_of", str, description="Last day of history (default: today);"
                             " only complete months count."),
            OpenApiParameter("horizon", int, description="Months to forecast, 1-24 (default 3)."),
            OpenApiParameter("months", int, description="Months of history, 6-60 (default 24)."),
        ],
        responses=ForecastSerializer,
    )
    @action(detail=False, methods=["get"])
    def forecast(self, request: Request) -> Response:
        """Monthly demand per product and per top-20 customer, with each series' forecast."""
        params = demand.parameters(request.query_params)  # refused as a 400 by field
        products = demand.product_forecast(**params)
        customers = demand.customer_forecast(**params)
        return Response(ForecastSerializer({
            "as_of": products.as_of, "months": products.months, "future": products.future,
            "horizon": products.horizon, "products": products,
            "customers": customers}).data)

    @extend_schema(responses={200: RunSerializer,
                              404: OpenApiResponse(description="No run yet.")})
    @action(detail=False, methods=["get"], url_path="runs/latest")
    def latest_run(self, request: Request) -> Response:
        run = selectors.latest_run()
        if run is None:
            raise Http404
        return Response(RunSerializer(run).data)
