"""What automation holds about a contact (``core/privacy.py``): the firings of exception
rules whose record label or results name them. At an erasure the identifiers go; the firings
stay (the rule's log, and the guard against firing twice)."""

from __future__ import annotations

from typing import Any

from vinculo.automation.models import Firing
from vinculo.core.privacy import Subject, mentioning, rows, scrub_org


def export_firings(subject: Subject) -> list[dict[str, Any]]:
    found = mentioning(Firing.all_objects.filter(organization_id=subject.organization_id),
                       ("record_label", "results"), subject)
    return rows(found.order_by("created_at", "id"), "trigger", "record_label", "status",
                "created_at")


def erase_firings(subject: Subject) -> None:
    scrub_org(subject, Firing, "record_label", "results")
