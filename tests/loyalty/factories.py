"""Programmes, members and paid invoices, made through the services."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tests.core.factories import as_user
from tests.customers.factories import AccountFactory
from tests.sales.factories import free_line
from vinculo.billing import services as billing
from vinculo.billing.models import Invoice
from vinculo.core.models import User
from vinculo.customers.models import Account
from vinculo.loyalty import services
from vinculo.loyalty.models import Member, Program

REWARDS = [{"key": "cupon-10", "name": "Cupón 10 €", "kind": "coupon", "points": 100,
            "value": 10},
           {"key": "dto-20", "name": "20 € en un presupuesto", "kind": "quote_discount",
            "points": 150, "value": 20}]


def program(actor: User, **data: Any) -> Program:
    values = {"name": "Club", "points_per_unit": "1", "point_value": "0.05",
              "expiry_months": 12, "rewards": REWARDS,
              "earn_rules": [{"kind": "review", "points": 30},
                             {"kind": "referral", "points": 80}], **data}
    with as_user(actor):
        return services.program_create(actor=actor, data=values)


def member(actor: User, prog: Program, account: Account | None = None, **data: Any) -> Member:
    with as_user(actor):
        return services.member_enrol(actor=actor, program=prog,
                                     account=account or AccountFactory(actor=actor), **data)


def paid_invoice(actor: User, account: Account, lines: list[dict] | None = None,
                 amount: str = "100.00") -> Invoice:
    """An issued invoice, paid in full (``invoice.paid`` published inside the payment)."""
    with as_user(actor):
        invoice = billing.invoice_create(actor=actor, account=account,
                                         lines=lines or [free_line("Servicio", "1", amount,
                                                                   tax_rate="0")])
        invoice = billing.invoice_issue(actor=actor, invoice=invoice)
        billing.payment_record(actor=actor, invoice=invoice, amount=invoice.total_amount)
    return Invoice.all_objects.get(pk=invoice.pk)


def net(invoice: Invoice) -> Decimal:
    return invoice.net_amount
