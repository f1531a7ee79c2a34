"""Filtersets for accounts, contacts and leads: the same filters on the list pages and the API."""

from __future__ import annotations

from functools import partial
from typing import Any

import django_filters
from django.apps import apps
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from vinculo.core.filters import filter_custom_fields
from vinculo.core.forms import DatalistInput
from vinculo.core.models import User
from vinculo.core.tenancy import scopes_disabled
from vinculo.customers import selectors
from vinculo.customers.models import Account, Contact, Lead, LeadStatus, LifecycleStage
from vinculo.customers.settings.services import industry_names


def _organisation_users(request: Any) -> QuerySet:
    if request is None or not request.user.is_authenticated:
        return User.objects.none()
    return User.objects.filter(organization_id=request.user.organization_id, is_active=True)


def _segments(subject: str) -> Any:
    """The organisation's segments of one subject, for the list's segment picker. Segments sit
    above customers in the layer order: the model is looked up by name, never imported."""

    def queryset(request: Any) -> QuerySet:
        try:
            segment = apps.get_model("segments", "Segment")
        except LookupError:  # an install without the segments app
            return User.objects.none()
        if request is None or not request.user.is_authenticated:
            return segment.all_objects.none()
        return segment.all_objects.filter(organization_id=request.user.organization_id,
                                          subject=subject).order_by("name")
    return queryset


ACTIVE_CHOICES = (("true", _("Active")), ("false", _("Deactivated")), ("all", _("All")))


class CustomerFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label=_("Search"))
    owner = django_filters.ModelChoiceFilter(
        field_name="owner", to_field_name="uuid", queryset=_organisation_users, label=_("Owner")
    )
    tag = django_filters.CharFilter(field_name="tags__name", label=_("Tag"))

    custom_field_model = ""

    def __init__(self, data: Any = None, queryset: QuerySet | None = None, **kwargs: Any) -> None:
        # Deactivated records leave the default list (pages and API alike): only an explicit
        # ``active=false`` or ``active=all`` shows them. DRF filters a record's own URL too,
        # where a deactivated record must still be found (to read it, to reactivate it).
        view = getattr(kwargs.get("request"), "parser_context", None) or {}
        listing = getattr(view.get("view"), "action", "list") == "list"
        if (listing and queryset is not None and "active" in self.base_filters
                and not (data or {}).get("active")):
            queryset = queryset.filter(active=True)
        super().__init__(data, queryset, **kwargs)

    def filter_q(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return selectors.search(queryset, value)

    def filter_segment(self, queryset: QuerySet, name: str, value: Any) -> QuerySet:
        """The segment's members now: its open stays (``segments.SegmentMember``, reached by
        the reverse relation, so this layer imports nothing of segments)."""
        return queryset.filter(segment_memberships__segment=value,
                               segment_memberships__left_at=None)

    def filter_active(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset if value == "all" else queryset.filter(active=value == "true")

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        queryset = super().filter_queryset(queryset)
        return filter_custom_fields(queryset, self.data, self.custom_field_model)


# django-filter inspects the default manager while building the classes; no rows are read.
with scopes_disabled():

    class AccountFilterSet(CustomerFilterSet):
        lifecycle_stage = django_filters.ChoiceFilter(
            choices=LifecycleStage.choices, label=_("Lifecycle stage")
        )
        active = django_filters.ChoiceFilter(choices=ACTIVE_CHOICES, method="filter_active",
                                             label=_("Status"))
        # any words (accounts keep their industry as text), whatever their case; the page
        # suggests the organisation's list
        industry = django_filters.CharFilter(field_name="industry", lookup_expr="iexact",
                                             label=_("Industry"))
        segment = django_filters.ModelChoiceFilter(
            to_field_name="uuid", queryset=_segments("accounts"), method="filter_segment",
            label=_("Segment"))
        custom_field_model = "account"

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            user = getattr(self.request, "user", None)
            if user is not None and user.is_authenticated and user.organization_id:
                self.filters["industry"].extra["widget"] = DatalistInput(
                    partial(industry_names, user.organization_id),
                    list_id="industry-filter-options")

        class Meta:
            model = Account
            fields = [
                "q",
                "active",
                "lifecycle_stage",
                "source",
                "industry",
                "size",
                "is_person",
                "billing_country",
                "owner",
                "tag",
                "segment",
            ]

    class ContactFilterSet(CustomerFilterSet):
        lifecycle_stage = django_filters.ChoiceFilter(
            choices=LifecycleStage.choices, label=_("Lifecycle stage")
        )
        active = django_filters.ChoiceFilter(choices=ACTIVE_CHOICES, method="filter_active",
                                             label=_("Status"))
        account = django_filters.UUIDFilter(field_name="accounts__uuid", label=_("Account"))
        segment = django_filters.ModelChoiceFilter(
            to_field_name="uuid", queryset=_segments("contacts"), method="filter_segment",
            label=_("Segment"))
        custom_field_model = "contact"

        class Meta:
            model = Contact
            fields = [
                "q",
                "active",
                "lifecycle_stage",
                "source",
                "preferred_language",
                "preferred_channel",
                "owner",
                "tag",
                "account",
                "segment",
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
