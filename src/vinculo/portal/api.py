"""Read-only REST API of supplier plans for staff (``/api/v1/portal/supplier-plans/``).

Every row is one confirmation or change (the table is its own history), by the supplier on
the portal or by staff on the supplier plan page; ``?latest=true`` keeps only the plan in
force per supplier, product and month. Scoped like every endpoint: the caller's organisation,
``portal.view`` (every staff role) and the supplier account's record rule (a sales
representative reads the plans of their own and their team's suppliers).
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, viewsets

from vinculo.core.api_base import TenantScopedMixin
from vinculo.portal import supplier_selectors
from vinculo.portal.models import SupplierPlan
from vinculo.portal.supplier_services import parse_month


class SupplierPlanSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    supplier = serializers.UUIDField(source="supplier.uuid", read_only=True)
    supplier_name = serializers.CharField(source="supplier.name", read_only=True)
    product = serializers.UUIDField(source="product.uuid", read_only=True)
    product_code = serializers.CharField(source="product.full_code", read_only=True)
    product_name = serializers.CharField(source="product.name", read_only=True)
    entered_by = serializers.SerializerMethodField(
        help_text="supplier: on the portal, by its portal user; staff: on the supplier plan "
                  "page")
    author_name = serializers.SerializerMethodField(help_text="who entered it")

    class Meta:
        model = SupplierPlan
        fields = ("id", "supplier", "supplier_name", "product", "product_code",
                  "product_name", "month", "quantity", "delivery_on", "entered_by",
                  "author_name", "created_at")
        read_only_fields = fields

    def get_entered_by(self, plan: SupplierPlan) -> str:
        return "supplier" if plan.portal_user_id else "staff"

    def get_author_name(self, plan: SupplierPlan) -> str:
        return plan.author.get_full_name() or str(plan.author)


_FILTERS = [
    OpenApiParameter("supplier", OpenApiTypes.UUID, required=False,
                     description="the supplier account's UUID"),
    OpenApiParameter("product", OpenApiTypes.UUID, required=False,
                     description="the product's UUID"),
    OpenApiParameter("month", str, required=False, description="YYYY-MM"),
    OpenApiParameter("latest", bool, required=False,
                     description="only the plan in force per supplier, product and month"),
]


@extend_schema_view(list=extend_schema(parameters=_FILTERS))
class SupplierPlanViewSet(TenantScopedMixin, viewsets.ReadOnlyModelViewSet):
    """Supplier plans, newest first. Malformed filters match nothing."""

    permission_domain = "portal"
    queryset = SupplierPlan.objects.none()
    serializer_class = SupplierPlanSerializer
    lookup_field = "uuid"
    lookup_value_regex = "[0-9a-f-]{36}"

    def scoped_queryset(self) -> QuerySet:
        qs = (SupplierPlan.objects.select_related("supplier", "product", "author")
              .order_by("-created_at", "-id"))
        params: Any = self.request.query_params
        for name in ("supplier", "product"):
            if params.get(name):
                try:
                    qs = qs.filter(**{f"{name}__uuid": uuid.UUID(params[name])})
                except ValueError:
                    return qs.none()
        if params.get("month"):
            month = parse_month(params["month"])
            if month is None:
                return qs.none()
            qs = qs.filter(month=month)
        if str(params.get("latest", "")).lower() in ("1", "true", "yes"):
            qs = supplier_selectors.in_force(qs)
        return qs
