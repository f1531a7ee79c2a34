"""REST API of product ↔ supplier links (``/api/v1/catalog/product-suppliers/``)."""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from rest_framework import serializers

from vinculo.catalog import supplier_services as services
from vinculo.catalog.models import Product, ProductSupplier
from vinculo.core.api_base import ScopedRelatedField, ServiceSerializer, TenantViewSet
from vinculo.core.limits import REFERENCE_MAX_LENGTH
from vinculo.customers.models import Account


class ProductSupplierSerializer(ServiceSerializer):
    product = ScopedRelatedField(Product)
    supplier = ScopedRelatedField(Account)
    product_code = serializers.CharField(source="product.full_code", read_only=True)
    supplier_name = serializers.CharField(source="supplier.name", read_only=True)
    # Checked by the service, which names the field: the serializer only passes them on.
    lead_time_days = serializers.CharField(required=False, max_length=REFERENCE_MAX_LENGTH)
    cost = serializers.CharField(required=False, max_length=REFERENCE_MAX_LENGTH)
    currency = serializers.CharField(required=False, allow_blank=True, max_length=3)

    class Meta:
        model = ProductSupplier
        fields = ("id", "version", "product", "product_code", "supplier", "supplier_name",
                  *services.SUPPLIER_FIELDS, "created_at", "updated_at")
        read_only_fields = ("id", "created_at", "updated_at")

    create_service = staticmethod(services.product_supplier_set)
    update_service = staticmethod(services.product_supplier_update)
    instance_kwarg = "link"

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        if self.instance is not None:
            for name in ("product", "supplier"):
                if name in attrs and attrs[name] != getattr(self.instance, name):
                    raise serializers.ValidationError(
                        {name: [_("Only the code, lead time, cost and currency can change.")]})
        return attrs

    def service_kwargs(self, validated_data: dict[str, Any]) -> dict[str, Any]:
        data = {k: v for k, v in validated_data.items() if k in services.SUPPLIER_FIELDS}
        if self.instance is not None:
            return {"data": data}
        return {"product": validated_data["product"], "supplier": validated_data["supplier"],
                "data": data}


class ProductSupplierViewSet(TenantViewSet):
    """Which supplier accounts deliver a product; filter with ``?product=`` or
    ``?supplier=`` (UUIDs)."""

    permission_domain = "catalog"
    queryset = ProductSupplier.objects.none()
    serializer_class = ProductSupplierSerializer
    delete_service = staticmethod(services.product_supplier_delete)
    instance_kwarg = "link"

    def scoped_queryset(self) -> QuerySet:
        qs = ProductSupplier.objects.select_related("product", "supplier").order_by(
            "product__full_code", "supplier__name", "id")
        params = self.request.query_params
        for name in ("product", "supplier"):
            if params.get(name):
                try:
                    value = uuid.UUID(params[name])
                except ValueError:
                    return qs.none()  # a malformed UUID matches nothing
                qs = qs.filter(**{f"{name}__uuid": value})
        return qs
