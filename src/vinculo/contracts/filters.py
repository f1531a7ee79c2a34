"""The contract list's filters: the same on the page and the API."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from vinculo.contracts.models import Contract, ContractStatus
from vinculo.core.tenancy import scopes_disabled
from vinculo.customers import normalize

# django-filter inspects the default manager while building the classes; no rows are read.
with scopes_disabled():

    class ContractFilterSet(django_filters.FilterSet):
        q = django_filters.CharFilter(method="filter_q", label=_("Search"))
        status = django_filters.ChoiceFilter(choices=ContractStatus.choices, label=_("Status"))
        account = django_filters.UUIDFilter(field_name="account__uuid", label=_("Account"))
        renewal_before = django_filters.DateFilter(
            field_name="renewal_date", lookup_expr="lte", label=_("Renewal on or before"),
            widget=forms.DateInput(attrs={"type": "date"}))
        auto_renew = django_filters.BooleanFilter(label=_("Renews automatically"))

        def filter_q(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
            """Words of the plan or of the account's name."""
            term = (value or "").strip()
            if not term:
                return queryset
            return (queryset.filter(name__icontains=term)
                    | queryset.filter(account__search_text__contains=normalize.fold(term)))

        class Meta:
            model = Contract
            fields = ["q", "status", "account", "renewal_before", "auto_renew"]
