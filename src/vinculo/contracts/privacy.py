"""What contracts holds about a contact (``core/privacy.py``): contracts belong to accounts,
so only those whose name or notes mention the person. At an erasure the mentions go; the
contracts, their dates and amounts stay."""

from __future__ import annotations

from typing import Any

from vinculo.contracts.models import Contract
from vinculo.core.privacy import Subject, mentioning, rows, scrub_org

TEXT = ("name", "notes", "cancel_note")


def export_contracts(subject: Subject, *, notes: bool = True) -> list[dict[str, Any]]:
    # only their accounts' contracts: another customer's notes are not theirs to read
    found = mentioning(Contract.all_objects.filter(
        organization_id=subject.organization_id, account__contacts=subject.contact.pk),
        TEXT, subject)
    fields = ("name", "status", "notes", "created_at") if notes else (
        "name", "status", "created_at")
    return rows(found.order_by("created_at", "id"), *fields)


def export_contracts_for_customer(subject: Subject) -> list[dict[str, Any]]:
    """The person's own download: the contracts without staff's notes."""
    return export_contracts(subject, notes=False)


def erase_contracts(subject: Subject) -> None:
    scrub_org(subject, Contract, *TEXT)
