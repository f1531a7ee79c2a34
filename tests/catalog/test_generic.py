"""The generic API and page suites for the catalogue: categories, product lines, products,
price lists and their items, exchange rates."""

from __future__ import annotations

import datetime as dt
import itertools

from tests.catalog.factories import (
    CategoryFactory,
    ExchangeRateFactory,
    PriceListFactory,
    PriceListItemFactory,
    ProductFactory,
    ProductLineFactory,
)
from tests.core.factories import as_user
from tests.customers.factories import AccountFactory
from tests.generic import Api, ApiSuite, Call, Deletion, DeletionSuite, Page, PageSuite
from tests.sales.factories import QuoteFactory, free_line
from vinculo.catalog import supplier_services
from vinculo.catalog.models import Category

_days = itertools.count(1)


def category(admin, owner):
    return CategoryFactory(actor=admin, code=free_code(admin))


def free_code(admin) -> str:
    """A two-digit category code not yet used in the organisation."""
    used = set(Category.all_objects.filter(organization_id=admin.organization_id)
               .values_list("code", flat=True))
    return next(f"{n:02d}" for n in range(99, 0, -1) if f"{n:02d}" not in used)


def line(admin, owner):
    return ProductLineFactory(actor=admin, category=category(admin, owner))


def product(admin, owner):
    return ProductFactory(actor=admin, line=line(admin, owner))


def price_list(admin, owner):
    return PriceListFactory(actor=admin)


def price_list_item(admin, owner):
    return PriceListItemFactory(actor=admin, price_list=price_list(admin, owner),
                                product=product(admin, owner))


def exchange_rate(admin, owner):
    return ExchangeRateFactory(actor=admin, valid_on=dt.date(2026, 1, 1)
                               + dt.timedelta(days=next(_days)))


def supplier_account(admin, owner):
    return AccountFactory(actor=admin, owner=owner, team=getattr(owner, "team", None),
                          is_supplier=True)


def product_supplier(admin, owner):
    """A product's supplier link; it follows the rule of the supplier account (its owner)."""
    item, supplier = product(admin, owner), supplier_account(admin, owner)
    with as_user(admin):
        return supplier_services.product_supplier_set(
            actor=admin, product=item, supplier=supplier,
            data={"lead_time_days": "5", "cost": "3.50"})


class TestProductSupplierApi(ApiSuite):
    api = Api("catalog-product-supplier", "catalog", product_supplier,
              permissions={"create": "catalog.change"},
              create=lambda admin, user: {
                  "product": str(product(admin, user).uuid),
                  "supplier": str(supplier_account(admin, user).uuid),
                  "lead_time_days": "7", "cost": "2.00"},
              update=lambda record: {"supplier_code": "PX-1"},
              delete=True)


class TestCategoryApi(ApiSuite):
    api = Api("catalog-category", "catalog", category,
              create=lambda admin, user: {"code": free_code(admin), "name": "Nueva"},
              update=lambda record: {"name": f"{record.name} bis"},
              delete=True)


class TestProductLineApi(ApiSuite):
    api = Api("catalog-line", "catalog", line,
              create=lambda admin, user: {"category": str(category(admin, user).uuid),
                                          "code": "01", "name": "Línea nueva"},
              update=lambda record: {"name": f"{record.name} bis"},
              delete=True)


class TestProductApi(ApiSuite):
    api = Api("catalog-product", "catalog", product,
              create=lambda admin, user: {"line": str(line(admin, user).uuid), "code": "0001",
                                          "name": "Aceite", "list_price": "42.50",
                                          "currency": "EUR", "tax_rate": "10.00"},
              update=lambda record: {"name": f"{record.name} bis"},
              delete=True,
              calls=(Call("price", "catalog.view", method="get"),))


class TestPriceListApi(ApiSuite):
    api = Api("catalog-price-list", "catalog", price_list,
              create=lambda admin, user: {"name": "Hostelería", "currency": "EUR",
                                          "valid_from": "2026-01-01"},
              update=lambda record: {"name": f"{record.name} bis"},
              delete=True)


class TestPriceListItemApi(ApiSuite):
    api = Api("catalog-price-list-item", "catalog", price_list_item,
              create=lambda admin, user: {"price_list": str(price_list(admin, user).uuid),
                                          "product": str(product(admin, user).uuid),
                                          "price": "5.00"},
              update=lambda record: {"price": "6.00"},
              delete=True)


class TestExchangeRateApi(ApiSuite):
    api = Api("catalog-exchange-rate", "catalog", exchange_rate,
              create=lambda admin, user: {"currency": "GBP", "rate": "1.15",
                                          "valid_on": "2026-03-01"},
              update=lambda record: {"rate": "0.91"},
              delete=True)


class TestProductPages(PageSuite):
    page = Page("product", "catalog", product, list="catalog:product_list",
                detail="catalog:product_detail", create="catalog:product_create",
                edit="catalog:product_update")


class TestCategoryPages(PageSuite):
    page = Page("category", "catalog", category, list="catalog:category_list",
                create="catalog:category_create", edit="catalog:category_update")


class TestProductLinePages(PageSuite):
    page = Page("line", "catalog", line, edit="catalog:line_update")


class TestPriceListPages(PageSuite):
    page = Page("price-list", "catalog", price_list, list="catalog:price_list_list",
                detail="catalog:price_list_detail", create="catalog:price_list_create",
                edit="catalog:price_list_update")


class TestExchangeRatePages(PageSuite):
    page = Page("exchange-rate", "catalog", exchange_rate, list="catalog:exchange_rate_list",
                create="catalog:exchange_rate_create")


def product_on_a_quote(admin):
    record = product(admin, admin)
    QuoteFactory(actor=admin, lines=[{**free_line("Aceite"), "product": record}])
    return record, ["1 quote line"]


def category_with_lines(admin):
    category = CategoryFactory(actor=admin, code=free_code(admin))
    ProductLineFactory(actor=admin, category=category, code="01")
    ProductLineFactory(actor=admin, category=category, code="02")
    return category, ["2 product lines"]


def line_with_a_product(admin):
    return product(admin, admin).line, ["1 product"]


class TestCatalogDeletions(DeletionSuite):
    deletions = [
        Deletion("product", product_on_a_quote, phrases_es=("1 línea de presupuesto",),
                 api="catalog-product", page="catalog:product_delete"),
        Deletion("category", category_with_lines, phrases_es=("2 líneas de producto",),
                 api="catalog-category", page="catalog:category_delete"),
        Deletion("line", line_with_a_product, phrases_es=("1 producto",),
                 api="catalog-line", page="catalog:line_delete"),
    ]
