"""Invoices: drafts from orders, numbering, immutability, credit notes, payments, aging."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from tests.billing.factories import InvoiceFactory
from tests.customers.factories import AccountFactory
from tests.sales.factories import OrderFactory, free_line
from vinculo.billing import selectors, services
from vinculo.billing.models import Invoice, InvoiceLine, Payment
from vinculo.sales.documents import services as documents

TODAY = dt.date.today()


@pytest.mark.django_db
def test_invoice_from_delivered_quantities_then_the_rest(as_admin):
    order = OrderFactory(actor=as_admin)
    oil, _vinegar = order.lines.all()
    documents.delivery_create(actor=as_admin, order=order, lines=[(oil, Decimal(4))])
    first = services.invoice_from_order(actor=as_admin, order=order, basis="delivered")
    assert [(line.description, line.quantity) for line in first.lines.all()] == [
        ("Oil 5 l", Decimal(4))]
    assert first.total_amount == Decimal("205.70")  # 4 × 42.50 = 170.00 + 21 %
    with pytest.raises(ValidationError):
        services.invoice_from_order(actor=as_admin, order=order, basis="delivered")
    rest = services.invoice_from_order(actor=as_admin, order=order, basis="all")
    assert [(line.description, line.quantity) for line in rest.lines.all()] == [
        ("Oil 5 l", Decimal(6)), ("Vinegar", Decimal(4))]
    assert first.total_amount + rest.total_amount == order.total_amount


@pytest.mark.django_db
def test_issuing_numbers_in_series_and_sets_due_date(as_admin):
    account = AccountFactory(actor=as_admin)
    draft = services.invoice_create(actor=as_admin, account=account,
                                    lines=[free_line()], payment_terms_days=45)
    assert draft.number == "" and draft.status == "draft"
    issued = services.invoice_issue(actor=as_admin, invoice=draft, issue_date=TODAY)
    assert issued.number == f"F-{TODAY.year}-000001"
    assert issued.due_date == TODAY + dt.timedelta(days=45)
    second = InvoiceFactory(actor=as_admin, issued=True, account=account)
    assert second.number == f"F-{TODAY.year}-000002"
    note = services.credit_note_create(actor=as_admin, invoice=issued)
    assert note.number == f"R-{TODAY.year}-000001"
    with pytest.raises(ValidationError):
        services.invoice_issue(actor=as_admin, invoice=issued)


@pytest.mark.django_db
def test_a_failed_issue_uses_no_number(as_admin):
    account = AccountFactory(actor=as_admin)
    empty = services.invoice_create(actor=as_admin, account=account, lines=[free_line()])
    InvoiceLine.objects.filter(invoice=empty).delete()
    with pytest.raises(ValidationError):
        services.invoice_issue(actor=as_admin, invoice=empty)
    assert InvoiceFactory(actor=as_admin, issued=True).number == f"F-{TODAY.year}-000001"


@pytest.mark.django_db
def test_an_issued_invoice_cannot_be_edited(as_admin):
    invoice = InvoiceFactory(actor=as_admin, issued=True)
    before = Invoice.objects.filter(pk=invoice.pk).values().get()
    with pytest.raises(services.ImmutableInvoiceError):
        services.invoice_update(actor=as_admin, invoice=invoice, data={"notes": "changed"})
    with pytest.raises(services.ImmutableInvoiceError):
        services.invoice_update(actor=as_admin, invoice=invoice,
                                lines=[free_line(unit_price="1.00")])
    with pytest.raises(services.ImmutableInvoiceError):
        services.invoice_delete(actor=as_admin, invoice=invoice)
    assert Invoice.objects.filter(pk=invoice.pk).values().get() == before


@pytest.mark.django_db
def test_the_database_refuses_to_change_an_issued_invoice(as_admin):
    invoice = InvoiceFactory(actor=as_admin, issued=True)
    line = invoice.lines.get()
    for attempt in (
        lambda: Invoice.objects.filter(pk=invoice.pk).update(total_amount=Decimal("1.00")),
        lambda: Invoice.objects.filter(pk=invoice.pk).update(number="F-X"),
        lambda: InvoiceLine.objects.filter(pk=line.pk).update(unit_price=Decimal("1.00")),
        lambda: InvoiceLine.objects.create(organization_id=invoice.organization_id,
                                           invoice=invoice, description="x", quantity=1,
                                           unit_price=1),
    ):
        with pytest.raises(IntegrityError), transaction.atomic():
            attempt()
    # status moves (payments) are still allowed
    services.payment_record(actor=as_admin, invoice=invoice, amount=invoice.total_amount)
    invoice.refresh_from_db()
    assert invoice.status == "paid"


@pytest.mark.django_db
def test_credit_notes_are_negative_and_never_exceed_the_invoice(as_admin):
    invoice = InvoiceFactory(actor=as_admin, issued=True, lines=[
        free_line("A", "3", "100.00"), free_line("B", "1", "50.00", tax_rate="10")])
    assert invoice.total_amount == Decimal("418.00")  # 363.00 + 55.00
    line_a, line_b = invoice.lines.all()
    note = services.credit_note_create(actor=as_admin, invoice=invoice, lines=[(line_a, 1)],
                                       reason="Broken")
    assert (note.kind, note.credited_invoice, note.total_amount) == (
        "credit_note", invoice, Decimal("-121.00"))
    assert note.lines.get().quantity == Decimal(-1)
    assert selectors.with_balance(Invoice.objects.filter(pk=invoice.pk)).get().outstanding == \
        Decimal("297.00")
    services.credit_note_create(actor=as_admin, invoice=invoice, lines=[(line_a, 2)])
    with pytest.raises(ValidationError) as error:
        services.credit_note_create(actor=as_admin, invoice=invoice, lines=[(line_a, 1)])
    assert "55.00 is left to credit" in str(error.value)
    services.credit_note_create(actor=as_admin, invoice=invoice, lines=[(line_b, 1)])
    invoice.refresh_from_db()
    balance = services.invoice_balance(invoice)
    assert (balance["credited"], balance["outstanding"], invoice.status) == (
        Decimal("418.00"), Decimal("0.00"), "credited")
    with pytest.raises(ValidationError):
        services.credit_note_create(actor=as_admin, invoice=invoice, lines=[(line_b, 1)])


@pytest.mark.django_db
def test_partial_payments_then_paid_and_overpayment_refused(as_admin):
    invoice = InvoiceFactory(actor=as_admin, issued=True)  # 363.00
    services.payment_record(actor=as_admin, invoice=invoice, amount="100.00")
    with pytest.raises(ValidationError) as error:
        services.payment_record(actor=as_admin, invoice=invoice, amount="263.01")
    assert "amount" in error.value.message_dict
    assert Payment.objects.count() == 1
    invoice.refresh_from_db()
    assert invoice.status == "issued"
    services.payment_record(actor=as_admin, invoice=invoice, amount="263.00",
                            paid_on=TODAY - dt.timedelta(days=1))
    invoice.refresh_from_db()
    assert (invoice.status, invoice.paid_on) == ("paid", TODAY - dt.timedelta(days=1))
    with pytest.raises(ValidationError):
        services.payment_record(actor=as_admin, invoice=invoice, amount="1.00")
    draft = services.invoice_create(actor=as_admin, account=invoice.account,
                                    lines=[free_line()])
    with pytest.raises(ValidationError):
        services.payment_record(actor=as_admin, invoice=draft, amount="1.00")


@pytest.mark.django_db
def test_overdue_and_aging_per_account(as_admin):
    north, south = AccountFactory(actor=as_admin, name="Norte SA"), AccountFactory(
        actor=as_admin, name="Sur SL")
    on = TODAY

    def invoice(account, days_ago, amount):
        return InvoiceFactory(actor=as_admin, issued=True, account=account, terms=0,
                              issue_date=on - dt.timedelta(days=days_ago),
                              lines=[free_line("x", "1", amount, tax_rate="0")])

    invoice(north, -5, "100.00")  # due in the future: current
    invoice(north, 0, "10.00")   # due today: current
    paid_part = invoice(north, 10, "200.00")
    services.payment_record(actor=as_admin, invoice=paid_part, amount="50.00")
    invoice(north, 45, "300.00")
    invoice(south, 75, "400.00")
    invoice(south, 120, "500.00")
    settled = invoice(south, 200, "999.00")
    services.payment_record(actor=as_admin, invoice=settled, amount="999.00")
    report = selectors.aging(user=as_admin, on=on)
    rows = {row["account__name"]: row for row in report["rows"]}
    assert [rows["Norte SA"][k] for k in selectors.AGING_BUCKETS] == [
        Decimal("110.00"), Decimal("150.00"), Decimal("300.00"), 0, 0]
    assert [rows["Sur SL"][k] for k in selectors.AGING_BUCKETS] == [
        0, 0, 0, Decimal("400.00"), Decimal("500.00")]
    assert report["totals"]["EUR"]["total"] == Decimal("1460.00")
    assert selectors.overdue(on=on).count() == 4
    assert selectors.account_outstanding(north) == Decimal("560.00")
    settled.refresh_from_db()
    assert paid_part.is_overdue(on) and not settled.is_overdue(on)


@pytest.mark.django_db
def test_issue_many_numbers_each_invoice_and_writes_audit(as_admin):
    from vinculo.core.models import AuditEntry

    account = AccountFactory(actor=as_admin)
    issued = services.invoice_issue_many(actor=as_admin, invoices=[
        {"account": account, "lines": [free_line()]} for _ in range(5)])
    assert [inv.number for inv in issued] == [f"F-{TODAY.year}-{n:06d}" for n in range(1, 6)]
    assert AuditEntry.objects.filter(object_type="billing.invoice").count() == 5
    assert all(inv.status == "issued" and inv.total_amount == Decimal("121.00")
               for inv in issued)
