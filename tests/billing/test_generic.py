"""The generic API and page suites for invoices, payments and returns."""

from __future__ import annotations

import datetime as dt
import uuid

from django.urls import reverse
from django.utils import timezone

from tests.billing.factories import InvoiceFactory, PaymentFactory, ReturnFactory
from tests.core.factories import as_user
from tests.customers.factories import AccountFactory
from tests.generic import Api, ApiSuite, Call, Page, PageSuite, Report, ReportSuite
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
    order = delivered_order(admin, user)  # an order of a customer the user may see
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
                     # e-mailed with its PDF: sent_at on the invoice is its one audit row
                     Call("send", "billing.change", build=issued_invoice, audit_rows=1,
                          payload=lambda a, u, r: {"to": ["compras@cliente.es"]}),
                     Call("pdf", "billing.view", method="get"),
                     Call("aging", "billing.view", method="get", detail=False)))


class TestPaymentApi(ApiSuite):
    api = Api("payment", "billing", payment)


class TestReturnApi(ApiSuite):
    api = Api("return", "sales", return_, create=return_payload,
              calls=(Call("authorise", "sales.change", audit_rows=1),))


def overdue_invoice(admin, owner):
    """An invoice 40 days past due, of a customer of ``owner`` whose name is its own."""
    account = AccountFactory(actor=admin, owner=owner, team=owner.team,
                             name=f"Cliente {uuid.uuid4().hex[:10]}")
    return InvoiceFactory(actor=admin, account=account, issued=True, terms=0,
                          issue_date=timezone.localdate() - dt.timedelta(days=40))


def due_order(admin, owner):
    """An order promised yesterday, of a customer of ``owner`` with a name and an industry of
    its own (the service levels by account and by segment show them)."""
    tag = uuid.uuid4().hex[:10]
    account = AccountFactory(actor=admin, owner=owner, team=owner.team,
                             name=f"Cliente {tag}", industry=f"Sector {tag}")
    today = timezone.localdate()
    return OrderFactory(actor=admin, account=account, ordered_on=today - dt.timedelta(days=9),
                        promised=today - dt.timedelta(days=1))


def account_name(record):
    return record.account.name


class TestBillingReports(ReportSuite):
    """Aging and service levels count the representative's customers only (issue 17)."""

    reports = [
        Report("aging page", "billing:aging", overdue_invoice, account_name),
        Report("aging API", "invoice-aging", overdue_invoice, account_name, api=True),
        Report("service levels page", "billing:service_levels", due_order, account_name),
        Report("service levels by segment",
               lambda admin: reverse("billing:service_levels") + "?by=segment", due_order,
               lambda order: order.account.industry),
        Report("service levels API", "service-level-list", due_order,
               lambda order: str(order.account.uuid), api=True),
        Report("service levels API by segment",
               lambda admin: reverse("service-level-list") + "?by=segment", due_order,
               lambda order: order.account.industry, api=True),
    ]


class TestInvoicePages(PageSuite):
    page = Page("invoice", "billing", invoice, list="billing:invoice_list",
                detail="billing:invoice_detail", create="billing:invoice_create")


class TestPaymentPages(PageSuite):
    page = Page("payment", "billing", payment, list="billing:payment_list",
                marker=lambda record: str(record.invoice.uuid))


class TestReturnPages(PageSuite):
    page = Page("return", "sales", return_, list="billing:return_list",
                detail="billing:return_detail")
