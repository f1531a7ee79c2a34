"""REST API of the catalog app: validate, call a service or selector, answer."""

from __future__ import annotations

import datetime as dt
import uuid as uuid_module
from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.filters import OrderingFilter
from rest_framework.request import Request
from rest_framework.response import Response

from vinculo.catalog import selectors, services
from vinculo.catalog.filters import (
    CategoryFilterSet,
    ExchangeRateFilterSet,
    PriceListFilterSet,
    PriceListItemFilterSet,
    ProductFilterSet,
    ProductLineFilterSet,
)
from vinculo.catalog.models import (
    Category,
    ExchangeRate,
    PriceList,
    PriceListItem,
    Product,
    ProductLine,
)
from vinculo.core.api_base import ScopedRelatedField, ServiceSerializer, TenantViewSet
from vinculo.customers.models import Account

COMMON_READ_ONLY = ("id", "created_at", "updated_at")


class CategorySerializer(ServiceSerializer):
    create_service = staticmethod(services.category_create)
    update_service = staticmethod(services.category_update)
    instance_kwarg = "category"

    class Meta:
        model = Category
        fields = ("id", "version", *services.CATEGORY_FIELDS, "created_at", "updated_at")
        read_only_fields = COMMON_READ_ONLY
        extra_kwargs = {"code": {"help_text": "Two digits, e.g. 01."}}


class ProductLineSerializer(ServiceSerializer):
    category = ScopedRelatedField(Category)
    full_code = serializers.CharField(read_only=True)
    create_service = staticmethod(services.product_line_create)
    update_service = staticmethod(services.product_line_update)
    instance_kwarg = "line"

    class Meta:
        model = ProductLine
        fields = (
            "id",
            "version",
            "category",
            "full_code",
            *services.LINE_FIELDS,
            "created_at",
            "updated_at",
        )
        read_only_fields = COMMON_READ_ONLY
        extra_kwargs = {"code": {"help_text": "Two digits, unique within the category."}}

    def service_kwargs(self, validated_data: dict[str, Any]) -> dict[str, Any]:
        category = validated_data.pop("category", None)
        if self.instance is None:
            return {"category": category, "data": validated_data}
        if category is not None and category != self.instance.category:
            raise serializers.ValidationError(
                {"category": ["A line cannot move to another category."]}
            )
        return {"data": validated_data}


class ProductSerializer(ServiceSerializer):
    line = ScopedRelatedField(ProductLine, help_text="The product line (its UUID).")
    category_code = serializers.CharField(source="line.category.code", read_only=True)
    line_code = serializers.CharField(source="line.code", read_only=True)
    create_service = staticmethod(services.product_create)
    update_service = staticmethod(services.product_update)
    instance_kwarg = "product"

    class Meta:
        model = Product
        fields = (
            "id",
            "version",
            "full_code",
            "category_code",
            "line_code",
            *services.PRODUCT_FIELDS,
            "created_at",
            "updated_at",
        )
        read_only_fields = (*COMMON_READ_ONLY, "full_code")
        extra_kwargs = {
            "code": {"help_text": "Four digits, unique within the line."},
            "currency": {"required": False, "help_text": "ISO 4217; the base currency if empty."},
            "tax_rate": {"help_text": "Percent, e.g. 21.00."},
        }


class PriceListItemSerializer(ServiceSerializer):
    price_list = ScopedRelatedField(PriceList)
    product = ScopedRelatedField(Product)
    product_code = serializers.CharField(source="product.full_code", read_only=True)

    class Meta:
        model = PriceListItem
        fields = (
            "id",
            "version",
            "price_list",
            "product",
            "product_code",
            "price",
            "created_at",
            "updated_at",
        )
        read_only_fields = COMMON_READ_ONLY

    create_service = staticmethod(services.price_list_item_create)
    update_service = staticmethod(services.price_list_item_update)
    instance_kwarg = "item"

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        if self.instance is not None:
            for name in ("price_list", "product"):
                if name in attrs and attrs[name] != getattr(self.instance, name):
                    raise serializers.ValidationError(
                        {name: ["Only the price of an item can change."]}
                    )
        return attrs

    def service_kwargs(self, validated_data: dict[str, Any]) -> dict[str, Any]:
        if self.instance is not None:
            return {"price": validated_data.get("price", self.instance.price)}
        return {name: validated_data[name] for name in ("price_list", "product", "price")}


class PriceListItemInlineSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    product = serializers.UUIDField(source="product.uuid", read_only=True)
    product_code = serializers.CharField(source="product.full_code", read_only=True)

    class Meta:
        model = PriceListItem
        fields = ("id", "product", "product_code", "price")
        read_only_fields = fields


class PriceListSerializer(ServiceSerializer):
    account = ScopedRelatedField(Account, required=False, allow_null=True)
    items = PriceListItemInlineSerializer(many=True, read_only=True)
    scope = serializers.CharField(read_only=True, help_text="account, segment or general")
    create_service = staticmethod(services.price_list_create)
    update_service = staticmethod(services.price_list_update)
    instance_kwarg = "price_list"

    class Meta:
        model = PriceList
        fields = (
            "id",
            "version",
            *services.PRICE_LIST_FIELDS,
            "scope",
            "items",
            "created_at",
            "updated_at",
        )
        read_only_fields = COMMON_READ_ONLY


class ExchangeRateSerializer(ServiceSerializer):
    create_service = staticmethod(services.exchange_rate_create)
    update_service = staticmethod(services.exchange_rate_update)
    instance_kwarg = "exchange_rate"

    class Meta:
        model = ExchangeRate
        fields = ("id", "version", "currency", "rate", "valid_on", "created_at", "updated_at")
        read_only_fields = COMMON_READ_ONLY
        extra_kwargs = {
            "rate": {"help_text": "Units of the base currency for 1 unit of this currency."}
        }

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        if self.instance is not None:
            for name in ("currency", "valid_on"):
                if name in attrs and attrs[name] != getattr(self.instance, name):
                    raise serializers.ValidationError(
                        {name: ["Only the rate can change; add a rate for another day."]}
                    )
        return attrs

    def service_kwargs(self, validated_data: dict[str, Any]) -> dict[str, Any]:
        if self.instance is not None:
            return {"rate": validated_data.get("rate", self.instance.rate)}
        return {name: validated_data[name] for name in ("currency", "rate", "valid_on")}


FILTER_BACKENDS = [DjangoFilterBackend, OrderingFilter]


class CatalogViewSet(TenantViewSet):
    permission_domain = "catalog"
    filter_backends = FILTER_BACKENDS


class CategoryViewSet(CatalogViewSet):
    """Catalogue categories: the first two digits of every product code."""

    permission_domain = "catalog"
    queryset = Category.objects.none()
    serializer_class = CategorySerializer
    filterset_class = CategoryFilterSet
    ordering_fields = ["code", "name"]
    delete_service = staticmethod(services.category_delete)
    instance_kwarg = "category"

    def scoped_queryset(self) -> QuerySet:
        return Category.objects.order_by("code", "id")


class ProductLineViewSet(CatalogViewSet):
    """Product lines inside categories: the middle two digits of a product code."""

    permission_domain = "catalog"
    queryset = ProductLine.objects.none()
    serializer_class = ProductLineSerializer
    filterset_class = ProductLineFilterSet
    ordering_fields = ["code", "name"]
    delete_service = staticmethod(services.product_line_delete)
    instance_kwarg = "line"

    def scoped_queryset(self) -> QuerySet:
        return ProductLine.objects.select_related("category").order_by(
            "category__code", "code", "id"
        )


class ProductViewSet(CatalogViewSet):
    """Products and services. Filter by ``category`` / ``line`` code, ``kind``, ``active``;
    ``q`` searches a full-code prefix (``01-03``) or words of the name."""

    permission_domain = "catalog"
    queryset = Product.objects.none()
    serializer_class = ProductSerializer
    filterset_class = ProductFilterSet
    ordering_fields = ["full_code", "name", "list_price", "created_at"]
    delete_service = staticmethod(services.product_delete)
    instance_kwarg = "product"
    action_permissions = {"price": "catalog.view"}

    def scoped_queryset(self) -> QuerySet:
        return Product.objects.select_related("line__category").order_by("full_code", "id")

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        if self.action == "price":  # its parameters (currency, account) are not list filters
            return queryset
        return super().filter_queryset(queryset)

    @extend_schema(
        parameters=[
            OpenApiParameter("currency", str, description="ISO 4217; the base currency if absent"),
            OpenApiParameter("account", OpenApiTypes.UUID, required=False),
            OpenApiParameter("segment", str, required=False),
            OpenApiParameter("on", OpenApiTypes.DATE, required=False, description="default: today"),
        ],
        responses=inline_serializer(
            "ResolvedPrice",
            {
                "price": serializers.DecimalField(max_digits=14, decimal_places=2),
                "currency": serializers.CharField(),
                "source": serializers.ChoiceField(
                    choices=["account", "segment", "general", "list_price"]
                ),
                "price_list": serializers.UUIDField(allow_null=True),
            },
        ),
    )
    @action(detail=True, methods=["get"])
    def price(self, request: Request, uuid: str | None = None) -> Response:
        """The price this product has for an account or segment, in a currency, on a date."""
        product = self.get_object()
        params = request.query_params
        try:
            on_date = dt.date.fromisoformat(params["on"]) if params.get("on") else None
        except ValueError:
            raise serializers.ValidationError({"on": ["Enter a date as YYYY-MM-DD."]}) from None
        currency = services.clean_currency(
            params.get("currency") or request.user.organization.base_currency
        )
        account = None
        if params.get("account"):
            try:
                account_uuid = uuid_module.UUID(params["account"])
            except ValueError:
                raise serializers.ValidationError({"account": ["Enter a valid UUID."]}) from None
            accounts = Account.objects.all().restrict(request.user)
            account = get_object_or_404(accounts, uuid=account_uuid)
        resolved = selectors.price_for(
            product=product,
            account=account,
            segment=params.get("segment") or None,
            currency=currency,
            on_date=on_date or timezone.localdate(),
        )
        return Response(
            {
                "price": f"{resolved.amount:.2f}",
                "currency": resolved.currency,
                "source": resolved.source,
                "price_list": resolved.price_list.uuid if resolved.price_list else None,
            }
        )


class PriceListViewSet(CatalogViewSet):
    """Price lists per currency, for an account, a customer segment or everyone, with validity
    dates; ``items`` lists their prices (write them through ``/price-list-items/``)."""

    permission_domain = "catalog"
    queryset = PriceList.objects.none()
    serializer_class = PriceListSerializer
    filterset_class = PriceListFilterSet
    ordering_fields = ["name", "valid_from", "currency"]
    delete_service = staticmethod(services.price_list_delete)
    instance_kwarg = "price_list"

    def scoped_queryset(self) -> QuerySet:
        return (
            PriceList.objects.select_related("account")
            .prefetch_related("items__product")
            .order_by("currency", "-valid_from", "name", "id")
        )


class PriceListItemViewSet(CatalogViewSet):
    """The price of a product on a price list; posting a product already on the list replaces
    its price."""

    permission_domain = "catalog"
    queryset = PriceListItem.objects.none()
    serializer_class = PriceListItemSerializer
    filterset_class = PriceListItemFilterSet
    ordering_fields = ["price"]
    delete_service = staticmethod(services.price_list_item_delete)
    instance_kwarg = "item"

    def scoped_queryset(self) -> QuerySet:
        return PriceListItem.objects.select_related("price_list", "product").order_by(
            "price_list_id", "product__full_code", "id"
        )


class ExchangeRateViewSet(CatalogViewSet):
    """Dated exchange rates: 1 unit of ``currency`` = ``rate`` × the organisation's base
    currency, from ``valid_on`` until the next rate of that currency."""

    permission_domain = "catalog"
    queryset = ExchangeRate.objects.none()
    serializer_class = ExchangeRateSerializer
    filterset_class = ExchangeRateFilterSet
    ordering_fields = ["valid_on", "currency"]
    delete_service = staticmethod(services.exchange_rate_delete)
    instance_kwarg = "exchange_rate"

    def scoped_queryset(self) -> QuerySet:
        return ExchangeRate.objects.order_by("currency", "-valid_on", "id")
