"""Money arithmetic shared by quotes, orders, invoices and credit notes.

Amounts are ``Decimal`` with an ISO 4217 currency code, never floats. The rule is applied per
line, as invoices print it: net = quantity × unit price × (1 − discount%), rounded to cents;
tax = net × rate%, rounded to cents; document totals are the sums of the rounded line figures,
so the printed lines always add up to the printed total.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
HUNDRED = Decimal(100)
ZERO = Decimal("0.00")


def to_cents(value: Decimal) -> Decimal:
    """Round half away from zero to cents, the commercial rule."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class LineAmounts:
    gross: Decimal  # quantity × unit price, before discount
    discount: Decimal
    net: Decimal
    tax: Decimal
    total: Decimal


def line_amounts(quantity: Decimal, unit_price: Decimal, discount_percent: Decimal = ZERO,
                 tax_rate: Decimal = ZERO) -> LineAmounts:
    """The amounts of one line; raises ``ValueError`` on a discount outside 0–100 %."""
    if not ZERO <= discount_percent <= HUNDRED:
        raise ValueError("discount_percent must be between 0 and 100")
    if tax_rate < ZERO:
        raise ValueError("tax_rate must not be negative")
    gross = to_cents(quantity * unit_price)
    net = to_cents(quantity * unit_price * (HUNDRED - discount_percent) / HUNDRED)
    tax = to_cents(net * tax_rate / HUNDRED)
    return LineAmounts(gross=gross, discount=gross - net, net=net, tax=tax, total=net + tax)


@dataclass(frozen=True)
class DocumentTotals:
    net: Decimal
    tax: Decimal
    total: Decimal
    tax_by_rate: dict[Decimal, Decimal]


def document_totals(lines: Iterable[tuple[LineAmounts, Decimal]]) -> DocumentTotals:
    """Totals of a document from its lines' amounts and tax rates (tax broken down by rate)."""
    net = tax = ZERO
    by_rate: dict[Decimal, Decimal] = {}
    for amounts, rate in lines:
        net += amounts.net
        tax += amounts.tax
        by_rate[rate] = by_rate.get(rate, ZERO) + amounts.tax
    return DocumentTotals(net=net, tax=tax, total=net + tax, tax_by_rate=by_rate)
