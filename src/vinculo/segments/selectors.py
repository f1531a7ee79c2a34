"""Reads over segments: their current members, as the records campaigns and lists act on;
the live count and sample of a rule being edited; who entered and left in a period; the
value of the members."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from vinculo.analytics.models import CustomerSnapshot
from vinculo.analytics.selectors import AT_RISK_SEGMENTS, HIGH_VALUE_M_SCORE
from vinculo.core import sql
from vinculo.core.models import User
from vinculo.customers.models import Account, AccountContact, Contact
from vinculo.segments import rules
from vinculo.segments.models import Segment, SegmentMember, Subject
from vinculo.segments.rules.builtin import latest_snapshot_date
from vinculo.segments.rules.registry import Context

SAMPLE_SIZE = 10


def high_value_at_risk_rule() -> dict[str, Any]:
    """The account rule of "high-value customers at risk": the home page's key figure's
    definition (``analytics.selectors.high_value_at_risk``) in the segments' rule language,
    so a segment built from it has as many members as the figure counts."""
    return {"match": "all", "conditions": [
        {"field": "analytics.rfm_segment", "op": "in", "value": list(AT_RISK_SEGMENTS)},
        {"field": "analytics.m_score", "op": "gte", "value": HIGH_VALUE_M_SCORE}]}


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
    # Written as IN (subquery), not as joins: SQLite without statistics (never ANALYZEd, as
    # on most installs) drove a join from every contact of the organisation and probed the
    # segment's members by segment for each, so starting a campaign to 10,000 accounts of a
    # 100,000-contact base never ended. The subquery is read once whatever the planner knows.
    stays = SegmentMember.all_objects.filter(segment=segment, left_at=None)
    if segment.subject == Subject.CONTACTS:
        return Contact.objects.filter(pk__in=stays.values("contact_id"))
    return Contact.objects.filter(active=True, pk__in=AccountContact.all_objects.filter(
        account_id__in=stays.values("account_id")).values("contact_id"))


def members(segment: Segment, user: User) -> QuerySet:
    """The segment's own members now (accounts or contacts), as the user may see them."""
    model: Any = Account if segment.subject == Subject.ACCOUNTS else Contact
    return model.objects.restrict(user).filter(
        segment_memberships__segment=segment, segment_memberships__left_at=None)


def fast_count(queryset: QuerySet) -> int:
    """``COUNT(*)`` of a compiled rule. On PostgreSQL the statement gets room to hash the
    rule's ``NOT IN`` and ``OR`` subqueries in memory (``SET LOCAL work_mem``) rather than
    re-scan them per customer."""
    if connection.vendor != "postgresql":
        return queryset.count()
    with transaction.atomic():
        sql.room_to_hash()
        return queryset.count()


def preview(rule: Any, *, subject: str, organization_id: int, user: User | None = None,
            segment_uuid: Any = None, sample: int = SAMPLE_SIZE) -> dict[str, Any]:
    """The live count and a sample of the customers a rule selects (checked first: a bad
    rule raises ``ValidationError`` naming its part). The sample is limited to what ``user``
    may see."""
    checked = rules.check(rule, subject=subject, organization_id=organization_id,
                          segment_uuid=segment_uuid)
    queryset = rules.matching(checked, subject=subject, organization_id=organization_id)
    count = fast_count(queryset)
    rows = queryset
    if user is not None:
        rows = rows.filter(pk__in=rows.model.objects.restrict(user).values("pk"))
    ordering = "name" if subject == Subject.ACCOUNTS else "full_name"
    return {"count": count, "sample": list(rows.order_by(ordering, "id")[:sample])}


def movements(segment: Segment, *, start: dt.date, end: dt.date) -> dict[str, QuerySet]:
    """Who entered and who left the segment between two dates (inclusive, local days)."""
    tz = timezone.get_current_timezone()
    since = dt.datetime.combine(start, dt.time.min, tzinfo=tz)
    until = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    rows = (SegmentMember.objects.filter(segment=segment)
            .select_related("account", "contact"))
    return {
        "entered": rows.filter(entered_at__gte=since, entered_at__lt=until)
        .order_by("-entered_at", "id"),
        "left": rows.filter(left_at__gte=since, left_at__lt=until).order_by("-left_at", "id"),
    }


def value_summary(segment: Segment) -> dict[str, Any]:
    """Count of members, and the total CLV, revenue and profit of the accounts they are (or
    belong to), from the latest finished analytics snapshot."""
    ctx = Context(organization_id=segment.organization_id, today=timezone.localdate())
    as_of = latest_snapshot_date(ctx)
    current = SegmentMember.all_objects.filter(segment_id=segment.pk, left_at=None)
    count = current.count()
    if segment.subject == Subject.ACCOUNTS:
        in_segment = Q(account_id__in=current.values("account_id"))
    else:
        in_segment = Q(account_id__in=Account.all_objects.filter(
            memberships__contact_id__in=current.values("contact_id")).values("pk"))
    totals: dict[str, Any] = {"clv": None, "revenue": None, "profit": None, "accounts": 0}
    if as_of is not None:
        totals = CustomerSnapshot.all_objects.filter(
            in_segment, organization_id=segment.organization_id, as_of=as_of,
        ).aggregate(clv=Sum("clv"), revenue=Sum("revenue"), profit=Sum("profit"),
                    accounts=Count("id"))
    return {"members": count, "as_of": as_of, **totals}


def segment_list(user: User) -> QuerySet[Segment]:
    return Segment.objects.restrict(user).select_related("owner").order_by("name", "id")


def history_count(segment: Segment) -> int:
    return SegmentMember.objects.filter(segment=segment).filter(~Q(left_at=None)).count()
