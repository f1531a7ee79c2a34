"""The catalogue through the REST API: CRUD through the services, filters, roles, errors."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from tests.catalog.factories import CategoryFactory, ProductFactory, ProductLineFactory
from tests.customers.factories import AccountFactory
from vinculo.catalog.models import Product
from vinculo.core.tenancy import organization_scope

API = "/api/catalog"


@pytest.fixture
def tree(admin):
    coffee = CategoryFactory(actor=admin, code="01", name="Café")
    tea = CategoryFactory(actor=admin, code="02", name="Té")
    beans = ProductLineFactory(actor=admin, category=coffee, code="03", name="Grano")
    ground = ProductLineFactory(actor=admin, category=coffee, code="04", name="Molido")
    green = ProductLineFactory(actor=admin, category=tea, code="03", name="Verde")
    products = {
        "arabica": ProductFactory(actor=admin, line=beans, code="0007", name="Arábica 1 kg"),
        "robusta": ProductFactory(actor=admin, line=beans, code="0008", name="Robusta 1 kg"),
        "moka": ProductFactory(actor=admin, line=ground, code="0001", name="Moka 250 g"),
        "sencha": ProductFactory(actor=admin, line=green, code="0007", name="Sencha"),
        "tasting": ProductFactory(
            actor=admin,
            line=green,
            code="0100",
            name="Cata guiada",
            kind="service",
            unit="hour",
            active=False,
        ),
    }
    return {"coffee": coffee, "beans": beans, "green": green, **products}


def codes(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["full_code"] for row in response.json()["results"]]


@pytest.mark.django_db
def test_create_a_product_through_the_api(api, tree):
    response = api.post(
        f"{API}/products/",
        {
            "line": str(tree["beans"].uuid),
            "code": "0042",
            "name": "Etiopía",
            "unit": "kg",
            "list_price": "21.90",
            "cost_price": "11.00",
            "tax_rate": "10.00",
            "currency": "eur",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["full_code"] == "01-03-0042"
    assert (body["category_code"], body["line_code"], body["currency"]) == ("01", "03", "EUR")
    assert body["list_price"] == "21.90" and body["version"] == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"code": "42"}, "code"),
        ({"code": "0007"}, "code"),
        ({"tax_rate": "150"}, "tax_rate"),
        ({"currency": "EURO"}, "currency"),
    ],
)
def test_bad_product_input_answers_400_naming_the_field(api, tree, payload, field):
    data = {"line": str(tree["beans"].uuid), "code": "0050", "name": "Nuevo", **payload}
    response = api.post(f"{API}/products/", data, format="json")
    assert response.status_code == 400
    assert field in response.json()
    with organization_scope(tree["beans"].organization_id):
        assert not Product.objects.filter(name="Nuevo").exists()


@pytest.mark.django_db
def test_product_filters_and_search(api, tree):
    url = f"{API}/products/"
    assert codes(api.get(url)) == [
        "01-03-0007",
        "01-03-0008",
        "01-04-0001",
        "02-03-0007",
        "02-03-0100",
    ]
    assert codes(api.get(url, {"category": "02"})) == ["02-03-0007", "02-03-0100"]
    assert codes(api.get(url, {"line": "03"})) == [
        "01-03-0007",
        "01-03-0008",
        "02-03-0007",
        "02-03-0100",
    ]
    assert codes(api.get(url, {"line": "01-03"})) == ["01-03-0007", "01-03-0008"]
    assert codes(api.get(url, {"active": "false"})) == ["02-03-0100"]
    assert codes(api.get(url, {"kind": "service"})) == ["02-03-0100"]
    assert codes(api.get(url, {"q": "01-0"})) == ["01-03-0007", "01-03-0008", "01-04-0001"]
    assert codes(api.get(url, {"q": "01-03-0008"})) == ["01-03-0008"]
    assert codes(api.get(url, {"q": "arabica"})) == ["01-03-0007"]
    assert codes(api.get(url, {"q": "ROBUSTA 1"})) == ["01-03-0008"]
    assert codes(api.get(url, {"ordering": "-name"}))[0] == "02-03-0007"


@pytest.mark.django_db
def test_renaming_a_category_code_through_the_api_renumbers(api, tree):
    url = f"{API}/categories/{tree['coffee'].uuid}/"
    response = api.patch(url, {"code": "07", "version": 1}, format="json")
    assert response.status_code == 200, response.content
    assert codes(api.get(f"{API}/products/", {"category": "07"})) == [
        "07-03-0007",
        "07-03-0008",
        "07-04-0001",
    ]
    response = api.patch(url, {"code": "02", "version": 2}, format="json")
    assert response.status_code == 400 and "code" in response.json()


@pytest.mark.django_db
def test_lines_and_categories(api, tree):
    response = api.post(
        f"{API}/lines/",
        {"category": str(tree["coffee"].uuid), "code": "09", "name": "Cápsulas"},
        format="json",
    )
    assert response.status_code == 201 and response.json()["full_code"] == "01-09"
    lines = api.get(f"{API}/lines/", {"category": "01"}).json()["results"]
    assert [row["full_code"] for row in lines] == ["01-03", "01-04", "01-09"]
    refused = api.delete(f"{API}/lines/{tree['green'].uuid}/")  # it has products
    assert refused.status_code == 409 and refused.json()["code"] == "in_use"
    assert api.delete(f"{API}/lines/{response.json()['id']}/").status_code == 204


@pytest.mark.django_db
def test_price_lists_items_and_the_price_endpoint(api, admin, tree):
    account = AccountFactory(actor=admin, name="Bodegas Norte SA")
    response = api.post(
        f"{API}/price-lists/",
        {
            "name": "Norte 2026",
            "currency": "EUR",
            "account": str(account.uuid),
            "valid_from": "2026-01-01",
            "valid_to": "2026-12-31",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    price_list = response.json()
    assert price_list["scope"] == "account"
    item = api.post(
        f"{API}/price-list-items/",
        {"price_list": price_list["id"], "product": str(tree["arabica"].uuid), "price": "8.25"},
        format="json",
    )
    assert item.status_code == 201, item.content
    detail = api.get(f"{API}/price-lists/{price_list['id']}/").json()
    assert detail["items"] == [
        {
            "id": item.json()["id"],
            "product": str(tree["arabica"].uuid),
            "product_code": "01-03-0007",
            "price": "8.25",
        }
    ]
    price_url = f"{API}/products/{tree['arabica'].uuid}/price/"
    found = api.get(price_url, {"account": str(account.uuid), "on": "2026-05-01"}).json()
    assert found == {
        "price": "8.25",
        "currency": "EUR",
        "source": "account",
        "price_list": price_list["id"],
    }
    found = api.get(price_url, {"on": "2026-05-01"}).json()
    assert (found["price"], found["source"]) == ("10.00", "list_price")
    missing = api.get(price_url, {"currency": "USD", "on": "2026-05-01"})
    assert missing.status_code == 400 and "currency" in missing.json()
    api.post(
        f"{API}/exchange-rates/",
        {"currency": "USD", "rate": "0.80", "valid_on": "2026-01-01"},
        format="json",
    )
    found = api.get(price_url, {"currency": "USD", "on": "2026-05-01"}).json()
    assert (found["price"], found["currency"]) == ("12.50", "USD")
    assert api.get(price_url, {"on": "someday"}).status_code == 400


@pytest.mark.django_db
def test_the_price_endpoint_ignores_another_organisations_account(api, tree, other_admin):
    foreign = AccountFactory(actor=other_admin, name="Ajena SA")
    url = f"{API}/products/{tree['arabica'].uuid}/price/"
    assert api.get(url, {"account": str(foreign.uuid)}).status_code == 404


@pytest.mark.django_db
def test_exchange_rates_api(api):
    url = f"{API}/exchange-rates/"
    created = api.post(
        url, {"currency": "usd", "rate": "0.9", "valid_on": "2026-01-01"}, format="json"
    )
    assert created.status_code == 201, created.content
    assert created.json()["currency"] == "USD"
    bad = api.post(url, {"currency": "EUR", "rate": "1", "valid_on": "2026-01-01"}, format="json")
    assert bad.status_code == 400 and "currency" in bad.json()
    rate_url = f"{url}{created.json()['id']}/"
    assert api.patch(rate_url, {"rate": "0.91", "version": 1}, format="json").status_code == 200
    assert Decimal(api.get(rate_url).json()["rate"]) == Decimal("0.91")
    moved = api.patch(rate_url, {"valid_on": "2026-02-01", "version": 2}, format="json")
    assert moved.status_code == 400
    assert api.get(url, {"currency": "USD"}).json()["results"][0]["valid_on"] == str(
        dt.date(2026, 1, 1)
    )
