"""Filters shared by list pages and the API (one filterset serves both)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import django_filters
from django.db.models import Q, QuerySet
from rest_framework.filters import BaseFilterBackend
from rest_framework.request import Request

if TYPE_CHECKING:  # DRF imports these modules while rest_framework.views loads
    from rest_framework.views import APIView

from vinculo.core.models import AuditEntry, CustomField, CustomFieldType
from vinculo.core.tenancy import scopes_disabled

CUSTOM_FIELD_PREFIX = "cf_"


def filter_custom_fields(queryset: QuerySet, params: Any, model_key: str) -> QuerySet:
    """Apply ``cf_<key>=value`` parameters as lookups into the JSON column."""
    wanted = {
        k[len(CUSTOM_FIELD_PREFIX) :]: v
        for k, v in params.items()
        if k.startswith(CUSTOM_FIELD_PREFIX) and v not in ("", None)
    }
    if not wanted:
        return queryset
    fields = {cf.key: cf for cf in CustomField.objects.filter(model=model_key, key__in=wanted)}
    for key, raw in wanted.items():
        field = fields.get(key)
        if field is None:
            return queryset.none()
        lookup = f"custom_fields__{key}"
        if field.type == CustomFieldType.NUMBER:
            try:
                queryset = queryset.filter(**{lookup: int(raw)})
            except ValueError:
                return queryset.none()
        elif field.type == CustomFieldType.BOOLEAN:
            queryset = queryset.filter(**{lookup: str(raw).lower() in {"1", "true", "yes"}})
        elif field.type == CustomFieldType.MULTI_CHOICE:
            queryset = queryset.filter(**{f"{lookup}__icontains": f'"{raw}"'})
        else:
            queryset = queryset.filter(**{lookup: raw})
    return queryset


class DocumentSearchMixin:
    """``q`` on a document list (quotes, orders, invoices, returns): its number or its
    account's name."""

    def filter_q(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(Q(number__icontains=value) | Q(account__name__icontains=value))


class CustomFieldFilterBackend(BaseFilterBackend):
    def filter_queryset(self, request: Request, queryset: QuerySet, view: APIView) -> QuerySet:
        model_key = getattr(view, "custom_field_model", None)
        if model_key is None:
            return queryset
        return filter_custom_fields(queryset, request.query_params, model_key)


# django-filter inspects the default manager while building the class; no rows are read.
with scopes_disabled():

    class AuditEntryFilterSet(django_filters.FilterSet):
        object_id = django_filters.UUIDFilter(field_name="object_uuid")

        class Meta:
            model = AuditEntry
            fields = ["object_type", "action", "object_id"]
