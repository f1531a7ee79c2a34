"""What sales holds about a contact (``core/privacy.py``): the opportunities, quotes and orders
whose contact they are. After an erasure the documents stay with their amounts (they are the
company's commercial record, linked to the now anonymous contact); their notes and any
mention of the person in names, notes and line descriptions go."""

from __future__ import annotations

from typing import Any

from vinculo.core.privacy import Subject, document, rows, scrub, scrub_org
from vinculo.sales.models import (
    Delivery,
    Opportunity,
    OpportunityLine,
    Order,
    OrderLine,
    Quote,
    QuoteLine,
)


def _of(model: Any, subject: Subject) -> Any:
    return model.all_objects.filter(organization_id=subject.organization_id,
                                    contact_id=subject.contact.pk)


def export_opportunities(subject: Subject) -> list[dict[str, Any]]:
    return rows(_of(Opportunity, subject).order_by("created_at", "id"),
                "name", "status", "amount", "currency", "expected_close", "created_at")


def export_opportunities_for_customer(subject: Subject) -> list[dict[str, Any]]:
    """The person's own download: their opportunities without staff's estimate (amount)."""
    return rows(_of(Opportunity, subject).order_by("created_at", "id"),
                "name", "status", "expected_close", "created_at")


def erase_opportunities(subject: Subject) -> None:
    scrub_org(subject, Opportunity, "name", "lost_reason")
    scrub_org(subject, OpportunityLine, "description")


def export_quotes(subject: Subject, *, notes: bool = True) -> list[dict[str, Any]]:
    return [document(q, notes=notes) for q in _of(Quote, subject).order_by("created_at", "id")]


def export_orders(subject: Subject, *, notes: bool = True) -> list[dict[str, Any]]:
    return [document(o, notes=notes) for o in _of(Order, subject).order_by("ordered_on", "id")]


def export_quotes_for_customer(subject: Subject) -> list[dict[str, Any]]:
    return export_quotes(subject, notes=False)


def export_orders_for_customer(subject: Subject) -> list[dict[str, Any]]:
    return export_orders(subject, notes=False)


def erase_documents(subject: Subject) -> None:
    """Their quotes' and orders' notes go; amounts, lines and numbers stay."""
    for model in (Quote, Order):
        theirs = _of(model, subject)
        subject.mark(model, theirs.values_list("pk", flat=True), fields=("notes",))
        theirs.update(notes="")
        scrub_org(subject, model, "notes")
    scrub_org(subject, Delivery, "notes")
    for line in (QuoteLine, OrderLine):
        scrub(line.all_objects.filter(organization_id=subject.organization_id),
              ("description",), subject)
