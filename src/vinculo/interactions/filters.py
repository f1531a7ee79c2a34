"""Filters of the interaction list (one filterset for the page and the API)."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from vinculo.core.tenancy import scopes_disabled
from vinculo.interactions.models import Channel, Direction, Interaction

# django-filter inspects the default manager while building the class; no rows are read.
with scopes_disabled():

    class InteractionFilterSet(django_filters.FilterSet):
        q = django_filters.CharFilter(method="filter_q", label=_("Search"))
        channel = django_filters.ChoiceFilter(choices=Channel.choices, label=_("Channel"))
        direction = django_filters.ChoiceFilter(choices=Direction.choices,
                                                label=_("Direction"))
        account = django_filters.UUIDFilter(field_name="account__uuid", label=_("Account"))
        contact = django_filters.UUIDFilter(field_name="contact__uuid", label=_("Contact"))
        mine = django_filters.BooleanFilter(method="filter_mine", label=_("Handled by me"))
        since = django_filters.DateFilter(field_name="occurred_at", lookup_expr="date__gte",
                                          label=_("From"))
        until = django_filters.DateFilter(field_name="occurred_at", lookup_expr="date__lte",
                                          label=_("To"))

        class Meta:
            model = Interaction
            fields = ["q", "channel", "direction", "account", "contact", "mine", "since",
                      "until"]

        def filter_q(self, queryset: QuerySet, name: str, value: Any) -> QuerySet:
            return queryset.filter(Q(subject__icontains=value)
                                   | Q(contact__full_name__icontains=value)
                                   | Q(account__name__icontains=value))

        def filter_mine(self, queryset: QuerySet, name: str, value: Any) -> QuerySet:
            return queryset.filter(user=self.request.user) if value else queryset
