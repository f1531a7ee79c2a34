"""Business rules of billing: invoices, credit notes and payments (returns: ``returns.py``).

- A draft invoice has no number. ``invoice_issue`` takes the next number of its series
  (``F-<year>-<n>`` for invoices, ``R-<year>-<n>`` for credit notes) inside the issuing
  transaction, so numbers have no gaps and no duplicates even when issued concurrently.
- An issued invoice is never edited; it is corrected by a credit note (negative amounts, at most
  what remains uncredited of the invoice).
- Payments are append-only rows; the balance is derived: total − credited − paid. Overpayment is
  refused; the invoice is paid when the balance reaches zero.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from vinculo.billing.models import (
    SERIES,
    Invoice,
    InvoiceKind,
    InvoiceLine,
    InvoiceStatus,
    Payment,
)
from vinculo.core import events
from vinculo.core.account_terms import terms_for
from vinculo.core.models import User
from vinculo.core.money import ZERO
from vinculo.core.services import (
    org_id,
    organization_of,
    require,
    sequence_next,
    versioned_save,
)
from vinculo.customers.models import Account, Contact
from vinculo.sales.documents.services import price_lines
from vinculo.sales.models import Order, OrderStatus

DRAFT_FIELDS = ("contact", "currency", "payment_terms_days", "notes")


class ImmutableInvoiceError(ValidationError):
    """An issued invoice cannot change; correct it with a credit note."""

    def __init__(self) -> None:
        super().__init__(_("An issued invoice cannot be changed; correct it with a credit "
                           "note."))


# ---- balances --------------------------------------------------------------------------------


#: Payment terms of an invoice whose customer's package promises none.
DEFAULT_TERMS = 30

def invoice_balance(invoice: Invoice) -> dict[str, Decimal]:
    """``total``, ``credited`` (issued credit notes, positive), ``paid`` and ``outstanding``."""
    credited = -(Invoice.all_objects.filter(
        credited_invoice=invoice, kind=InvoiceKind.CREDIT_NOTE).exclude(
        status=InvoiceStatus.DRAFT).aggregate(s=Sum("total_amount"))["s"] or ZERO)
    paid = Payment.all_objects.filter(invoice=invoice).aggregate(s=Sum("amount"))["s"] or ZERO
    return {"total": invoice.total_amount, "credited": credited, "paid": paid,
            "outstanding": invoice.total_amount - credited - paid}


def left_to_credit(invoice: Invoice) -> Decimal:
    """What credit notes may still take off ``invoice``: its total less what is credited."""
    return invoice.total_amount - invoice_balance(invoice)["credited"]


def _settle_status(invoice: Invoice) -> None:
    """Paid (or fully credited) when the balance reaches zero; issued again otherwise."""
    balance = invoice_balance(invoice)
    status, paid_on = InvoiceStatus.ISSUED, None
    if balance["outstanding"] <= 0:
        status = InvoiceStatus.PAID if balance["paid"] > 0 else InvoiceStatus.CREDITED
        last = Payment.all_objects.filter(invoice=invoice).order_by("-id").first()
        paid_on = last.paid_on if last else None
    if (invoice.status, invoice.paid_on) != (status, paid_on):
        invoice.status, invoice.paid_on = status, paid_on
        versioned_save(invoice, expected_version=None, fields=["status", "paid_on"])
        if status == InvoiceStatus.PAID:
            events.publish("invoice.paid", record=invoice, data=_document_data(invoice))


def _document_data(invoice: Invoice) -> dict[str, str]:
    return {"number": invoice.number, "total": str(invoice.total_amount),
            "currency": invoice.currency}


# ---- drafts ----------------------------------------------------------------------------------


def _draft(*, actor: User, account: Account, lines: list[dict], kind: InvoiceKind,
           contact: Contact | None = None, order: Order | None = None,
           credited_invoice: Invoice | None = None, currency: str | None = None,
           payment_terms_days: int | None = None, notes: str = "") -> Invoice:
    for key, value in (("account", account), ("contact", contact), ("order", order)):
        if value is not None and value.organization_id != org_id(actor):
            raise ValidationError({key: _("Not found.")})
    if not lines:
        raise ValidationError({"lines": _("Add at least one line.")})
    if payment_terms_days in (None, ""):
        # The payment terms of the customer's service package (``core.account_terms``).
        payment_terms_days = terms_for(account).payment_terms_days
        payment_terms_days = DEFAULT_TERMS if payment_terms_days is None else payment_terms_days
    if not 0 <= int(payment_terms_days) <= 365:
        raise ValidationError({"payment_terms_days": _("Between 0 and 365 days.")})
    currency = (currency or organization_of(actor).base_currency).upper()
    sign = -1 if kind == InvoiceKind.CREDIT_NOTE else 1
    rows, totals = price_lines(model=InvoiceLine, organization_id=org_id(actor),
                               lines=lines, account=account, currency=currency,
                               on_date=timezone.localdate(), sign=sign)
    invoice = Invoice(organization_id=org_id(actor), kind=kind, series=SERIES[kind],
                      account=account, contact=contact, order=order,
                      credited_invoice=credited_invoice, currency=currency,
                      payment_terms_days=payment_terms_days, notes=notes,
                      net_amount=totals.net, tax_amount=totals.tax, total_amount=totals.total)
    invoice.save()
    for row in rows:
        row.invoice = invoice
    InvoiceLine.objects.bulk_create(rows)
    return invoice


@transaction.atomic
def invoice_create(*, actor: User, account: Account, lines: Iterable[dict],
                   contact: Contact | None = None, order: Order | None = None,
                   currency: str | None = None, payment_terms_days: int | None = None,
                   notes: str = "") -> Invoice:
    """A draft invoice (no number yet) with priced lines and stored totals."""
    require(actor, "billing.add")
    return _draft(actor=actor, account=account, lines=list(lines), kind=InvoiceKind.INVOICE,
                  contact=contact, order=order, currency=currency,
                  payment_terms_days=payment_terms_days, notes=notes)


def uninvoiced_quantities(order: Order, *, basis: str = "delivered") -> dict[int, Decimal]:
    """Per order line, what may still be invoiced: ordered (``basis="all"``) or delivered
    quantity, minus what invoices (drafts included, credit notes excluded) already hold."""
    if basis not in ("all", "delivered"):
        raise ValidationError({"basis": _("Choose all or delivered.")})
    invoiced = dict(InvoiceLine.all_objects.filter(
        order_line__order=order, invoice__kind=InvoiceKind.INVOICE)
        .values_list("order_line_id").annotate(q=Sum("quantity")))
    result = {}
    for line in order.lines.all():
        base = line.quantity if basis == "all" else line.delivered_quantity
        result[line.pk] = max(ZERO, base - invoiced.get(line.pk, ZERO))
    return result


@transaction.atomic
def invoice_from_order(*, actor: User, order: Order, basis: str = "delivered",
                       payment_terms_days: int | None = None) -> Invoice:
    """A draft invoice for an order: every ordered quantity (``all``) or what was delivered
    (``delivered``), less what earlier invoices of the order already hold."""
    require(actor, "billing.add")
    order = Order.objects.select_for_update().get(pk=order.pk)
    if order.status == OrderStatus.CANCELLED:
        raise ValidationError(_("The order is cancelled."))
    remaining = uninvoiced_quantities(order, basis=basis)
    lines = [{"product": line.product, "description": line.description, "quantity": quantity,
              "unit_price": line.unit_price, "discount_percent": line.discount_percent,
              "tax_rate": line.tax_rate, "order_line": line}
             for line in order.lines.all() if (quantity := remaining[line.pk]) > 0]
    if not lines:
        raise ValidationError({"basis": _("Nothing of this order is left to invoice.")})
    return _draft(actor=actor, account=order.account, contact=order.contact, order=order,
                  lines=lines, kind=InvoiceKind.INVOICE, currency=order.currency,
                  payment_terms_days=payment_terms_days, notes=order.notes)


def _locked_draft(invoice: Invoice) -> Invoice:
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if invoice.status != InvoiceStatus.DRAFT:
        raise ImmutableInvoiceError()
    return invoice


@transaction.atomic
def invoice_update(*, actor: User, invoice: Invoice, data: dict[str, Any] | None = None,
                   lines: Iterable[dict] | None = None,
                   expected_version: int | None = None) -> Invoice:
    """Change a draft; an issued invoice is refused (``ImmutableInvoiceError``)."""
    require(actor, "billing.change")
    invoice = _locked_draft(invoice)
    data = dict(data or {})
    unknown = set(data) - set(DRAFT_FIELDS)
    if unknown:
        raise ValidationError({name: _("This field cannot be set.") for name in sorted(unknown)})
    contact = data.get("contact")
    if contact is not None and contact.organization_id != org_id(actor):
        raise ValidationError({"contact": _("Not found.")})
    for key, value in data.items():
        setattr(invoice, key, value.upper() if key == "currency" else value)
    fields = list(data)
    if lines is not None:
        lines = list(lines)
        if not lines:
            raise ValidationError({"lines": _("Add at least one line.")})
        sign = -1 if invoice.is_credit_note else 1
        rows, totals = price_lines(model=InvoiceLine, organization_id=invoice.organization_id,
                                   lines=lines, account=invoice.account,
                                   currency=invoice.currency, on_date=timezone.localdate(),
                                   sign=sign)
        invoice.lines.all().delete()
        for row in rows:
            row.invoice = invoice
        InvoiceLine.objects.bulk_create(rows)
        invoice.net_amount, invoice.tax_amount = totals.net, totals.tax
        invoice.total_amount = totals.total
        fields += ["net_amount", "tax_amount", "total_amount"]
    return versioned_save(invoice, expected_version=expected_version, fields=fields)


@transaction.atomic
def invoice_delete(*, actor: User, invoice: Invoice) -> None:
    """Only a draft can be deleted (it has no number, so no gap is left)."""
    require(actor, "billing.delete")
    invoice = _locked_draft(invoice)
    invoice.lines.all().delete()
    invoice.delete()


# ---- issuing ---------------------------------------------------------------------------------


def _issue_locked(invoice: Invoice, *, actor: User, issue_date: dt.date) -> Invoice:
    if not invoice.lines.exists():
        raise ValidationError({"lines": _("An invoice without lines cannot be issued.")})
    if invoice.is_credit_note:
        if invoice.credited_invoice_id is None:
            raise ValidationError(_("A credit note names the invoice it corrects."))
        original = Invoice.objects.select_for_update().get(pk=invoice.credited_invoice_id)
        if original.status == InvoiceStatus.DRAFT:
            raise ValidationError(_("Only an issued invoice can be credited."))
        credited = invoice_balance(original)["credited"]
        if credited - invoice.total_amount > original.total_amount:
            raise ValidationError({"lines": _(
                "The credit notes would exceed the invoice: %(left)s is left to credit.")
                % {"left": original.total_amount - credited}})
    invoice.number = sequence_next(organization_id=invoice.organization_id,
                                   prefix=invoice.series, year=issue_date.year)
    invoice.status = InvoiceStatus.ISSUED
    invoice.issue_date = issue_date
    invoice.due_date = issue_date + dt.timedelta(days=invoice.payment_terms_days)
    invoice.issued_by = actor
    versioned_save(invoice, expected_version=None,
                   fields=["number", "status", "issue_date", "due_date", "issued_by"])
    if invoice.is_credit_note:
        _settle_status(original)
        events.publish("credit_note.issued", record=invoice, actor=actor, data={
            **_document_data(invoice), "invoice": str(original.uuid)})
    else:
        events.publish("invoice.issued", record=invoice, actor=actor,
                       data=_document_data(invoice))
    return invoice


@transaction.atomic
def invoice_issue(*, actor: User, invoice: Invoice, issue_date: dt.date | None = None) -> Invoice:
    """Give a draft its number, issue date and due date; from then on it cannot change."""
    require(actor, "billing.change")
    invoice = _locked_draft(invoice)
    return _issue_locked(invoice, actor=actor, issue_date=issue_date or timezone.localdate())


def _sequence_block(*, organization_id: int, prefix: str, year: int, count: int,
                    width: int = 6) -> list[str]:
    """``count`` consecutive numbers of a series, taken under the series' row lock inside the
    caller's transaction (a rollback gives them all back): ``sequence_next`` for a batch."""
    from vinculo.core.models import DocumentSequence

    first = sequence_next(organization_id=organization_id, prefix=prefix, year=year,
                          width=width)
    start = int(first.rsplit("-", 1)[1])
    if count > 1:
        DocumentSequence.objects.filter(organization_id=organization_id,
                                        key=f"{prefix}-{year}").update(
            last_number=F("last_number") + (count - 1))
    return [f"{prefix}-{year}-{n:0{width}d}" for n in range(start, start + count)]


@transaction.atomic
def invoice_issue_many(*, actor: User, invoices: Iterable[dict[str, Any]],
                       issue_date: dt.date | None = None) -> list[Invoice]:
    """Create and issue a batch of invoices in one transaction (imports, the benchmark).

    Each item holds ``invoice_create``'s arguments (``account``, ``lines``, …). Lines and
    totals are priced by the same rule as ``invoice_create``; the batch takes a block of
    consecutive numbers from the series under its lock (no gaps: a failure rolls back the block
    too), and rows are written in bulk: invoices as drafts, their lines, then one UPDATE issues
    them (the immutability triggers allow it since they were drafts). Like the bulk import, the
    audit rows are written in bulk, the same rows the signals would write.
    """
    from vinculo.core.audit import snapshot
    from vinculo.core.models import AuditAction, AuditEntry

    require(actor, "billing.add")
    require(actor, "billing.change")
    issue_date = issue_date or timezone.localdate()
    specs = list(invoices)
    if not specs:
        return []
    organization_id = org_id(actor)
    drafts, line_rows = [], []
    for index, spec in enumerate(specs):
        unknown = set(spec) - {"account", "lines", "contact", "currency", "payment_terms_days",
                               "notes"}
        if unknown:
            raise ValidationError({f"{index}.{name}": _("This field cannot be set.")
                                   for name in sorted(unknown)})
        account = spec["account"]
        if account.organization_id != organization_id:
            raise ValidationError({f"{index}.account": _("Not found.")})
        if not spec.get("lines"):
            raise ValidationError({f"{index}.lines": _("Add at least one line.")})
        currency = (spec.get("currency") or organization_of(actor).base_currency).upper()
        rows, totals = price_lines(model=InvoiceLine, organization_id=organization_id,
                                   lines=spec["lines"], account=account, currency=currency,
                                   on_date=issue_date)
        terms = int(spec.get("payment_terms_days", 30))
        if not 0 <= terms <= 365:
            raise ValidationError({f"{index}.payment_terms_days": _("Between 0 and 365 days.")})
        drafts.append(Invoice(
            organization_id=organization_id, kind=InvoiceKind.INVOICE,
            series=SERIES[InvoiceKind.INVOICE], account=account, contact=spec.get("contact"),
            currency=currency, payment_terms_days=terms, notes=spec.get("notes", ""),
            net_amount=totals.net, tax_amount=totals.tax, total_amount=totals.total,
            issue_date=issue_date, due_date=issue_date + dt.timedelta(days=terms),
            issued_by=actor))
        line_rows.append(rows)
    numbers = _sequence_block(organization_id=organization_id, prefix=SERIES[InvoiceKind.INVOICE],
                              year=issue_date.year, count=len(drafts))
    for invoice, number in zip(drafts, numbers, strict=True):
        invoice.number = number
    Invoice.objects.bulk_create(drafts)
    if any(invoice.pk is None for invoice in drafts):  # backends without RETURNING
        by_number = dict(Invoice.objects.filter(number__in=numbers).values_list("number", "pk"))
        for invoice in drafts:
            invoice.pk = by_number[invoice.number]
    for invoice, rows in zip(drafts, line_rows, strict=True):
        for row in rows:
            row.invoice = invoice
    InvoiceLine.objects.bulk_create([row for rows in line_rows for row in rows])
    Invoice.objects.filter(pk__in=[invoice.pk for invoice in drafts]).update(
        status=InvoiceStatus.ISSUED)
    entries = []
    for invoice in drafts:
        invoice.status = InvoiceStatus.ISSUED
        changes = {k: [None, v] for k, v in snapshot(invoice).items()
                   if v not in (None, "", [], {})}
        entries.append(AuditEntry(
            organization_id=organization_id, actor_id=actor.pk, actor_label=str(actor),
            action=AuditAction.CREATE, object_type=invoice._meta.label_lower,
            object_id=invoice.pk, object_uuid=invoice.uuid, object_repr=str(invoice)[:200],
            changes=changes))
    AuditEntry.all_objects.bulk_create(entries)
    for invoice in drafts:
        events.publish("invoice.issued", record=invoice, actor=actor,
                       data=_document_data(invoice))
    return drafts


# ---- credit notes ----------------------------------------------------------------------------


@transaction.atomic
def credit_note_create(*, actor: User, invoice: Invoice,
                       lines: Iterable[tuple[InvoiceLine, Any]] | None = None,
                       reason: str = "", issue: bool = True) -> Invoice:
    """A credit note for an issued invoice: for given (invoice line, quantity) pairs, or for
    all of it. Its amounts are negative; issuing checks the total credited never exceeds the
    invoice total. Issued at once unless ``issue=False``."""
    require(actor, "billing.add")
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if invoice.is_credit_note or invoice.status == InvoiceStatus.DRAFT:
        raise ValidationError(_("Only an issued invoice can be credited."))
    own = {line.pk: line for line in invoice.lines.all()}
    pairs = list(lines) if lines is not None else [(line, line.quantity) for line in own.values()]
    specs = []
    for index, (line, quantity) in enumerate(pairs):
        if line.pk not in own:
            raise ValidationError({f"lines.{index}.line": _("Not a line of this invoice.")})
        quantity = Decimal(str(quantity))
        if not 0 < quantity <= line.quantity:
            raise ValidationError({f"lines.{index}.quantity": _(
                "Between 0 and the invoiced %(quantity)s.") % {
                    "quantity": line.quantity.normalize()}})
        specs.append({"product": line.product, "description": line.description,
                      "quantity": quantity, "unit_price": line.unit_price,
                      "discount_percent": line.discount_percent, "tax_rate": line.tax_rate,
                      "credited_line": line, "order_line": line.order_line})
    note = _draft(actor=actor, account=invoice.account, contact=invoice.contact,
                  order=invoice.order, credited_invoice=invoice, lines=specs,
                  kind=InvoiceKind.CREDIT_NOTE, currency=invoice.currency,
                  payment_terms_days=0, notes=reason or _("Credit for %(number)s")
                  % {"number": invoice.number})
    if issue:
        note = _issue_locked(note, actor=actor, issue_date=timezone.localdate())
    return note


@transaction.atomic
def credit_note_for_amount(*, actor: User, invoice: Invoice, amount: Decimal,
                           reason: str) -> Invoice:
    """An issued credit note of ``amount`` (tax included, one untaxed line saying why) on an
    issued invoice: a goodwill credit such as a loyalty reward, not a return of its lines.
    Refused, naming ``amount``, when more than what is left to credit."""
    require(actor, "billing.add")
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if invoice.is_credit_note or invoice.status == InvoiceStatus.DRAFT:
        raise ValidationError({"invoice": _("Only an issued invoice can be credited.")})
    amount = Decimal(amount)
    left = left_to_credit(invoice)
    if not ZERO < amount <= left:
        raise ValidationError({"amount": _(
            "The credit notes would exceed the invoice: %(left)s is left to credit.")
            % {"left": left}})
    description = (reason or "").strip()[:200]
    if not description:
        raise ValidationError({"reason": _("This field is required.")})
    note = _draft(actor=actor, account=invoice.account, contact=invoice.contact,
                  credited_invoice=invoice, kind=InvoiceKind.CREDIT_NOTE,
                  currency=invoice.currency, payment_terms_days=0, notes=description,
                  lines=[{"description": description, "quantity": 1, "unit_price": amount,
                          "tax_rate": 0}])
    return _issue_locked(note, actor=actor, issue_date=timezone.localdate())


# ---- payments --------------------------------------------------------------------------------


@transaction.atomic
def payment_record(*, actor: User, invoice: Invoice, amount: Any,
                   paid_on: dt.date | None = None, method: str = "transfer",
                   reference: str = "") -> Payment:
    """Add a payment (partial or full); more than the outstanding balance is refused. The
    invoice becomes paid when the balance reaches zero."""
    require(actor, "billing.change")
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if invoice.is_credit_note:
        raise ValidationError(_("A credit note does not take payments."))
    if invoice.status != InvoiceStatus.ISSUED:
        raise ValidationError(_("Only an issued, unpaid invoice takes payments."))
    try:
        amount = Decimal(str(amount))
    except ArithmeticError:
        raise ValidationError({"amount": _("Enter a number.")}) from None
    if not amount.is_finite() or amount <= 0 or amount != amount.quantize(Decimal("0.01")):
        raise ValidationError({"amount": _("Enter an amount above zero, in cents.")})
    outstanding = invoice_balance(invoice)["outstanding"]
    if amount > outstanding:
        raise ValidationError({"amount": _(
            "%(amount)s is more than the outstanding %(outstanding)s.")
            % {"amount": amount, "outstanding": outstanding}})
    payment = Payment(organization_id=invoice.organization_id, invoice=invoice, amount=amount,
                      paid_on=paid_on or timezone.localdate(), method=method,
                      reference=reference, recorded_by=actor)
    payment.full_clean(exclude=["organization", "invoice"], validate_constraints=False)
    payment.save()
    events.publish("payment.recorded", record=payment, actor=actor, data={
        "amount": str(payment.amount), "invoice": str(invoice.uuid)})
    _settle_status(invoice)
    return payment
