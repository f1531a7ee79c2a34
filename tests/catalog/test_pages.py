"""Catalogue pages: lists with filters and sort, forms through the services, roles."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from tests.catalog.factories import CategoryFactory, ProductFactory, ProductLineFactory
from vinculo.catalog.models import Category, ExchangeRate, PriceListItem, Product, ProductLine
from vinculo.core.tenancy import organization_scope


@pytest.fixture
def tree(admin):
    coffee = CategoryFactory(actor=admin, code="01", name="Café")
    beans = ProductLineFactory(actor=admin, category=coffee, code="03", name="Grano")
    return {
        "coffee": coffee,
        "beans": beans,
        "arabica": ProductFactory(
            actor=admin, line=beans, code="0007", name="Arábica", list_price=Decimal("18.00")
        ),
        "robusta": ProductFactory(
            actor=admin, line=beans, code="0008", name="Robusta", list_price=Decimal("12.00")
        ),
    }


def order_of(body: str, *needles: str) -> list[int]:
    return [body.index(n) for n in needles]


@pytest.mark.django_db
def test_product_list_filters_searches_and_sorts(page, tree):
    url = reverse("catalog:product_list")
    body = page.get(url).content.decode()
    assert "01-03-0007" in body and "01-03-0008" in body
    first, second = order_of(body, "01-03-0007", "01-03-0008")
    assert first < second
    body = page.get(url, {"sort": "list_price"}).content.decode()
    first, second = order_of(body, "01-03-0008", "01-03-0007")
    assert first < second
    body = page.get(url, {"q": "01-03-0008"}).content.decode()
    assert "01-03-0008" in body and "01-03-0007" not in body
    body = page.get(url, {"q": "arabica"}).content.decode()
    assert "01-03-0007" in body and "01-03-0008" not in body
    assert page.get(url, {"category": "02"}).content.decode().count("01-03-") == 0
    htmx = page.get(url, {"q": "robusta"}, HTTP_HX_REQUEST="true")
    assert htmx.status_code == 200 and "<html" not in htmx.content.decode()


@pytest.mark.django_db
def test_create_and_edit_a_product_on_the_page(page, admin, tree):
    response = page.post(
        reverse("catalog:product_create"),
        {
            "line": tree["beans"].pk,
            "code": "0042",
            "name": "Etiopía",
            "kind": "product",
            "unit": "kg",
            "cost_price": "9",
            "list_price": "19.90",
            "currency": "eur",
            "tax_rate": "10",
            "active": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    with organization_scope(admin.organization):
        product = Product.objects.get(full_code="01-03-0042")
    assert (product.currency, product.list_price) == ("EUR", Decimal("19.90"))
    detail = page.get(response["Location"]).content.decode()
    assert "01-03-0042" in detail and "Etiopía" in detail
    edit = reverse("catalog:product_update", kwargs={"uuid": product.uuid})
    assert page.get(edit).status_code == 200
    response = page.post(
        edit,
        {
            "line": tree["beans"].pk,
            "code": "0007",
            "name": "Etiopía",
            "kind": "product",
            "unit": "kg",
            "cost_price": "9",
            "list_price": "19.90",
            "currency": "EUR",
            "tax_rate": "10",
            "active": "on",
            "version": product.version,
        },
    )
    assert response.status_code == 400
    assert "A product with code 01-03-0007 already exists." in response.content.decode()


@pytest.mark.django_db
def test_bad_code_on_the_page_is_shown_on_the_field(page, tree):
    response = page.post(reverse("catalog:category_create"), {"code": "1", "name": "Té"})
    assert response.status_code == 400
    assert "Enter exactly 2 digits" in response.content.decode()
    with organization_scope(tree["coffee"].organization_id):
        assert Category.objects.count() == 1


@pytest.mark.django_db
def test_category_and_line_management(page, admin, tree):
    response = page.post(reverse("catalog:category_create"), {"code": "02", "name": "Té"})
    assert response.status_code == 302
    with organization_scope(admin.organization):
        tea = Category.objects.get(code="02")
    response = page.post(
        reverse("catalog:line_create", kwargs={"uuid": tea.uuid}), {"code": "01", "name": "Verde"}
    )
    assert response.status_code == 302
    body = page.get(reverse("catalog:category_list")).content.decode()
    assert "02-01" in body and "Verde" in body and "01-03" in body
    coffee = tree["coffee"]
    response = page.post(
        reverse("catalog:category_update", kwargs={"uuid": coffee.uuid}),
        {"code": "05", "name": "Café", "version": coffee.version},
    )
    assert response.status_code == 302
    with organization_scope(admin.organization):
        assert sorted(Product.objects.values_list("full_code", flat=True)) == [
            "05-03-0007",
            "05-03-0008",
        ]
        assert ProductLine.objects.filter(category=tea).count() == 1


@pytest.mark.django_db
def test_price_list_pages(page, admin, tree):
    response = page.post(
        reverse("catalog:price_list_create"),
        {
            "name": "Mayorista",
            "currency": "EUR",
            "segment": "wholesale",
            "valid_from": "2026-01-01",
            "active": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    detail_url = response["Location"]
    price_list_uuid = detail_url.rstrip("/").split("/")[-1]
    add = reverse("catalog:price_list_item_add", kwargs={"uuid": price_list_uuid})
    assert page.post(add, {"product": "01-03-0007", "price": "15.50"}).status_code == 302
    missing = page.post(add, {"product": "09-09-9999", "price": "1"})
    assert missing.status_code == 400 and "No product has this code." in missing.content.decode()
    body = page.get(detail_url).content.decode()
    assert "15.50" in body and "01-03-0007" in body
    with organization_scope(admin.organization):
        item = PriceListItem.objects.get()
    assert item.price == Decimal("15.50")
    listing = page.get(reverse("catalog:price_list_list")).content.decode()
    assert "Mayorista" in listing and "wholesale" in listing
    product_url = reverse("catalog:product_detail", kwargs={"uuid": tree["arabica"].uuid})
    assert "Mayorista" in page.get(product_url).content.decode()
    remove = reverse("catalog:price_list_item_delete", kwargs={"uuid": item.uuid})
    assert page.post(remove)["Location"] == detail_url
    with organization_scope(admin.organization):
        assert not PriceListItem.objects.exists()


@pytest.mark.django_db
def test_exchange_rate_pages(page, admin):
    response = page.post(
        reverse("catalog:exchange_rate_create"),
        {"currency": "usd", "rate": "0.92", "valid_on": "2026-01-01"},
    )
    assert response.status_code == 302
    body = page.get(reverse("catalog:exchange_rate_list")).content.decode()
    assert "USD" in body and "0.92" in body
    bad = page.post(
        reverse("catalog:exchange_rate_create"),
        {"currency": "EUR", "rate": "1", "valid_on": "2026-01-01"},
    )
    assert bad.status_code == 400
    with organization_scope(admin.organization):
        assert ExchangeRate.objects.count() == 1


@pytest.mark.django_db
def test_read_only_sees_the_catalogue_but_cannot_change_it(client, users, tree):
    client.force_login(users["read_only"])
    listing = client.get(reverse("catalog:product_list"))
    assert listing.status_code == 200
    assert reverse("catalog:product_create") not in listing.content.decode()
    detail = client.get(reverse("catalog:product_detail", kwargs={"uuid": tree["arabica"].uuid}))
    assert detail.status_code == 200
    assert client.get(reverse("catalog:product_create")).status_code == 403
    response = client.post(
        reverse("catalog:product_create"),
        {
            "line": tree["beans"].pk,
            "code": "0099",
            "name": "No",
            "kind": "product",
            "unit": "unit",
            "cost_price": "0",
            "list_price": "0",
            "tax_rate": "0",
        },
    )
    assert response.status_code == 403
    edit = reverse("catalog:product_update", kwargs={"uuid": tree["arabica"].uuid})
    assert client.post(edit, {"name": "No"}).status_code == 403
    for name in ("category_list", "price_list_list", "exchange_rate_list"):
        assert client.get(reverse(f"catalog:{name}")).status_code == 200
    with organization_scope(tree["beans"].organization_id):
        assert Product.objects.count() == 2
