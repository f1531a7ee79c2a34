"""Factories for catalogue rows, made through the catalogue services."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import factory

from tests.core.factories import ServiceFactory
from vinculo.catalog import services
from vinculo.catalog.models import (
    Category,
    ExchangeRate,
    PriceList,
    PriceListItem,
    Product,
    ProductLine,
)
from vinculo.core.models import User


class CategoryFactory(ServiceFactory):
    class Meta:
        model = Category

    code = factory.Sequence(lambda n: f"{n % 100:02d}")
    name = factory.Sequence(lambda n: f"Categoría {n}")

    @classmethod
    def service(cls, actor: User, **data: Any) -> Category:
        return services.category_create(actor=actor, data=data)


class ProductLineFactory(ServiceFactory):
    """A line; in a new category unless ``category`` is given."""

    class Meta:
        model = ProductLine

    category = None
    code = factory.Sequence(lambda n: f"{n % 100:02d}")
    name = factory.Sequence(lambda n: f"Línea {n}")

    @classmethod
    def service(cls, actor: User, *, category: Category | None, **data: Any) -> ProductLine:
        category = category or CategoryFactory(actor=actor)
        return services.product_line_create(actor=actor, category=category, data=data)


class ProductFactory(ServiceFactory):
    """A product; in a new line (and category) unless ``line`` is given."""

    class Meta:
        model = Product

    line = None
    code = factory.Sequence(lambda n: f"{n % 10000:04d}")
    name = factory.Sequence(lambda n: f"Producto {n}")
    list_price = Decimal("10.00")
    currency = "EUR"
    tax_rate = Decimal("21.00")

    @classmethod
    def service(cls, actor: User, *, line: ProductLine | None, **data: Any) -> Product:
        data["list_price"] = Decimal(str(data["list_price"]))
        data["tax_rate"] = Decimal(str(data["tax_rate"]))
        data["line"] = line or ProductLineFactory(actor=actor)
        return services.product_create(actor=actor, data=data)


class PriceListFactory(ServiceFactory):
    class Meta:
        model = PriceList

    name = factory.Sequence(lambda n: f"Tarifa {n}")
    currency = "EUR"
    valid_from = dt.date(2026, 1, 1)

    @classmethod
    def service(cls, actor: User, **data: Any) -> PriceList:
        return services.price_list_create(actor=actor, data=data)


class PriceListItemFactory(ServiceFactory):
    """A product's price on a price list (new ones unless given)."""

    class Meta:
        model = PriceListItem

    price_list = None
    product = None
    price = "9.00"

    @classmethod
    def service(cls, actor: User, *, price_list: PriceList | None, product: Product | None,
                price: Any) -> PriceListItem:
        return services.price_list_item_create(
            actor=actor, price_list=price_list or PriceListFactory(actor=actor),
            product=product or ProductFactory(actor=actor), price=Decimal(str(price)))


class ExchangeRateFactory(ServiceFactory):
    class Meta:
        model = ExchangeRate

    currency = "USD"
    rate = "0.90"
    valid_on = dt.date(2026, 1, 1)

    @classmethod
    def service(cls, actor: User, *, currency: str, rate: Any, valid_on: dt.date) -> ExchangeRate:
        return services.exchange_rate_create(actor=actor, currency=currency,
                                          rate=Decimal(str(rate)), valid_on=valid_on)


def catalog_records(admin: User) -> dict:
    """One org-A row of every catalogue model with a UUID route."""
    item = PriceListItemFactory(actor=admin, price="7.77")
    return {
        Category: item.product.line.category,
        ProductLine: item.product.line,
        Product: item.product,
        PriceList: item.price_list,
        PriceListItem: item,
        ExchangeRate: ExchangeRateFactory(actor=admin),
    }
