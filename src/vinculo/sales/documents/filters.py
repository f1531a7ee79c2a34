"""Filters of quotes, orders and deliveries, for the list pages."""

from __future__ import annotations

import django_filters
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from vinculo.core.filters import DocumentSearchMixin
from vinculo.core.tenancy import scopes_disabled
from vinculo.sales.models import Delivery, Order, OrderStatus, Quote, QuoteStatus

# django-filter inspects the default manager while building the class; no rows are read.
with scopes_disabled():

    class QuoteFilterSet(DocumentSearchMixin, django_filters.FilterSet):
        q = django_filters.CharFilter(method="filter_q", label=_("Search"))
        status = django_filters.ChoiceFilter(choices=QuoteStatus.choices, label=_("Status"))
        account = django_filters.UUIDFilter(field_name="account__uuid", label=_("Account"))

        class Meta:
            model = Quote
            fields = ["q", "status", "account"]

    class OrderFilterSet(DocumentSearchMixin, django_filters.FilterSet):
        q = django_filters.CharFilter(method="filter_q", label=_("Search"))
        status = django_filters.ChoiceFilter(choices=OrderStatus.choices, label=_("Status"))
        account = django_filters.UUIDFilter(field_name="account__uuid", label=_("Account"))

        class Meta:
            model = Order
            fields = ["q", "status", "account"]

    class DeliveryFilterSet(django_filters.FilterSet):
        q = django_filters.CharFilter(method="filter_q", label=_("Search"))

        class Meta:
            model = Delivery
            fields = ["q", "is_replacement"]

        def filter_q(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
            return queryset.filter(Q(number__icontains=value)
                                   | Q(order__number__icontains=value)
                                   | Q(order__account__name__icontains=value))
