"""The generic API and page suites for invoices, payments and returns."""

from __future__ import annotations

from tests.billing.factories import InvoiceFactory, PaymentFactory, ReturnFactory
from tests.core.factories import as_user
from tests.customers.factories import AccountFactory
from tests.generic import Api, ApiSuite, Call, Page, PageSuite
from tests.sales.factories import DeliveryFactory, OrderFactory

LINES = [{"description": "Consultoría", "quantity": "2", "unit_price": "150.00",
          "tax_rate": "21"}]


def customer(admin, owner):
    return AccountFactory(actor=admin, owner=owner, team=owner.team)


def invoice(admin, owner):
    return InvoiceFactory(actor=admin, account=customer(admin, owner))


def issued_invoice(admin, owner):
    return InvoiceFactory(actor=admin, account=customer(admin, owner), issued=True)


def payment(admin, owner):
    return PaymentFactory(actor=admin, invoice=InvoiceFactory(
        actor=admin, account=customer(admin, owner), issued=True))


def delivered_order(admin, owner):
    order = OrderFactory(actor=admin, account=customer(admin, owner))
    DeliveryFactory(actor=admin, order=order)
    return order


def return_(admin, owner):
    return ReturnFactory(actor=admin, order=delivered_order(admin, owner))


def return_payload(admin, user):
    order = delivered_order(admin, admin)
    with as_user(admin):
        line = order.lines.first()
    return {"order": str(order.uuid), "reason": "Llegó roto",
            "lines": [{"order_line": str(line.uuid), "quantity": "1"}]}


class TestInvoiceApi(ApiSuite):
    api = Api("invoice", "billing", invoice,
              create=lambda admin, user: {"account": str(customer(admin, user).uuid),
                                          "lines": LINES},
              update=lambda record: {"notes": "Pago por transferencia"},
              delete=True,
              calls=(Call("issue", "billing.change", payload=lambda a, u, r: {}, audit_rows=1),
                     Call("pay", "billing.change", build=issued_invoice, ok=201,
                          payload=lambda a, u, r: {"amount": "1.00"}),
                     # a credit note is created and numbered, and its invoice notes the credit:
                     # several rows about invoices, so their number is not asserted here
                     Call("credit", "billing.add", build=issued_invoice, ok=201,
                          payload=lambda a, u, r: {"reason": "Error de precio"}),
                     Call("pdf", "billing.view", method="get"),
                     Call("aging", "billing.view", method="get", detail=False)))


class TestPaymentApi(ApiSuite):
    api = Api("payment", "billing", payment)


class TestReturnApi(ApiSuite):
    api = Api("return", "sales", return_, create=return_payload,
              calls=(Call("authorise", "sales.change", audit_rows=1),))


class TestInvoicePages(PageSuite):
    page = Page("invoice", "billing", invoice, list="billing:invoice_list",
                detail="billing:invoice_detail", create="billing:invoice_create")


class TestPaymentPages(PageSuite):
    page = Page("payment", "billing", payment, list="billing:payment_list")


class TestReturnPages(PageSuite):
    page = Page("return", "sales", return_, list="billing:return_list",
                detail="billing:return_detail")
