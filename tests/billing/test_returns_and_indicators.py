"""Returns (RMA) flows and the service indicators: on time, fill rate, perfect order."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from tests.customers.factories import AccountFactory
from tests.sales.factories import DeliveryFactory, OrderFactory
from vinculo.billing import returns, selectors, services
from vinculo.sales.documents import services as documents

TODAY = dt.date.today()


@pytest.fixture
def delivered_invoiced(as_admin):
    order = OrderFactory(actor=as_admin)
    DeliveryFactory(actor=as_admin, order=order)
    invoice = services.invoice_from_order(actor=as_admin, order=order)
    invoice = services.invoice_issue(actor=as_admin, invoice=invoice)
    order.refresh_from_db()
    return order, invoice


@pytest.mark.django_db
def test_rma_closes_with_a_credit_note_for_the_returned_lines(as_admin, delivered_invoiced):
    order, invoice = delivered_invoiced
    oil, _vinegar = order.lines.all()
    with pytest.raises(ValidationError) as error:
        returns.return_request(actor=as_admin, order=order, reason="Leaking",
                                lines=[(oil, Decimal(11))])
    assert "lines.0.quantity" in error.value.message_dict
    rma = returns.return_request(actor=as_admin, order=order, reason="Leaking",
                                  lines=[(oil, Decimal(2))])
    assert rma.number == f"RMA-{TODAY.year}-000001" and rma.status == "requested"
    with pytest.raises(ValidationError):
        returns.return_close(actor=as_admin, rma=rma, resolution="credit_note")
    returns.return_authorise(actor=as_admin, rma=rma)
    returns.return_receive(actor=as_admin, rma=rma)
    rma = returns.return_close(actor=as_admin, rma=rma, resolution="credit_note")
    assert (rma.status, rma.resolution) == ("closed", "credit_note")
    note = rma.credit_note
    assert note.credited_invoice == invoice
    assert note.total_amount == Decimal("-102.85")  # 2 × 42.50 = 85.00 + 21 %
    assert services.invoice_balance(invoice)["outstanding"] == invoice.total_amount - Decimal(
        "102.85")
    # only 8 left to return now
    with pytest.raises(ValidationError):
        returns.return_request(actor=as_admin, order=order, reason="More",
                                lines=[(oil, Decimal(9))])


@pytest.mark.django_db
def test_rma_closes_with_a_replacement_delivery(as_admin, delivered_invoiced):
    order, _invoice = delivered_invoiced
    _oil, vinegar = order.lines.all()
    rma = returns.return_request(actor=as_admin, order=order, reason="Wrong label",
                                  lines=[(vinegar, Decimal(1))])
    returns.return_authorise(actor=as_admin, rma=rma)
    returns.return_receive(actor=as_admin, rma=rma)
    rma = returns.return_close(actor=as_admin, rma=rma, resolution="replacement")
    delivery = rma.replacement_delivery
    assert delivery.is_replacement and delivery.lines.get().quantity == Decimal(1)
    order.refresh_from_db()
    assert order.status == "delivered"


@pytest.mark.django_db
def test_rejected_rma_frees_the_quantity(as_admin, delivered_invoiced):
    order, _invoice = delivered_invoiced
    oil, _ = order.lines.all()
    rma = returns.return_request(actor=as_admin, order=order, reason="x",
                                  lines=[(oil, Decimal(10))])
    returns.return_reject(actor=as_admin, rma=rma)
    with pytest.raises(ValidationError):
        returns.return_receive(actor=as_admin, rma=rma)
    returns.return_request(actor=as_admin, order=order, reason="y", lines=[(oil, Decimal(10))])


@pytest.mark.django_db
def test_service_indicators_per_account_segment_and_month(as_admin):
    retail = AccountFactory(actor=as_admin, name="Tienda SL", industry="Retail")
    horeca = AccountFactory(actor=as_admin, name="Bar SL", industry="Hostelería")
    start = dt.date(TODAY.year - 1, 3, 1)
    promised = start + dt.timedelta(days=10)

    def make(account):
        return OrderFactory(actor=as_admin, account=account, ordered_on=start, promised=promised)

    perfect = make(retail)  # one complete delivery on time
    DeliveryFactory(actor=as_admin, order=perfect, delivered_on=promised)
    late = make(retail)  # complete in one delivery, but late
    DeliveryFactory(actor=as_admin, order=late, delivered_on=promised + dt.timedelta(days=1))
    split = make(retail)  # on time, in two deliveries: not filled
    oil, vinegar = split.lines.all()
    documents.delivery_create(actor=as_admin, order=split, lines=[(oil, 10)], delivered_on=start)
    documents.delivery_create(actor=as_admin, order=split, lines=[(vinegar, 4)],
                              delivered_on=promised)
    returned = make(horeca)  # on time and complete, but a return came back
    DeliveryFactory(actor=as_admin, order=returned, delivered_on=promised)
    returns.return_request(actor=as_admin, order=returned, reason="Damaged",
                            lines=[(returned.lines.first(), 1)])
    make(horeca)  # due and never delivered
    OrderFactory(actor=as_admin, account=horeca, promised=TODAY + dt.timedelta(days=30))  # not due

    rows = {row["key"]: row for row in selectors.service_indicators(user=as_admin, by="account")}
    assert {k: (r["due"], r["on_time"], r["filled"], r["perfect"]) for k, r in rows.items()} == {
        "Tienda SL": (3, 2, 2, 1), "Bar SL": (2, 1, 1, 0)}
    assert rows["Tienda SL"]["on_time_rate"] == 66.7
    assert rows["Tienda SL"]["month"].month == 3
    segments = {row["key"]: row
                for row in selectors.service_indicators(user=as_admin, by="segment")}
    assert segments["Hostelería"]["order_fill_rate"] == 50.0
    (month,) = selectors.service_indicators(user=as_admin, by="month")
    assert (month["due"], month["perfect_rate"]) == (5, 20.0)
