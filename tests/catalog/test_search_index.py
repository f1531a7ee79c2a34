"""The search by full-code prefix is served by the (organisation, full code) index."""

from __future__ import annotations

import pytest
from django.db import connection

from tests.catalog.factories import CategoryFactory, ProductFactory, ProductLineFactory
from vinculo.catalog import selectors
from vinculo.catalog.models import Product
from vinculo.core.tenancy import organization_scope


def test_code_prefix_range_is_exact():
    assert selectors.code_prefix_range("01-03") == ("01-03", "01-04")
    assert selectors.code_prefix_range("01-") == ("01-", "01.")
    assert selectors.code_prefix_range("09") == ("09", "0:")


@pytest.mark.django_db
def test_code_prefix_search_uses_the_index(admin):
    ProductFactory(actor=admin)
    with organization_scope(admin.organization):
        queryset = selectors.product_search(
            Product.objects.filter(organization=admin.organization), "01-03"
        )
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET enable_seqscan = off")  # a tiny table would be scanned
            try:
                plan = queryset.explain()
            finally:
                with connection.cursor() as cursor:
                    cursor.execute("SET enable_seqscan = on")
            assert "product_unique_full_code" in plan, plan
            assert "Index" in plan, plan
        else:
            plan = queryset.explain()  # SQLite names the unique constraint's index "autoindex"
            assert "USING INDEX" in plan and "full_code>?" in plan, plan


@pytest.mark.django_db
def test_code_prefix_search_finds_exactly_the_prefix(admin):
    coffee = CategoryFactory(actor=admin, code="01")
    beans = ProductLineFactory(actor=admin, category=coffee, code="03")
    ground = ProductLineFactory(actor=admin, category=coffee, code="04")
    tea = ProductLineFactory(actor=admin, category=CategoryFactory(actor=admin, code="10"),
                             code="03")
    for line in (beans, ground, tea):
        ProductFactory(actor=admin, line=line, code="0001")
        ProductFactory(actor=admin, line=line, code="0010")
    with organization_scope(admin.organization):

        def found(term):
            return list(
                selectors.product_search(Product.objects.all(), term)
                .order_by("full_code")
                .values_list("full_code", flat=True)
            )

        assert found("01-03") == ["01-03-0001", "01-03-0010"]
        assert found("01-03-001") == ["01-03-0010"]
        assert found("1") == ["10-03-0001", "10-03-0010"]
        assert found("0") == ["01-03-0001", "01-03-0010", "01-04-0001", "01-04-0010"]
        assert found("01-05") == []
