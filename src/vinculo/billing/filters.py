"""Filters of invoices, payments and returns, for the list pages."""

from __future__ import annotations

import django_filters
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from vinculo.billing.models import (
    Invoice,
    InvoiceKind,
    InvoiceStatus,
    Payment,
    ReturnAuthorization,
    ReturnStatus,
)
from vinculo.core.filters import DocumentSearchMixin
from vinculo.core.tenancy import scopes_disabled

# django-filter inspects the default manager while building the class; no rows are read.
with scopes_disabled():

    class InvoiceFilterSet(DocumentSearchMixin, django_filters.FilterSet):
        q = django_filters.CharFilter(method="filter_q", label=_("Search"))
        kind = django_filters.ChoiceFilter(choices=InvoiceKind.choices, label=_("Kind"))
        status = django_filters.ChoiceFilter(choices=InvoiceStatus.choices, label=_("Status"))
        account = django_filters.UUIDFilter(field_name="account__uuid", label=_("Account"))
        issued_from = django_filters.DateFilter(field_name="issue_date", lookup_expr="gte",
                                                label=_("Issued from"))
        issued_to = django_filters.DateFilter(field_name="issue_date", lookup_expr="lte",
                                              label=_("Issued until"))

        class Meta:
            model = Invoice
            fields = ["q", "kind", "status", "account", "issued_from", "issued_to"]

    class PaymentFilterSet(django_filters.FilterSet):
        q = django_filters.CharFilter(method="filter_q", label=_("Search"))

        class Meta:
            model = Payment
            fields = ["q", "method"]

        def filter_q(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
            return queryset.filter(Q(invoice__number__icontains=value)
                                   | Q(reference__icontains=value))

    class ReturnFilterSet(DocumentSearchMixin, django_filters.FilterSet):
        q = django_filters.CharFilter(method="filter_q", label=_("Search"))
        status = django_filters.ChoiceFilter(choices=ReturnStatus.choices, label=_("Status"))

        class Meta:
            model = ReturnAuthorization
            fields = ["q", "status"]


class ServiceLevelFilterSet(django_filters.FilterSet):
    """The service-levels page: how rows are grouped (read by the view, which builds the
    grouped rows) and a search on the account or industry."""

    by = django_filters.ChoiceFilter(
        choices=[("account", _("By account")), ("segment", _("By segment (industry)")),
                 ("month", _("By month"))], method="group_by", label=_("Group"),
        empty_label=None)
    q = django_filters.CharFilter(method="filter_q", label=_("Search"))

    def group_by(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset  # the view groups the rows before filtering

    def filter_q(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        if self.data.get("by") == "segment":
            return queryset.filter(account__industry__icontains=value)
        if self.data.get("by") == "month":
            return queryset
        return queryset.filter(account__name__icontains=value)
