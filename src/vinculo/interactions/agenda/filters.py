"""Filters of the task list (one filterset for the page and the API)."""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from vinculo.core.models import User
from vinculo.core.tenancy import scopes_disabled
from vinculo.interactions.models import Task, TaskPriority, TaskStatus

# django-filter inspects the default manager while building the class; no rows are read.
with scopes_disabled():

    class TaskFilterSet(django_filters.FilterSet):
        q = django_filters.CharFilter(field_name="title", lookup_expr="icontains",
                                      label=_("Search"))
        assignee = django_filters.ChoiceFilter(method="filter_assignee", choices=(),
                                               label=_("Assigned to"),
                                               help_text=_("me, or a user's id"))
        status = django_filters.ChoiceFilter(choices=TaskStatus.choices, label=_("Status"))
        priority = django_filters.ChoiceFilter(choices=TaskPriority.choices,
                                               label=_("Priority"))
        due_from = django_filters.DateFilter(field_name="due_at", lookup_expr="date__gte",
                                             label=_("Due from"),
                                             widget=forms.DateInput(attrs={"type": "date"}))
        due_to = django_filters.DateFilter(field_name="due_at", lookup_expr="date__lte",
                                           label=_("Due until"),
                                           widget=forms.DateInput(attrs={"type": "date"}))
        overdue = django_filters.BooleanFilter(method="filter_overdue", label=_("Overdue"))
        account = django_filters.UUIDFilter(field_name="account__uuid", label=_("Account"),
                                            widget=forms.HiddenInput)
        contact = django_filters.UUIDFilter(field_name="contact__uuid", label=_("Contact"),
                                            widget=forms.HiddenInput)

        class Meta:
            model = Task
            fields = ["q", "assignee", "status", "priority", "due_from", "due_to", "overdue",
                      "account", "contact"]

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            user = getattr(self.request, "user", None)
            users = User.objects.filter(organization_id=user.organization_id, is_active=True) \
                if user is not None and user.is_authenticated else User.objects.none()
            # On the form's own field: the filter's field may have been built (and cached)
            # before, by the schema generator, with no users in it.
            self.form.fields["assignee"].choices = [
                ("", "---------"), ("me", _("Me")), *[(str(u.uuid), str(u)) for u in users]]

        def filter_assignee(self, queryset: QuerySet, name: str, value: Any) -> QuerySet:
            if value == "me":
                return queryset.filter(assignee=self.request.user)
            return queryset.filter(assignee__uuid=value) if value else queryset

        def filter_overdue(self, queryset: QuerySet, name: str, value: Any) -> QuerySet:
            if value is None:
                return queryset
            late = {"status": TaskStatus.OPEN, "due_at__lt": timezone.now()}
            return queryset.filter(**late) if value else queryset.exclude(**late)
