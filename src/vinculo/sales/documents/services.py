"""Business rules of the documents of a sale: quotes, orders and deliveries.

Line amounts and document totals come from ``core.money`` (one rule) and are stored; numbers come
from ``core.services.sequence_next`` inside the document's transaction (no gaps):
quotes ``Q-2026-000001``, orders ``SO-2026-000001``, deliveries ``DN-2026-000001``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from vinculo.catalog.models import Product
from vinculo.catalog.selectors import price_for
from vinculo.core import events
from vinculo.core.account_terms import terms_for
from vinculo.core.mailqueue import DocumentEmail
from vinculo.core.models import User
from vinculo.core.money import ZERO, document_totals, line_amounts
from vinculo.core.services import (
    ConflictError,
    org_id,
    organization_of,
    require,
    same_org,
    sequence_next,
    versioned_save,
)
from vinculo.customers.models import Account, Contact
from vinculo.sales.models import (
    Delivery,
    DeliveryLine,
    Opportunity,
    Order,
    OrderLine,
    OrderStatus,
    Quote,
    QuoteLine,
    QuoteStatus,
)

QUOTE_PREFIX, ORDER_PREFIX, DELIVERY_PREFIX = "Q", "SO", "DN"
LINE_FIELDS = ("product", "description", "quantity", "unit_price", "discount_percent",
               "tax_rate")



def _decimal(value: Any, field: str, index: int) -> Decimal:
    try:
        number = Decimal(str(value).strip().replace(",", "."))
    except (InvalidOperation, ValueError):
        raise ValidationError(
            {f"lines.{index}.{field}": _("Enter a number.")}) from None
    if not number.is_finite():
        raise ValidationError({f"lines.{index}.{field}": _("Enter a number.")})
    return number


def price_lines(*, model: type[models.Model], organization_id: int, lines: Iterable[dict],
                account: Account | None, currency: str, on_date: dt.date,
                sign: int = 1) -> tuple[list[Any], Any]:
    """Unsaved line rows of ``model`` with their amounts, and the document totals.

    A line names a catalogue ``product`` (its price comes from ``catalog.price_for`` and its
    tax rate from the product unless given) or is free text (``description`` and
    ``unit_price`` required). ``sign=-1`` stores negative quantities (credit notes). Errors are
    keyed ``lines.<n>.<field>``.
    """
    rows, amounts = [], []
    # The price list of the customer's service package (``core.account_terms``): a segment list.
    segment = terms_for(account).price_segment
    for index, line in enumerate(lines):
        unknown = set(line) - set(LINE_FIELDS) - {"order_line", "credited_line"}
        if unknown:
            raise ValidationError({f"lines.{index}.{name}": _("This field cannot be set.")
                                   for name in sorted(unknown)})
        product = line.get("product")
        if product is not None and not isinstance(product, Product):
            raise ValidationError({f"lines.{index}.product": _("Not found.")})
        if product is not None and product.organization_id != organization_id:
            raise ValidationError({f"lines.{index}.product": _("Not found.")})
        quantity = _decimal(line.get("quantity", 1), "quantity", index)
        if quantity <= 0:
            raise ValidationError({f"lines.{index}.quantity": _("Must be more than zero.")})
        description = (line.get("description") or (product.name if product else "")).strip()
        if not description:
            raise ValidationError({f"lines.{index}.description": _("This field is required.")})
        if line.get("unit_price") not in (None, ""):
            unit_price = _decimal(line["unit_price"], "unit_price", index)
        elif product is not None:
            unit_price = price_for(product=product, account=account, segment=segment,
                                   currency=currency, on_date=on_date).amount
        else:
            raise ValidationError({f"lines.{index}.unit_price": _("This field is required.")})
        if unit_price < 0:
            raise ValidationError({f"lines.{index}.unit_price": _("Must not be negative.")})
        discount = _decimal(line.get("discount_percent") or 0, "discount_percent", index)
        if not ZERO <= discount <= 100:
            raise ValidationError(
                {f"lines.{index}.discount_percent": _("Between 0 and 100.")})
        if line.get("tax_rate") not in (None, ""):
            tax_rate = _decimal(line["tax_rate"], "tax_rate", index)
        else:
            tax_rate = product.tax_rate if product is not None else ZERO
        if not ZERO <= tax_rate <= 100:
            raise ValidationError({f"lines.{index}.tax_rate": _("Between 0 and 100.")})
        quantity = sign * quantity
        figures = line_amounts(quantity, unit_price, discount, tax_rate)
        amounts.append((figures, tax_rate))
        extra = {key: line[key] for key in ("order_line", "credited_line") if line.get(key)}
        rows.append(model(
            organization_id=organization_id, product=product, description=description[:200],
            quantity=quantity, unit_price=unit_price, discount_percent=discount,
            tax_rate=tax_rate, net_amount=figures.net, tax_amount=figures.tax,
            total_amount=figures.total, position=index + 1, **extra))
    return rows, document_totals(amounts)


def _save_lines(document: Any, rows: list[Any], parent_field: str, totals: Any) -> None:
    for row in rows:
        setattr(row, parent_field, document)
    if rows:
        type(rows[0]).objects.bulk_create(rows)
    document.net_amount, document.tax_amount = totals.net, totals.tax
    document.total_amount = totals.total


# ---- quotes ----------------------------------------------------------------------------------


@transaction.atomic
def quote_create(*, actor: User, account: Account, lines: Iterable[dict],
                 contact: Contact | None = None, opportunity: Opportunity | None = None,
                 currency: str | None = None, valid_until: dt.date | None = None,
                 notes: str = "") -> Quote:
    """A draft quote numbered ``Q-<year>-<n>``, version 1, with priced lines and totals."""
    require(actor, "sales.add")
    same_org(org_id(actor), account=account, contact=contact, opportunity=opportunity)
    if opportunity is not None and opportunity.account_id != account.pk:
        raise ValidationError({"account": _("A quote for an opportunity is for the "
                                            "opportunity's account.")})
    lines = list(lines)
    if not lines:
        raise ValidationError({"lines": _("Add at least one line.")})
    currency = (currency or organization_of(actor).base_currency).upper()
    today = timezone.localdate()
    rows, totals = price_lines(model=QuoteLine, organization_id=org_id(actor),
                               lines=lines, account=account, currency=currency, on_date=today)
    quote = Quote(organization_id=org_id(actor), account=account, contact=contact,
                  opportunity=opportunity, currency=currency, valid_until=valid_until,
                  notes=notes,
                  number=sequence_next(organization_id=org_id(actor),
                                       prefix=QUOTE_PREFIX, year=today.year))
    quote.net_amount, quote.tax_amount, quote.total_amount = totals.net, totals.tax, totals.total
    quote.save()
    _save_lines(quote, rows, "quote", totals)
    return quote


@transaction.atomic
def quote_update(*, actor: User, quote: Quote, lines: Iterable[dict] | None = None,
                 data: dict[str, Any] | None = None,
                 expected_version: int | None = None) -> Quote:
    """Change a quote. A draft changes in place; a sent quote gets a new version (same number,
    version + 1, a draft) and the sent one is marked superseded. Accepted, rejected and
    superseded quotes cannot change."""
    require(actor, "sales.change")
    quote = Quote.objects.select_for_update().get(pk=quote.pk)
    if expected_version is not None and quote.version != expected_version:
        raise ConflictError(quote.version)
    data = dict(data or {})
    unknown = set(data) - {"contact", "valid_until", "notes", "currency"}
    if unknown:
        raise ValidationError({name: _("This field cannot be set.") for name in sorted(unknown)})
    same_org(org_id(actor), contact=data.get("contact"))
    if quote.status not in (QuoteStatus.DRAFT, QuoteStatus.SENT):
        raise ValidationError(
            _("A quote that is %(status)s cannot be changed.")
            % {"status": quote.get_status_display().lower()})
    current = [{"product": line.product, "description": line.description,
                "quantity": line.quantity, "unit_price": line.unit_price,
                "discount_percent": line.discount_percent, "tax_rate": line.tax_rate}
               for line in quote.lines.all()]
    lines = list(lines) if lines is not None else current
    if not lines:
        raise ValidationError({"lines": _("Add at least one line.")})
    currency = (data.get("currency") or quote.currency).upper()
    rows, totals = price_lines(model=QuoteLine, organization_id=quote.organization_id,
                               lines=lines, account=quote.account, currency=currency,
                               on_date=timezone.localdate())
    if quote.status == QuoteStatus.SENT:
        quote.status = QuoteStatus.SUPERSEDED
        versioned_save(quote, expected_version=None, fields=["status"])
        new = Quote(organization_id=quote.organization_id, number=quote.number,
                    revision=quote.revision + 1, account=quote.account,
                    contact=data.get("contact", quote.contact), opportunity=quote.opportunity,
                    currency=currency, valid_until=data.get("valid_until", quote.valid_until),
                    notes=data.get("notes", quote.notes))
        new.net_amount, new.tax_amount, new.total_amount = totals.net, totals.tax, totals.total
        new.save()
        _save_lines(new, rows, "quote", totals)
        return new
    for key, value in data.items():
        setattr(quote, key, value)
    quote.currency = currency
    quote.lines.all().delete()
    _save_lines(quote, rows, "quote", totals)
    return versioned_save(quote, expected_version=None,
                          fields=[*data, "currency", "net_amount", "tax_amount", "total_amount"])


def quote_email(quote: Quote) -> DocumentEmail:
    """The e-mail a quote is sent with, in the active language (``interactions`` sends it
    when ``quote.sent`` is published: queued, retried, on the customer's timeline)."""
    from vinculo.sales.documents.pdf import quote_pdf

    return DocumentEmail(
        subject=_("Quote %(number)s from %(company)s")
        % {"number": str(quote), "company": quote.organization.name},
        body=_("Please find attached our quote %(number)s.") % {"number": str(quote)},
        filename=f"{quote.number}-v{quote.revision}.pdf", pdf=quote_pdf(quote))


@transaction.atomic
def quote_send(*, actor: User, quote: Quote, to: list[str] | None = None) -> Quote:
    """Mark the quote sent (``sent_at``) and e-mail it with its PDF.

    Recipients default to the quote's contact, then the account's e-mail. The e-mail is
    written by the ``quote.sent`` subscriber of ``interactions`` in this transaction: queued
    and retried when SMTP fails, marked transactional (the customer asked for the quote) and
    on the customer's timeline; a bad address refuses the whole send.
    """
    require(actor, "sales.change")
    quote = Quote.objects.select_for_update(of=("self",)).select_related(
        "contact", "account").get(pk=quote.pk)
    if quote.status not in (QuoteStatus.DRAFT, QuoteStatus.SENT):
        raise ValidationError(_("Only a draft or sent quote can be sent."))
    recipients = [r.strip() for r in (to or []) if r and r.strip()]
    if not recipients:
        email = (quote.contact.email if quote.contact else "") or quote.account.email
        recipients = [email] if email else []
    if not recipients:
        raise ValidationError({"to": _("Give an e-mail address: the quote's contact and "
                                       "account have none.")})
    quote.status = QuoteStatus.SENT
    quote.sent_at = timezone.now()
    versioned_save(quote, expected_version=None, fields=["status", "sent_at"])
    events.publish("quote.sent", record=quote, actor=actor,
                   data={"number": quote.number, "to": recipients})
    return quote


@transaction.atomic
def quote_reject(*, actor: User, quote: Quote) -> Quote:
    require(actor, "sales.change")
    quote = Quote.objects.select_for_update().get(pk=quote.pk)
    if quote.status not in (QuoteStatus.DRAFT, QuoteStatus.SENT):
        raise ValidationError(_("Only a draft or sent quote can be rejected."))
    quote.status = QuoteStatus.REJECTED
    versioned_save(quote, expected_version=None, fields=["status"])
    events.publish("quote.rejected", record=quote, actor=actor, data={"number": quote.number})
    return quote


@transaction.atomic
def quote_accept(*, actor: User, quote: Quote, promised_date: dt.date | None = None,
                 ordered_on: dt.date | None = None) -> Order:
    """The customer accepted: the quote is accepted and an order copies its lines."""
    require(actor, "sales.add")
    quote = Quote.objects.select_for_update().get(pk=quote.pk)
    if quote.status not in (QuoteStatus.DRAFT, QuoteStatus.SENT):
        raise ValidationError(_("Only a draft or sent quote can be accepted."))
    quote.status = QuoteStatus.ACCEPTED
    versioned_save(quote, expected_version=None, fields=["status"])
    lines = [{"product": line.product, "description": line.description,
              "quantity": line.quantity, "unit_price": line.unit_price,
              "discount_percent": line.discount_percent, "tax_rate": line.tax_rate}
             for line in quote.lines.all()]
    order = order_create(actor=actor, account=quote.account, contact=quote.contact,
                         lines=lines, promised_date=promised_date, ordered_on=ordered_on,
                         quote=quote, opportunity=quote.opportunity, currency=quote.currency,
                         notes=quote.notes)
    events.publish("quote.accepted", record=quote, actor=actor, data={
        "number": quote.number, "order": str(order.uuid)})
    return order


# ---- orders ----------------------------------------------------------------------------------


@transaction.atomic
def order_create(*, actor: User, account: Account, lines: Iterable[dict],
                 promised_date: dt.date | None = None, ordered_on: dt.date | None = None,
                 contact: Contact | None = None, quote: Quote | None = None,
                 opportunity: Opportunity | None = None, currency: str | None = None,
                 notes: str = "") -> Order:
    """An order numbered ``SO-<year>-<n>`` with priced lines and a promised delivery date.

    Without a ``promised_date`` the customer's delivery promise (the lead time of their service
    package, ``core.account_terms``) sets it; without one either, it is required.
    """
    require(actor, "sales.add")
    same_org(org_id(actor), account=account, contact=contact, opportunity=opportunity)
    if opportunity is not None and opportunity.account_id != account.pk:
        raise ValidationError({"account": _("A quote for an opportunity is for the "
                                            "opportunity's account.")})
    lines = list(lines)
    if not lines:
        raise ValidationError({"lines": _("Add at least one line.")})
    ordered_on = ordered_on or timezone.localdate()
    if promised_date is None:
        lead_time = terms_for(account).lead_time_days
        if lead_time is None:
            raise ValidationError({"promised_date": _("This field is required.")})
        promised_date = ordered_on + dt.timedelta(days=lead_time)
    if promised_date < ordered_on:
        raise ValidationError({"promised_date": _("The promised date is before the order "
                                                  "date.")})
    currency = (currency or organization_of(actor).base_currency).upper()
    rows, totals = price_lines(model=OrderLine, organization_id=org_id(actor),
                               lines=lines, account=account, currency=currency,
                               on_date=ordered_on)
    order = Order(organization_id=org_id(actor), account=account, contact=contact,
                  quote=quote, opportunity=opportunity, currency=currency,
                  ordered_on=ordered_on, promised_date=promised_date, notes=notes,
                  number=sequence_next(organization_id=org_id(actor),
                                       prefix=ORDER_PREFIX, year=ordered_on.year))
    order.net_amount, order.tax_amount, order.total_amount = totals.net, totals.tax, totals.total
    order.save()
    _save_lines(order, rows, "order", totals)
    # A new order's total "crosses" from nothing: rules on "an order of X or more" read it.
    events.publish("order.created", record=order, actor=actor, data={
        "number": order.number, "promised_date": order.promised_date.isoformat(),
        "total": str(order.total_amount), "changes": {"total": [None, str(order.total_amount)]}})
    return order


@transaction.atomic
def order_cancel(*, actor: User, order: Order) -> Order:
    require(actor, "sales.change")
    order = Order.objects.select_for_update().get(pk=order.pk)
    if order.status != OrderStatus.OPEN:
        raise ValidationError(_("Only an order with nothing delivered can be cancelled."))
    order.status = OrderStatus.CANCELLED
    versioned_save(order, expected_version=None, fields=["status"])
    events.publish("order.cancelled", record=order, actor=actor, data={"number": order.number})
    return order


# ---- deliveries ------------------------------------------------------------------------------


def _refuse_partial(order: Order, order_lines: dict[int, OrderLine],
                    wanted: dict[int, Decimal]) -> None:
    """A customer whose delivery promise excludes partial deliveries (``core.account_terms``)
    gets the order complete, in one delivery."""
    if terms_for(order.account).partial_deliveries is not False:
        return
    for pk, line in order_lines.items():
        if wanted.get(pk, ZERO) != line.quantity - line.delivered_quantity:
            raise ValidationError({"lines": _(
                "This customer's service package does not allow partial deliveries: deliver "
                "every line complete.")})


@transaction.atomic
def delivery_create(*, actor: User, order: Order, lines: Iterable[tuple[OrderLine, Any]],
                    delivered_on: dt.date | None = None, notes: str = "",
                    is_replacement: bool = False) -> Delivery:
    """Deliver quantities of an order's lines (partial or complete), numbered ``DN-<year>-<n>``.

    A delivery cannot exceed what remains of a line. The order's lines' delivered quantities,
    its status and the date it was fully delivered are kept by this service. A replacement
    delivery (for a return, see ``billing.returns.return_close``) re-ships goods already
    counted as delivered: it does not change the order's figures, and its limits are checked by
    the return.
    """
    require(actor, "sales.change")
    order = Order.objects.select_for_update().get(pk=order.pk)
    if order.status == OrderStatus.CANCELLED:
        raise ValidationError(_("The order is cancelled."))
    delivered_on = delivered_on or timezone.localdate()
    order_lines = {line.pk: line for line in order.lines.all()}
    wanted: dict[int, Decimal] = {}
    for index, (order_line, raw) in enumerate(lines):
        if order_line.pk not in order_lines:
            raise ValidationError({f"lines.{index}.order_line": _("Not a line of this order.")})
        quantity = _decimal(raw, "quantity", index)
        if quantity < 0:
            raise ValidationError({f"lines.{index}.quantity": _("Must not be negative.")})
        if quantity == 0:
            continue
        wanted[order_line.pk] = wanted.get(order_line.pk, ZERO) + quantity
    if not wanted:
        raise ValidationError({"lines": _("Deliver at least one quantity.")})
    if not is_replacement:
        if order.status == OrderStatus.DELIVERED:
            raise ValidationError(_("The order is already fully delivered."))
        _refuse_partial(order, order_lines, wanted)
        for position, (pk, quantity) in enumerate(wanted.items()):
            line = order_lines[pk]
            remaining = line.quantity - line.delivered_quantity
            if quantity > remaining:
                raise ValidationError({f"lines.{position}.quantity": _(
                    "%(line)s: %(quantity)s is more than the %(remaining)s that remain.")
                    % {"line": line.description, "quantity": quantity.normalize(),
                       "remaining": remaining.normalize()}})
    delivery = Delivery.objects.create(
        organization_id=order.organization_id, order=order, delivered_on=delivered_on,
        notes=notes, is_replacement=is_replacement,
        number=sequence_next(organization_id=order.organization_id, prefix=DELIVERY_PREFIX,
                             year=delivered_on.year))
    DeliveryLine.objects.bulk_create([
        DeliveryLine(organization_id=order.organization_id, delivery=delivery,
                     order_line_id=pk, quantity=quantity) for pk, quantity in wanted.items()])
    if is_replacement:
        return delivery
    for pk, quantity in wanted.items():
        line = order_lines[pk]
        line.delivered_quantity += quantity
        OrderLine.objects.filter(pk=pk).update(delivered_quantity=line.delivered_quantity)
    complete = all(line.delivered_quantity >= line.quantity for line in order_lines.values())
    order.status = OrderStatus.DELIVERED if complete else OrderStatus.PARTIALLY_DELIVERED
    order.delivered_on = delivered_on if complete else None
    versioned_save(order, expected_version=None, fields=["status", "delivered_on"])
    events.publish("order.shipped", record=order, actor=actor, data={
        "number": order.number, "delivery": delivery.number,
        "promised_date": order.promised_date.isoformat(),
        "delivered_on": delivered_on.isoformat(),
        "days_late": max(0, (delivered_on - order.promised_date).days),
        "short": not complete})
    if complete:
        _announce_delivered(order, actor, delivered_on)
    return delivery


def _announce_delivered(order: Order, actor: User, delivered_on: dt.date) -> None:
    data = {"number": order.number, "promised_date": order.promised_date.isoformat(),
            "delivered_on": delivered_on.isoformat()}
    events.publish("order.delivered", record=order, actor=actor, data=data)
    late = (delivered_on - order.promised_date).days
    if late > 0:
        events.publish("order.delivered_late", record=order, actor=actor,
                       data={**data, "days_late": late})
