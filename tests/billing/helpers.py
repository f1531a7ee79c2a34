"""Builders for the quote-to-cash tests; they go through the services, like every writer."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

from tests import factories
from vinculo.billing import services as billing
from vinculo.catalog import services as catalog
from vinculo.sales.documents import services as documents

_codes = itertools.count(1)
TODAY = dt.date.today()


def product(user, *, price="10.00", tax_rate="21", name=None):
    n = next(_codes)
    with factories.as_user(user):
        category = catalog.category_create(actor=user, data={"code": f"{n % 100:02d}",
                                                             "name": f"Cat {n}"})
        line = catalog.product_line_create(actor=user, category=category,
                                           data={"code": "01", "name": f"Line {n}"})
        return catalog.product_create(actor=user, data={
            "line": line, "code": "0001", "name": name or f"Product {n}",
            "list_price": Decimal(price), "currency": "EUR", "tax_rate": Decimal(tax_rate)})


def free_line(description="Service", quantity="1", unit_price="100.00", discount="0",
              tax_rate="21"):
    return {"description": description, "quantity": Decimal(quantity),
            "unit_price": Decimal(unit_price), "discount_percent": Decimal(discount),
            "tax_rate": Decimal(tax_rate)}


def order(user, *, account=None, lines=None, promised=None, ordered_on=None):
    account = account or factories.account(user)
    with factories.as_user(user):
        return documents.order_create(
            actor=user, account=account,
            lines=lines or [free_line("Oil 5 l", "10", "42.50"), free_line("Vinegar", "4", "3.10")],
            promised_date=promised or TODAY + dt.timedelta(days=7),
            ordered_on=ordered_on or TODAY)


def deliver_all(user, order_, on=None):
    with factories.as_user(user):
        return documents.delivery_create(
            actor=user, order=order_, delivered_on=on,
            lines=[(line, line.quantity - line.delivered_quantity) for line in order_.lines.all()])


def issued_invoice(user, *, account=None, lines=None, terms=30, issue_date=None):
    account = account or factories.account(user)
    with factories.as_user(user):
        draft = billing.invoice_create(actor=user, account=account,
                                       lines=lines or [free_line("Consulting", "2", "150.00")],
                                       payment_terms_days=terms)
        return billing.invoice_issue(actor=user, invoice=draft, issue_date=issue_date)
