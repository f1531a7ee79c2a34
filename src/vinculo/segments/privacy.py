"""What segments holds about a contact (``core/privacy.py``): the segments they are or were
in, with the dates. The membership rows carry no name, address or phone and stay after an
erasure (they point at the now anonymous contact, and keep the counts of who moved between
segments right); mentions of the person in a segment's name or description go."""

from __future__ import annotations

from typing import Any

from vinculo.core.privacy import Subject, rows, scrub_org
from vinculo.segments.models import Segment, SegmentMember


def export_segments(subject: Subject) -> list[dict[str, Any]]:
    return rows(SegmentMember.all_objects.filter(
        organization_id=subject.organization_id, contact_id=subject.contact.pk)
        .order_by("entered_at", "id"), "segment__name", "entered_at", "left_at", "source")


def erase_segments(subject: Subject) -> None:
    scrub_org(subject, Segment, "name", "description")
