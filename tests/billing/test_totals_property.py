"""Quote and invoice totals equal an independent recomputation in exact fractions."""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.customers.factories import AccountFactory
from vinculo.billing import services as billing
from vinculo.sales.documents import services as documents


def cents(value: Fraction) -> Fraction:
    """Round half away from zero to cents, written without Decimal."""
    scaled = abs(value) * 100
    rounded = math.floor(scaled + Fraction(1, 2))
    return Fraction(rounded if value >= 0 else -rounded, 100)


def expected(lines: list[dict], sign: int = 1) -> tuple[Fraction, Fraction, Fraction]:
    net_total = tax_total = Fraction(0)
    for line in lines:
        quantity = sign * Fraction(line["quantity"])
        net = cents(quantity * Fraction(line["unit_price"])
                    * (100 - Fraction(line["discount_percent"])) / 100)
        tax = cents(net * Fraction(line["tax_rate"]) / 100)
        net_total += net
        tax_total += tax
    return net_total, tax_total, net_total + tax_total


line_strategy = st.fixed_dictionaries({
    "description": st.just("Item"),
    "quantity": st.decimals(min_value=Decimal("0.001"), max_value=Decimal("9999"), places=3),
    "unit_price": st.decimals(min_value=Decimal(0), max_value=Decimal("99999"), places=2),
    "discount_percent": st.decimals(min_value=Decimal(0), max_value=Decimal(100), places=2),
    "tax_rate": st.sampled_from([Decimal(0), Decimal(4), Decimal(10), Decimal(21),
                                 Decimal("5.5"), Decimal("7.25")]),
})
SETTINGS = settings(max_examples=40, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture
def account(as_admin):
    return AccountFactory(actor=as_admin)


def as_fractions(document) -> tuple[Fraction, Fraction, Fraction]:
    return (Fraction(document.net_amount), Fraction(document.tax_amount),
            Fraction(document.total_amount))


@pytest.mark.django_db
@SETTINGS
@given(lines=st.lists(line_strategy, min_size=1, max_size=8))
def test_quote_totals_match_an_exact_recomputation(as_admin, account, lines):
    quote = documents.quote_create(actor=as_admin, account=account, lines=lines)
    quote.refresh_from_db()
    assert as_fractions(quote) == expected(lines)
    stored = sum(Fraction(line.total_amount) for line in quote.lines.all())
    assert stored == Fraction(quote.total_amount)


@pytest.mark.django_db
@SETTINGS
@given(lines=st.lists(line_strategy, min_size=1, max_size=8))
def test_invoice_and_full_credit_note_totals(as_admin, account, lines):
    invoice = billing.invoice_create(actor=as_admin, account=account, lines=lines)
    invoice = billing.invoice_issue(actor=as_admin, invoice=invoice)
    invoice.refresh_from_db()
    assert as_fractions(invoice) == expected(lines)
    note = billing.credit_note_create(actor=as_admin, invoice=invoice)
    note.refresh_from_db()
    assert as_fractions(note) == expected(lines, sign=-1)
    assert billing.invoice_balance(invoice)["outstanding"] == 0
