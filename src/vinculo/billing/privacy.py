"""What billing holds about a contact (``core/privacy.py``): the invoices and credit notes
whose contact they are.

Kept after an erasure: an issued invoice is never edited (the law keeps it as issued, and
the database triggers of ``billing/migrations/0002`` refuse any change to its legal content,
notes included), so issued invoices and credit notes stay whole, with their amounts, linked to
the now anonymous contact. Drafts are not documents yet: their notes go, and mentions of the
person in drafts' lines, returns' reasons and payments' references go."""

from __future__ import annotations

from typing import Any

from vinculo.billing.models import (
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    Payment,
    ReturnAuthorization,
)
from vinculo.core.privacy import Subject, document, rows, scrub


def _invoices(subject: Subject) -> Any:
    return Invoice.all_objects.filter(organization_id=subject.organization_id)


def export_invoices(subject: Subject, *, notes: bool = True) -> list[dict[str, Any]]:
    theirs = _invoices(subject).filter(contact_id=subject.contact.pk)
    return [{**document(i, notes=notes), "kind": i.get_kind_display()}
            for i in theirs.order_by("issue_date", "id")]


def export_invoices_for_customer(subject: Subject) -> list[dict[str, Any]]:
    """The person's own download: staff's notes on an invoice are not printed on it."""
    return export_invoices(subject, notes=False)


def export_returns(subject: Subject) -> list[dict[str, Any]]:
    """Returns of the orders whose contact they are."""
    return rows(ReturnAuthorization.all_objects.filter(
        organization_id=subject.organization_id, order__contact_id=subject.contact.pk)
        .order_by("requested_on", "id"), "number", "status", "requested_on", "reason")


def erase_invoices(subject: Subject) -> None:
    drafts = _invoices(subject).filter(status=InvoiceStatus.DRAFT)
    theirs = drafts.filter(contact_id=subject.contact.pk)
    subject.mark(Invoice, theirs.values_list("pk", flat=True), fields=("notes",))
    theirs.update(notes="")
    scrub(drafts, ("notes",), subject)
    scrub(InvoiceLine.all_objects.filter(invoice__in=drafts), ("description",), subject)
    org = subject.organization_id
    scrub(ReturnAuthorization.all_objects.filter(organization_id=org), ("reason",), subject)
    scrub(Payment.all_objects.filter(organization_id=org), ("reference",), subject)
