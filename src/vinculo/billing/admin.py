"""Back-office view of billing: read-only (changes go through the services)."""

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from vinculo.billing.models import Invoice, Payment, ReturnAuthorization


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Invoice)
class InvoiceAdmin(ReadOnlyAdmin):
    list_display = ("number", "kind", "status", "account", "total_amount", "issue_date")
    list_filter = ("kind", "status")
    search_fields = ("number",)

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return Invoice.all_objects.select_related("account")


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = ("invoice", "amount", "paid_on", "method")

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return Payment.all_objects.select_related("invoice")


@admin.register(ReturnAuthorization)
class ReturnAdmin(ReadOnlyAdmin):
    list_display = ("number", "status", "account", "requested_on")

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return ReturnAuthorization.all_objects.select_related("account")
