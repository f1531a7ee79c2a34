"""Returns (RMA): a return is requested for delivered goods, authorised or rejected, received,
and closed with a credit note for the returned lines or with a replacement delivery. The
credit note is billing's (``services.credit_note_create``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from vinculo.billing.models import (
    Invoice,
    InvoiceKind,
    InvoiceLine,
    InvoiceStatus,
    ReturnAuthorization,
    ReturnLine,
    ReturnResolution,
    ReturnStatus,
)
from vinculo.billing.services import credit_note_create
from vinculo.core import events
from vinculo.core.models import User
from vinculo.core.money import ZERO
from vinculo.core.services import org_id, require, sequence_next, versioned_save
from vinculo.sales.documents import services as documents
from vinculo.sales.models import Order, OrderLine

RMA_PREFIX = "RMA"


def returned_quantities(order: Order) -> dict[int, Decimal]:
    """Per order line, the quantity in returns that were not rejected."""
    return dict(ReturnLine.all_objects.filter(rma__order=order).exclude(
        rma__status=ReturnStatus.REJECTED).values_list("order_line_id").annotate(
        q=Sum("quantity")))


@transaction.atomic
def return_request(*, actor: User, order: Order, reason: str,
                   lines: Iterable[tuple[OrderLine, Any]],
                   requested_on: dt.date | None = None) -> ReturnAuthorization:
    """Open a return (``RMA-<year>-<n>``) for delivered goods: per line at most what was
    delivered less what other returns already hold."""
    require(actor, "sales.change")
    order = Order.objects.select_for_update().get(pk=order.pk)
    if order.organization_id != org_id(actor):
        raise ValidationError({"order": _("Not found.")})
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Say why the goods come back.")})
    own = {line.pk: line for line in order.lines.all()}
    returned = returned_quantities(order)
    wanted: list[tuple[OrderLine, Decimal]] = []
    for index, (line, raw) in enumerate(lines):
        if line.pk not in own:
            raise ValidationError({f"lines.{index}.order_line": _("Not a line of this order.")})
        quantity = Decimal(str(raw))
        if quantity == 0:
            continue
        left = own[line.pk].delivered_quantity - returned.get(line.pk, ZERO)
        if not 0 < quantity <= left:
            raise ValidationError({f"lines.{index}.quantity": _(
                "%(line)s: between 0 and the %(left)s delivered and not yet returned.")
                % {"line": line.description, "left": left.normalize()}})
        wanted.append((own[line.pk], quantity))
    if not wanted:
        raise ValidationError({"lines": _("Return at least one quantity.")})
    requested_on = requested_on or timezone.localdate()
    rma = ReturnAuthorization.objects.create(
        organization_id=order.organization_id, account=order.account, order=order,
        reason=reason.strip(), requested_on=requested_on,
        number=sequence_next(organization_id=order.organization_id, prefix=RMA_PREFIX,
                             year=requested_on.year))
    ReturnLine.objects.bulk_create([
        ReturnLine(organization_id=order.organization_id, rma=rma, order_line=line,
                   quantity=quantity) for line, quantity in wanted])
    events.publish("return.requested", record=rma, actor=actor, data={"number": rma.number})
    return rma


TRANSITIONS = {
    "authorise": ({ReturnStatus.REQUESTED}, ReturnStatus.AUTHORISED),
    "reject": ({ReturnStatus.REQUESTED, ReturnStatus.AUTHORISED}, ReturnStatus.REJECTED),
    "receive": ({ReturnStatus.AUTHORISED}, ReturnStatus.RECEIVED),
}


def _move(actor: User, rma: ReturnAuthorization, step: str) -> ReturnAuthorization:
    require(actor, "sales.change")
    rma = ReturnAuthorization.objects.select_for_update().get(pk=rma.pk)
    allowed, target = TRANSITIONS[step]
    if rma.status not in allowed:
        raise ValidationError(_("A return that is %(status)s cannot go there.")
                              % {"status": rma.get_status_display().lower()})
    rma.status = target
    fields = ["status"]
    if target == ReturnStatus.RECEIVED:
        rma.received_on = timezone.localdate()
        fields.append("received_on")
    return versioned_save(rma, expected_version=None, fields=fields)


@transaction.atomic
def return_authorise(*, actor: User, rma: ReturnAuthorization) -> ReturnAuthorization:
    return _move(actor, rma, "authorise")


@transaction.atomic
def return_reject(*, actor: User, rma: ReturnAuthorization) -> ReturnAuthorization:
    return _move(actor, rma, "reject")


@transaction.atomic
def return_receive(*, actor: User, rma: ReturnAuthorization) -> ReturnAuthorization:
    rma = _move(actor, rma, "receive")
    events.publish("return.received", record=rma, actor=actor, data={"number": rma.number})
    return rma


@transaction.atomic
def return_close(*, actor: User, rma: ReturnAuthorization, resolution: str) -> ReturnAuthorization:
    """Close a received return with a credit note for the returned lines' amounts (on the
    order's issued invoices) or with a replacement delivery of the same quantities."""
    require(actor, "sales.change")
    rma = ReturnAuthorization.objects.select_for_update().get(pk=rma.pk)
    if rma.status != ReturnStatus.RECEIVED:
        raise ValidationError(_("Only a received return can be closed."))
    lines = list(rma.lines.select_related("order_line"))
    if resolution == ReturnResolution.CREDIT_NOTE:
        require(actor, "billing.add")
        rma.credit_note = _credit_returned(actor, rma, lines)
    elif resolution == ReturnResolution.REPLACEMENT:
        rma.replacement_delivery = documents.delivery_create(
            actor=actor, order=rma.order, is_replacement=True,
            lines=[(line.order_line, line.quantity) for line in lines],
            notes=_("Replacement for %(number)s") % {"number": rma.number})
    else:
        raise ValidationError({"resolution": _("Choose a credit note or a replacement.")})
    rma.status, rma.resolution = ReturnStatus.CLOSED, resolution
    rma.closed_on = timezone.localdate()
    return versioned_save(rma, expected_version=None, fields=[
        "status", "resolution", "closed_on", "credit_note", "replacement_delivery"])


def _credit_returned(actor: User, rma: ReturnAuthorization,
                     lines: list[ReturnLine]) -> Invoice:
    invoice_lines = list(InvoiceLine.objects.filter(
        order_line__in=[line.order_line_id for line in lines],
        invoice__kind=InvoiceKind.INVOICE).exclude(invoice__status=InvoiceStatus.DRAFT)
        .select_related("invoice").order_by("-invoice__issue_date", "-id"))
    by_invoice: dict[int, list[tuple[InvoiceLine, Decimal]]] = {}
    for line in lines:
        match = next((il for il in invoice_lines if il.order_line_id == line.order_line_id
                      and il.quantity >= line.quantity), None)
        if match is None:
            raise ValidationError({"resolution": _(
                "%(line)s has no issued invoice to credit; close with a replacement.")
                % {"line": line.order_line.description}})
        by_invoice.setdefault(match.invoice_id, []).append((match, line.quantity))
    if len(by_invoice) > 1:
        raise ValidationError({"resolution": _(
            "The returned lines were invoiced on several invoices; credit them one by one.")})
    (_invoice_id, pairs), = by_invoice.items()
    invoice = pairs[0][0].invoice
    return credit_note_create(actor=actor, invoice=invoice, lines=pairs,
                              reason=_("Return %(number)s") % {"number": rma.number})
