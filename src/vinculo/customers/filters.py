"""Filtersets for accounts, contacts and leads: the same filters on the list pages and the API."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from vinculo.core.filters import filter_custom_fields
from vinculo.core.models import User
from vinculo.core.tenancy import scopes_disabled
from vinculo.customers import selectors
from vinculo.customers.models import Account, Contact, Lead, LeadStatus, LifecycleStage


def _organisation_users(request: Any) -> QuerySet:
    if request is None or not request.user.is_authenticated:
        return User.objects.none()
    return User.objects.filter(organization_id=request.user.organization_id, is_active=True)


class CustomerFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label=_("Search"))
    owner = django_filters.ModelChoiceFilter(
        field_name="owner", to_field_name="uuid", queryset=_organisation_users, label=_("Owner")
    )
    tag = django_filters.CharFilter(field_name="tags__name", label=_("Tag"))

    custom_field_model = ""

    def filter_q(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return selectors.search(queryset, value)

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        queryset = super().filter_queryset(queryset)
        return filter_custom_fields(queryset, self.data, self.custom_field_model)


# django-filter inspects the default manager while building the classes; no rows are read.
with scopes_disabled():

    class AccountFilterSet(CustomerFilterSet):
        lifecycle_stage = django_filters.ChoiceFilter(
            choices=LifecycleStage.choices, label=_("Lifecycle stage")
        )
        custom_field_model = "account"

        class Meta:
            model = Account
            fields = [
                "q",
                "lifecycle_stage",
                "source",
                "industry",
                "size",
                "is_person",
                "billing_country",
                "owner",
                "tag",
            ]

    class ContactFilterSet(CustomerFilterSet):
        lifecycle_stage = django_filters.ChoiceFilter(
            choices=LifecycleStage.choices, label=_("Lifecycle stage")
        )
        account = django_filters.UUIDFilter(field_name="accounts__uuid", label=_("Account"))
        custom_field_model = "contact"

        class Meta:
            model = Contact
            fields = [
                "q",
                "lifecycle_stage",
                "source",
                "preferred_language",
                "preferred_channel",
                "owner",
                "tag",
                "account",
            ]

    class LeadFilterSet(CustomerFilterSet):
        status = django_filters.ChoiceFilter(choices=LeadStatus.choices, label=_("Status"))
        min_score = django_filters.NumberFilter(
            field_name="score", lookup_expr="gte", label=_("Minimum score")
        )
        custom_field_model = "lead"

        class Meta:
            model = Lead
            fields = ["q", "status", "source", "owner", "tag", "min_score"]
