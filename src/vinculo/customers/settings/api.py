"""REST API of the customer settings: the organisation's list of industries. Everyone who
sees accounts may read it; administrators (``customers.manage``) change it."""

from __future__ import annotations

from django.db.models import QuerySet

from vinculo.core.api_base import ServiceSerializer, TenantViewSet
from vinculo.customers.models import Industry
from vinculo.customers.settings import services

MANAGE = "customers.manage"


class IndustrySerializer(ServiceSerializer):
    class Meta:
        model = Industry
        fields = ("id", "version", "name", "order", "active", "created_at", "updated_at")
        read_only_fields = ("created_at", "updated_at")

    create_service = staticmethod(services.industry_create)
    update_service = staticmethod(services.industry_update)
    instance_kwarg = "industry"


class IndustryViewSet(TenantViewSet):
    """The industries the account form and the account list offer (an account keeps its
    industry as text: values outside the list keep working)."""

    queryset = Industry.objects.none()
    serializer_class = IndustrySerializer
    permission_domain = "customers"
    action_permissions = {name: MANAGE for name in ("create", "update", "partial_update",
                                                    "destroy")}
    delete_service = staticmethod(services.industry_delete)
    instance_kwarg = "industry"

    def scoped_queryset(self) -> QuerySet:
        return Industry.objects.order_by("order", "name", "id")
