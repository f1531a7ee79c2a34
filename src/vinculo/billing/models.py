"""Invoices and credit notes, their lines, payments and returns (RMA).

Amounts are computed by ``core.money`` in the services and stored. An issued invoice is never
edited: the services refuse, and database triggers (migration 0002) refuse too.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from vinculo.core.limits import TEXT_MAX_LENGTH
from vinculo.core.models import TenantModel
from vinculo.sales.models import (
    MONEY,
    QUANTITY,
    Delivery,
    DocumentLine,
    Order,
    OrderLine,
    PricedDocument,
)


class InvoiceKind(models.TextChoices):
    INVOICE = "invoice", _("Invoice")
    CREDIT_NOTE = "credit_note", _("Credit note")


class InvoiceStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ISSUED = "issued", _("Issued")
    PAID = "paid", _("Paid")
    CREDITED = "credited", _("Fully credited")


# Numbering series per kind: F-2026-000001 for invoices, R-2026-000001 for credit notes.
SERIES = {InvoiceKind.INVOICE: "F", InvoiceKind.CREDIT_NOTE: "R"}


class Invoice(PricedDocument):
    """An invoice or a credit note (negative amounts, ``credited_invoice`` set).

    A draft has no number; issuing takes the next number of its series. Overdue is derived from
    the due date and the balance (``is_overdue``, ``selectors.overdue``), never stored.
    """

    kind = models.CharField(_("kind"), max_length=12, choices=InvoiceKind.choices,
                            default=InvoiceKind.INVOICE)
    series = models.CharField(_("series"), max_length=5, editable=False)
    status = models.CharField(_("status"), max_length=10, choices=InvoiceStatus.choices,
                              default=InvoiceStatus.DRAFT, editable=False)
    order = models.ForeignKey(Order, verbose_name=_("order"), on_delete=models.PROTECT,
                              null=True, blank=True, related_name="+")
    credited_invoice = models.ForeignKey(
        "self", verbose_name=_("credited invoice"), on_delete=models.PROTECT, null=True,
        blank=True, related_name="credit_notes")
    issue_date = models.DateField(_("issue date"), null=True, blank=True, editable=False)
    payment_terms_days = models.PositiveSmallIntegerField(_("payment terms (days)"), default=30)
    due_date = models.DateField(_("due date"), null=True, blank=True, editable=False)
    paid_on = models.DateField(_("paid on"), null=True, blank=True, editable=False)
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                                  blank=True, related_name="+", editable=False)
    # When it was last e-mailed to the customer (``services_email.invoice_send``).
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        constraints = [
            models.UniqueConstraint(fields=["organization", "number"],
                                    condition=~Q(number=""), name="invoice_unique_number"),
            models.CheckConstraint(condition=Q(status="draft") | ~Q(number=""),
                                   name="invoice_issued_has_number"),
            models.CheckConstraint(
                condition=Q(kind="invoice", credited_invoice__isnull=True, total_amount__gte=0)
                | Q(kind="credit_note", credited_invoice__isnull=False, total_amount__lte=0),
                name="invoice_kind_sign"),
        ]
        indexes = [
            models.Index(fields=["organization", "account", "status"], name="invoice_account"),
            models.Index(fields=["organization", "status", "due_date"], name="invoice_due"),
            # revenue of a period (the home page's key figures)
            models.Index(fields=["organization", "issue_date"], name="invoice_issue_date"),
        ]

    def __str__(self) -> str:
        return self.number or str(_("Draft %(kind)s") % {"kind": self.get_kind_display()})

    @property
    def is_draft(self) -> bool:
        return self.status == InvoiceStatus.DRAFT

    @property
    def is_credit_note(self) -> bool:
        return self.kind == InvoiceKind.CREDIT_NOTE

    def is_overdue(self, on: dt.date | None = None) -> bool:
        """Issued, not settled and past its due date (``on`` defaults to today)."""
        on = on or timezone.localdate()
        return (self.kind == InvoiceKind.INVOICE and self.status == InvoiceStatus.ISSUED
                and self.due_date is not None and self.due_date < on)


class InvoiceLine(DocumentLine):
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey(OrderLine, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")
    credited_line = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True,
                                      related_name="+")

    class Meta(DocumentLine.Meta):
        verbose_name = _("invoice line")
        verbose_name_plural = _("invoice lines")


class PaymentMethod(models.TextChoices):
    TRANSFER = "transfer", _("Bank transfer")
    CARD = "card", _("Card")
    CASH = "cash", _("Cash")
    DIRECT_DEBIT = "direct_debit", _("Direct debit")
    OTHER = "other", _("Other")


class Payment(TenantModel):
    """Money received against an invoice. Append-only: a balance is derived, never stored."""

    invoice = models.ForeignKey(Invoice, verbose_name=_("invoice"), on_delete=models.PROTECT,
                                related_name="payments")
    amount = models.DecimalField(_("amount"), **MONEY)
    paid_on = models.DateField(_("paid on"), default=timezone.localdate)
    method = models.CharField(_("method"), max_length=15, choices=PaymentMethod.choices,
                              default=PaymentMethod.TRANSFER)
    reference = models.CharField(_("reference"), max_length=100, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                    null=True, blank=True, related_name="+", editable=False)

    owner_field = ("invoice__account__owner",)  # the record rule of the invoice's account
    team_field = ("invoice__account__team",)

    class Meta:
        ordering = ["-paid_on", "-id"]
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.invoice} {self.amount}"


class ReturnStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    AUTHORISED = "authorised", _("Authorised")
    RECEIVED = "received", _("Received")
    CLOSED = "closed", _("Closed")
    REJECTED = "rejected", _("Rejected")


class ReturnResolution(models.TextChoices):
    CREDIT_NOTE = "credit_note", _("Credit note")
    REPLACEMENT = "replacement", _("Replacement delivery")


class ReturnAuthorization(TenantModel):
    """A return merchandise authorisation (RMA) for delivered goods of an order."""

    number = models.CharField(_("number"), max_length=30, editable=False)
    account = models.ForeignKey("customers.Account", verbose_name=_("account"),
                                on_delete=models.PROTECT, related_name="+")
    order = models.ForeignKey(Order, verbose_name=_("order"), on_delete=models.PROTECT,
                              related_name="+")
    reason = models.TextField(_("reason"), max_length=TEXT_MAX_LENGTH)
    status = models.CharField(_("status"), max_length=10, choices=ReturnStatus.choices,
                              default=ReturnStatus.REQUESTED, editable=False)
    requested_on = models.DateField(_("requested on"), default=timezone.localdate)
    received_on = models.DateField(_("received on"), null=True, blank=True, editable=False)
    closed_on = models.DateField(_("closed on"), null=True, blank=True, editable=False)
    resolution = models.CharField(_("resolution"), max_length=12,
                                  choices=ReturnResolution.choices, blank=True, editable=False)
    credit_note = models.ForeignKey(Invoice, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+", editable=False)
    replacement_delivery = models.ForeignKey(Delivery, on_delete=models.PROTECT, null=True,
                                             blank=True, related_name="+", editable=False)

    owner_field = ("account__owner",)  # the record rule of its account
    team_field = ("account__team",)

    class Meta:
        ordering = ["-requested_on", "-id"]
        verbose_name = _("return")
        verbose_name_plural = _("returns")
        constraints = [
            models.UniqueConstraint(fields=["organization", "number"], name="rma_unique_number"),
        ]

    def __str__(self) -> str:
        return self.number


class ReturnLine(TenantModel):
    rma = models.ForeignKey(ReturnAuthorization, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey(OrderLine, on_delete=models.PROTECT, related_name="+")
    quantity = models.DecimalField(_("quantity"), **QUANTITY)

    audited = False

    class Meta:
        ordering = ["id"]
        verbose_name = _("return line")
        verbose_name_plural = _("return lines")
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="return_line_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.rma}: {self.quantity}"


ZERO = Decimal("0.00")
