"""What loyalty holds about a contact (``core/privacy.py``): the programmes their accounts
belong to (a person's account is the person), with the points ledger. The ledger is
append-only and its points stay (a balance is derived from it); mentions of the person in its
notes go at an erasure."""

from __future__ import annotations

from typing import Any

from vinculo.core.privacy import Subject, plain, scrub_org
from vinculo.loyalty.models import LedgerEntry, Member


def export_loyalty(subject: Subject) -> list[dict[str, Any]]:
    members = Member.all_objects.filter(
        organization_id=subject.organization_id,
        account__contacts=subject.contact.pk).select_related("program", "account")
    return [plain({"programme": m.program.name, "account": m.account.name, "tier": m.tier,
                   "joined_on": m.joined_on,
                   "ledger": list(m.entries.order_by("occurred_on", "id").values(
                       "kind", "points", "occurred_on", "note"))})
            for m in members.order_by("joined_on", "id")]


def erase_loyalty(subject: Subject) -> None:
    scrub_org(subject, LedgerEntry, "note", "reward")
