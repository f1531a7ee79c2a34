"""Factories for opportunities, quotes, orders and deliveries, made through the sales
services (so documents are numbered and priced as in production)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import factory

from tests.core.factories import ServiceFactory
from tests.customers.factories import AccountFactory
from vinculo.core.models import User
from vinculo.sales import services
from vinculo.sales.documents import services as documents
from vinculo.sales.models import Delivery, Opportunity, Order, Quote

TODAY = dt.date.today()


def free_line(description="Service", quantity="1", unit_price="100.00", discount="0",
              tax_rate="21") -> dict[str, Any]:
    """A document line without a product."""
    return {"description": description, "quantity": Decimal(quantity),
            "unit_price": Decimal(unit_price), "discount_percent": Decimal(discount),
            "tax_rate": Decimal(tax_rate)}


def two_lines() -> list[dict[str, Any]]:
    return [free_line("Oil 5 l", "10", "42.50"), free_line("Vinegar", "4", "3.10")]


class OpportunityFactory(ServiceFactory):
    """An opportunity in the default pipeline, on a new account unless ``account`` is given."""

    class Meta:
        model = Opportunity

    name = factory.Sequence(lambda n: f"Trato {n}")
    account = None

    @classmethod
    def service(cls, actor: User, **data: Any) -> Opportunity:
        data["account"] = data["account"] or AccountFactory(actor=actor)
        return services.opportunity_create(actor=actor, data=data)


class QuoteFactory(ServiceFactory):
    class Meta:
        model = Quote

    account = None
    lines = factory.LazyFunction(lambda: [free_line("Consulting", "2", "150.00")])

    @classmethod
    def service(cls, actor: User, *, account: Any, **data: Any) -> Quote:
        return documents.quote_create(actor=actor, account=account or AccountFactory(actor=actor),
                                      **data)


class OrderFactory(ServiceFactory):
    """An order of two lines, promised in a week."""

    class Meta:
        model = Order

    account = None
    lines = None
    promised = None
    ordered_on = None

    @classmethod
    def service(cls, actor: User, *, account: Any, lines: Any, promised: Any, ordered_on: Any,
                **data: Any) -> Order:
        return documents.order_create(
            actor=actor, account=account or AccountFactory(actor=actor),
            lines=lines or two_lines(),
            promised_date=promised or TODAY + dt.timedelta(days=7),
            ordered_on=ordered_on or TODAY, **data)


class DeliveryFactory(ServiceFactory):
    """Deliver what remains of every line of ``order`` (a new order unless given)."""

    class Meta:
        model = Delivery

    order = None
    delivered_on = None

    @classmethod
    def service(cls, actor: User, *, order: Order | None, **data: Any) -> Delivery:
        order = order or OrderFactory(actor=actor)
        lines = [(line, line.quantity - line.delivered_quantity) for line in order.lines.all()]
        return documents.delivery_create(actor=actor, order=order, lines=lines, **data)
