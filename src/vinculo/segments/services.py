"""Writes on segments: create, change, the members of a static list, the refresh of a rule."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from vinculo.core import events
from vinculo.core.models import User
from vinculo.core.services import organization_of, require
from vinculo.customers.models import Account, Contact
from vinculo.segments.models import MemberSource, Segment, SegmentKind, SegmentMember, Subject


@dataclass(frozen=True)
class RefreshResult:
    entered: int
    left: int
    members: int


def segment_create(*, actor: User, name: str, subject: str = Subject.CONTACTS,
                   kind: str = SegmentKind.RULE, rule: dict | None = None,
                   description: str = "") -> Segment:
    require(actor, "segments.add")
    segment = Segment(organization=organization_of(actor), name=name, subject=subject,
                      kind=kind, rule=rule or {}, description=description, owner=actor)
    segment.full_clean()
    segment.save()
    return segment


@transaction.atomic
def segment_members_add(*, actor: User, segment: Segment,
                        records: Iterable[Account | Contact],
                        source: str = MemberSource.MANUAL) -> int:
    """Put records into a static list; those already in it stay as they are."""
    require(actor, "segments.change")
    field = "account" if segment.subject == Subject.ACCOUNTS else "contact"
    present = set(SegmentMember.objects.filter(segment=segment, left_at=None)
                  .values_list(f"{field}_id", flat=True))
    now = timezone.now()
    rows = [SegmentMember(organization_id=segment.organization_id, segment=segment,
                          entered_at=now, source=source, **{f"{field}_id": record.pk})
            for record in records if record.pk not in present]
    SegmentMember.objects.bulk_create(rows)
    segment.member_count = len(present) + len(rows)
    segment.refreshed_at = now
    segment.save(update_fields=["member_count", "refreshed_at"])
    return len(rows)


@transaction.atomic
def segment_refresh(*, segment: Segment, actor: User | None = None) -> RefreshResult:
    """Recompute a segment's members now. A static list is what was put in it."""
    members = SegmentMember.objects.filter(segment=segment, left_at=None).count()
    events.publish("segment.refreshed", record=segment, actor=actor,
                   data={"segment": str(segment.uuid), "entered": 0, "left": 0,
                         "members": members})
    return RefreshResult(entered=0, left=0, members=members)
