"""Factories for invoices, payments and returns, made through the billing services."""

from __future__ import annotations

from typing import Any

from tests.core.factories import ServiceFactory
from tests.customers.factories import AccountFactory
from tests.sales.factories import DeliveryFactory, OrderFactory, free_line
from vinculo.billing import returns, services
from vinculo.billing.models import Invoice, Payment, ReturnAuthorization
from vinculo.core.models import User


class InvoiceFactory(ServiceFactory):
    """A draft invoice for a new account unless ``account``; ``issued=True`` numbers it."""

    class Meta:
        model = Invoice

    account = None
    lines = None
    terms = 30
    issued = False
    issue_date = None

    @classmethod
    def service(cls, actor: User, *, account: Any, lines: Any, terms: int, issued: bool,
                issue_date: Any, **data: Any) -> Invoice:
        invoice = services.invoice_create(
            actor=actor, account=account or AccountFactory(actor=actor),
            lines=lines or [free_line("Consulting", "2", "150.00")],
            payment_terms_days=terms, **data)
        if issued:
            invoice = services.invoice_issue(actor=actor, invoice=invoice, issue_date=issue_date)
        return invoice


class PaymentFactory(ServiceFactory):
    """A payment on an issued invoice (a new one unless ``invoice``)."""

    class Meta:
        model = Payment

    invoice = None
    amount = "1.00"

    @classmethod
    def service(cls, actor: User, *, invoice: Invoice | None, **data: Any) -> Payment:
        invoice = invoice or InvoiceFactory(actor=actor, issued=True)
        return services.payment_record(actor=actor, invoice=invoice, **data)


class ReturnFactory(ServiceFactory):
    """A return of one unit of the first line of a delivered order (a new one unless given)."""

    class Meta:
        model = ReturnAuthorization

    order = None
    reason = "Roto"

    @classmethod
    def service(cls, actor: User, *, order: Any, reason: str) -> ReturnAuthorization:
        if order is None:
            order = OrderFactory(actor=actor)
            DeliveryFactory(actor=actor, order=order)
        return returns.return_request(actor=actor, order=order, reason=reason,
                                       lines=[(order.lines.first(), 1)])
