"""The Django admin for back-office staff: read across organisations through ``all_objects``."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from vinculo.catalog.models import (
    Category,
    ExchangeRate,
    PriceList,
    PriceListItem,
    Product,
    ProductLine,
)


class TenantAdmin(admin.ModelAdmin):
    """The default manager refuses to read without an organisation in scope; staff see all."""

    list_filter = ("organization",)
    readonly_fields = ("uuid", "version", "created_at", "updated_at")

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return self.model.all_objects.select_related("organization")


@admin.register(Category)
class CategoryAdmin(TenantAdmin):
    list_display = ("code", "name", "organization")
    search_fields = ("code", "name")


@admin.register(ProductLine)
class ProductLineAdmin(TenantAdmin):
    list_display = ("code", "name", "category", "organization")
    search_fields = ("code", "name")


@admin.register(Product)
class ProductAdmin(TenantAdmin):
    list_display = ("full_code", "name", "kind", "list_price", "currency", "active", "organization")
    list_filter = ("organization", "kind", "active")
    search_fields = ("full_code", "name")
    readonly_fields = (*TenantAdmin.readonly_fields, "full_code")


@admin.register(PriceList)
class PriceListAdmin(TenantAdmin):
    list_display = ("name", "currency", "segment", "valid_from", "valid_to", "organization")


@admin.register(PriceListItem)
class PriceListItemAdmin(TenantAdmin):
    list_display = ("price_list", "product", "price")


@admin.register(ExchangeRate)
class ExchangeRateAdmin(TenantAdmin):
    list_display = ("currency", "rate", "valid_on", "organization")
    list_filter = ("organization", "currency")
