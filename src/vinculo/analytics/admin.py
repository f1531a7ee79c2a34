"""Back-office view of analytics: runs and snapshots read-only, cost rates editable."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from vinculo.analytics.models import AnalyticsRun, CostRate, CustomerSnapshot


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AnalyticsRun)
class AnalyticsRunAdmin(ReadOnlyAdmin):
    list_display = ("organization", "as_of", "status", "progress", "customers", "finished_at")
    list_filter = ("status",)

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return AnalyticsRun.all_objects.select_related("organization")


@admin.register(CustomerSnapshot)
class CustomerSnapshotAdmin(ReadOnlyAdmin):
    list_display = ("account", "as_of", "rfm_segment", "p_alive", "clv", "profit")
    list_filter = ("as_of", "rfm_segment", "value_tier")
    raw_id_fields = ("account",)
    show_full_result_count = False

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return CustomerSnapshot.all_objects.select_related("account")


@admin.register(CostRate)
class CostRateAdmin(admin.ModelAdmin):
    list_display = ("organization", "driver", "rate")
    list_filter = ("driver",)

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return CostRate.all_objects.select_related("organization")
