"""Filters of tickets and articles (one filterset for the pages and the API)."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from vinculo.core.tenancy import scopes_disabled
from vinculo.customers.models import ServiceTier
from vinculo.service import selectors
from vinculo.service.models import (
    Article,
    ArticleStatus,
    Priority,
    SlaState,
    Ticket,
    TicketCategory,
    TicketStatus,
    TicketType,
)

OPEN = "open_any"

# django-filter inspects the default manager while building the class; no rows are read.
with scopes_disabled():

    class TicketFilterSet(django_filters.FilterSet):
        q = django_filters.CharFilter(method="filter_q", label=_("Search"))
        status = django_filters.ChoiceFilter(
            choices=[(OPEN, _("Any open")), *TicketStatus.choices], method="filter_status",
            label=_("Status"))
        type = django_filters.ChoiceFilter(choices=TicketType.choices, label=_("Counts as"))
        ticket_type = django_filters.ModelChoiceFilter(
            queryset=lambda request: TicketCategory.objects.order_by("order", "name"),
            to_field_name="uuid", label=_("Type"))
        priority = django_filters.ChoiceFilter(choices=Priority.choices, label=_("Priority"))
        tier = django_filters.ChoiceFilter(choices=ServiceTier.choices,
                                           label=_("Customer tier"))
        queue = django_filters.UUIDFilter(field_name="queue__uuid", label=_("Queue"))
        account = django_filters.UUIDFilter(field_name="account__uuid", label=_("Account"))
        mine = django_filters.BooleanFilter(method="filter_mine", label=_("Assigned to me"))
        unassigned = django_filters.BooleanFilter(field_name="assignee", lookup_expr="isnull",
                                                  label=_("Unassigned"))
        sla = django_filters.ChoiceFilter(
            choices=[(SlaState.WARNING, SlaState.WARNING.label),
                     (SlaState.BREACHED, SlaState.BREACHED.label)],
            method="filter_sla", label=_("SLA"))

        class Meta:
            model = Ticket
            fields = ["q", "status", "ticket_type", "type", "priority", "tier", "queue",
                      "account", "mine", "unassigned", "sla"]

        def filter_q(self, queryset: QuerySet, name: str, value: Any) -> QuerySet:
            return queryset.filter(Q(number__icontains=value) | Q(subject__icontains=value)
                                   | Q(account__name__icontains=value)
                                   | Q(requester_email__icontains=value))

        def filter_status(self, queryset: QuerySet, name: str, value: Any) -> QuerySet:
            if value == OPEN:
                return queryset.filter(status__in=[TicketStatus.NEW, TicketStatus.OPEN,
                                                   TicketStatus.WAITING])
            return queryset.filter(status=value)

        def filter_mine(self, queryset: QuerySet, name: str, value: Any) -> QuerySet:
            return queryset.filter(assignee=self.request.user) if value else queryset

        def filter_sla(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
            return selectors.sla_filter(queryset, value)

    class ArticleFilterSet(django_filters.FilterSet):
        q = django_filters.CharFilter(method="filter_q", label=_("Search"))
        status = django_filters.ChoiceFilter(choices=ArticleStatus.choices, label=_("Status"))
        public = django_filters.BooleanFilter(label=_("Visible to customers"))

        class Meta:
            model = Article
            fields = ["q", "status", "public"]

        def filter_q(self, queryset: QuerySet, name: str, value: Any) -> QuerySet:
            words = selectors.article_search(value, published_only=False)
            return queryset.filter(pk__in=words.values("pk"))
