"""Factories for catalogue rows. They go through the services, like every other writer."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal
from typing import Any

from tests.factories import as_user
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

_counter = itertools.count(1)


def category(user: User, **data: Any) -> Category:
    n = next(_counter)
    data = {"code": f"{n % 100:02d}", "name": f"Categoría {n}", **data}
    with as_user(user):
        return services.category_create(actor=user, data=data)


def line(user: User, category: Category | None = None, **data: Any) -> ProductLine:
    n = next(_counter)
    category = category or globals()["category"](user)
    data = {"code": f"{n % 100:02d}", "name": f"Línea {n}", **data}
    with as_user(user):
        return services.product_line_create(actor=user, category=category, data=data)


def product(user: User, line: ProductLine | None = None, **data: Any):
    n = next(_counter)
    line = line or globals()["line"](user)
    data = {
        "line": line,
        "code": f"{n % 10000:04d}",
        "name": f"Producto {n}",
        "list_price": Decimal("10.00"),
        "currency": "EUR",
        "tax_rate": Decimal("21.00"),
        **data,
    }
    with as_user(user):
        return services.product_create(actor=user, data=data)


def price_list(user: User, **data: Any):
    n = next(_counter)
    data = {"name": f"Tarifa {n}", "currency": "EUR", "valid_from": dt.date(2026, 1, 1), **data}
    with as_user(user):
        return services.price_list_create(actor=user, data=data)


def price_list_item(user: User, price_list=None, product=None, price: Any = "9.00"):
    price_list = price_list or globals()["price_list"](user)
    product = product or globals()["product"](user)
    with as_user(user):
        return services.price_list_item_create(
            actor=user, price_list=price_list, product=product, price=Decimal(price)
        )


def exchange_rate(
    user: User, currency: str = "USD", rate: Any = "0.90", valid_on: dt.date = dt.date(2026, 1, 1)
):
    with as_user(user):
        return services.exchange_rate_create(
            actor=user, currency=currency, rate=Decimal(rate), valid_on=valid_on
        )


def catalog_records(admin) -> dict:
    """One org-A row of every catalogue model with a UUID route."""
    item = price_list_item(admin, price="7.77")
    return {
        Category: item.product.line.category,
        ProductLine: item.product.line,
        Product: item.product,
        PriceList: item.price_list,
        PriceListItem: item,
        ExchangeRate: exchange_rate(admin),
    }
