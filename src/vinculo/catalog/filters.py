"""Filtersets of the catalogue: the same filters on the list pages and the API."""

from __future__ import annotations

import datetime as dt

import django_filters
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from vinculo.catalog import selectors
from vinculo.catalog.models import (
    Category,
    ExchangeRate,
    PriceList,
    PriceListItem,
    Product,
    ProductKind,
    ProductLine,
)
from vinculo.core.tenancy import scopes_disabled

# django-filter inspects the default manager while building the classes; no rows are read.
with scopes_disabled():

    class CategoryFilterSet(django_filters.FilterSet):
        q = django_filters.CharFilter(method="filter_q", label=_("Search"))

        def filter_q(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
            return queryset.filter(Q(name__icontains=value) | Q(code=value))

        class Meta:
            model = Category
            fields = ["q", "code"]

    class ProductLineFilterSet(django_filters.FilterSet):
        category = django_filters.CharFilter(field_name="category__code", label=_("Category code"))
        category_id = django_filters.UUIDFilter(field_name="category__uuid", label=_("Category"))

        class Meta:
            model = ProductLine
            fields = ["category", "category_id", "code"]

    class ProductFilterSet(django_filters.FilterSet):
        q = django_filters.CharFilter(method="filter_q", label=_("Search"))
        category = django_filters.CharFilter(
            field_name="line__category__code", label=_("Category code")
        )
        line = django_filters.CharFilter(method="filter_line", label=_("Line code"))
        kind = django_filters.ChoiceFilter(choices=ProductKind.choices, label=_("Kind"))
        active = django_filters.BooleanFilter(label=_("Active"))

        def filter_q(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
            return selectors.product_search(queryset, value)

        def filter_line(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
            """``03`` (a line code, in any category) or ``01-03`` (category and line)."""
            if "-" in value:
                category, _sep, line = value.partition("-")
                return queryset.filter(line__category__code=category, line__code=line)
            return queryset.filter(line__code=value)

        class Meta:
            model = Product
            fields = ["q", "category", "line", "kind", "active", "currency"]

    class PriceListFilterSet(django_filters.FilterSet):
        q = django_filters.CharFilter(field_name="name", lookup_expr="icontains", label=_("Search"))
        account = django_filters.UUIDFilter(field_name="account__uuid", label=_("Account"))
        valid_on = django_filters.DateFilter(method="filter_valid_on", label=_("Valid on"))

        def filter_valid_on(self, queryset: QuerySet, name: str, value: dt.date) -> QuerySet:
            return queryset.filter(valid_from__lte=value).exclude(valid_to__lt=value)

        class Meta:
            model = PriceList
            fields = ["q", "currency", "segment", "account", "active", "valid_on"]

    class PriceListItemFilterSet(django_filters.FilterSet):
        price_list = django_filters.UUIDFilter(field_name="price_list__uuid", label=_("Price list"))
        product = django_filters.UUIDFilter(field_name="product__uuid", label=_("Product"))

        class Meta:
            model = PriceListItem
            fields = ["price_list", "product"]

    class ExchangeRateFilterSet(django_filters.FilterSet):
        valid_on_from = django_filters.DateFilter(
            field_name="valid_on", lookup_expr="gte", label=_("From")
        )
        valid_on_to = django_filters.DateFilter(
            field_name="valid_on", lookup_expr="lte", label=_("To")
        )

        class Meta:
            model = ExchangeRate
            fields = ["currency", "valid_on_from", "valid_on_to"]
