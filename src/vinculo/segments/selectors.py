"""Reads over segments: their current members, as the records campaigns and lists act on."""

from __future__ import annotations

from django.db.models import QuerySet

from vinculo.customers.models import Account, Contact
from vinculo.segments.models import Segment, Subject


def current_accounts(segment: Segment) -> QuerySet[Account]:
    """The accounts in ``segment`` now (an account segment's members; a contact segment's
    members' accounts)."""
    if segment.subject == Subject.ACCOUNTS:
        return Account.objects.filter(
            segment_memberships__segment=segment, segment_memberships__left_at=None
        )
    return Account.objects.filter(
        contacts__segment_memberships__segment=segment,
        contacts__segment_memberships__left_at=None,
    ).distinct()


def current_contacts(segment: Segment) -> QuerySet[Contact]:
    """The contacts a segment reaches now: a contact segment's members, or the active contacts
    of an account segment's member accounts."""
    if segment.subject == Subject.CONTACTS:
        return Contact.objects.filter(
            segment_memberships__segment=segment, segment_memberships__left_at=None
        )
    return Contact.objects.filter(
        active=True,
        memberships__account__segment_memberships__segment=segment,
        memberships__account__segment_memberships__left_at=None,
    ).distinct()
