"""Filters of opportunities, shared by the pages and the API."""

from __future__ import annotations

import django_filters
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from vinculo.core.tenancy import scopes_disabled
from vinculo.sales.models import Opportunity, OpportunityStatus

# django-filter inspects the default manager while building the class; no rows are read.
with scopes_disabled():

    class OpportunityFilterSet(django_filters.FilterSet):
        q = django_filters.CharFilter(method="filter_q", label=_("Search"))
        status = django_filters.ChoiceFilter(choices=OpportunityStatus.choices,
                                             label=_("Status"))
        pipeline = django_filters.UUIDFilter(field_name="pipeline__uuid", label=_("Pipeline"))
        stage = django_filters.UUIDFilter(field_name="stage__uuid", label=_("Stage"))
        account = django_filters.UUIDFilter(field_name="account__uuid", label=_("Account"))
        closes_after = django_filters.DateFilter(field_name="expected_close", lookup_expr="gte",
                                                 label=_("Closes on or after"))
        closes_before = django_filters.DateFilter(field_name="expected_close",
                                                  lookup_expr="lte",
                                                  label=_("Closes on or before"))
        mine = django_filters.BooleanFilter(method="filter_mine", label=_("Mine"))

        class Meta:
            model = Opportunity
            fields = ["q", "status", "pipeline", "stage", "account", "source", "closes_after",
                      "closes_before", "mine"]

        def filter_q(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
            return queryset.filter(Q(name__icontains=value) | Q(account__name__icontains=value))

        def filter_mine(self, queryset: QuerySet, name: str, value: bool | None) -> QuerySet:
            """The signed-in user's own opportunities (the home page links here)."""
            if value is None or self.request is None:
                return queryset
            mine = Q(owner=self.request.user)
            return queryset.filter(mine) if value else queryset.exclude(mine)
