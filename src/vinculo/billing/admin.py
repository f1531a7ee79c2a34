"""Back-office view of billing: read-only (changes go through the services)."""

from django.contrib import admin

from vinculo.billing.models import Invoice, Payment, ReturnAuthorization


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False


@admin.register(Invoice)
class InvoiceAdmin(ReadOnlyAdmin):
    list_display = ("number", "kind", "status", "account", "total_amount", "issue_date")
    list_filter = ("kind", "status")
    search_fields = ("number",)

    def get_queryset(self, request):  # type: ignore[no-untyped-def]
        return Invoice.all_objects.select_related("account")


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = ("invoice", "amount", "paid_on", "method")

    def get_queryset(self, request):  # type: ignore[no-untyped-def]
        return Payment.all_objects.select_related("invoice")


@admin.register(ReturnAuthorization)
class ReturnAdmin(ReadOnlyAdmin):
    list_display = ("number", "status", "account", "requested_on")

    def get_queryset(self, request):  # type: ignore[no-untyped-def]
        return ReturnAuthorization.all_objects.select_related("account")
