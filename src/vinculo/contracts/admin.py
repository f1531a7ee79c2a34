"""The Django admin for back-office staff: read across organisations through ``all_objects``."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from vinculo.contracts.models import Contract


@admin.register(Contract)
class ContractAdmin(admin.ModelAdmin):
    list_display = ("name", "account", "start_date", "renewal_date", "status", "sequence")
    list_filter = ("organization", "status")
    readonly_fields = ("uuid", "version", "created_at", "updated_at", "renewal_date", "status",
                       "origin", "renewal_of", "sequence")
    raw_id_fields = ("account", "product")

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return Contract.all_objects.select_related("organization", "account")
