"""Demo segments: the groups a marketer builds first, saved through the segment services and
materialised, so the segment pages, the builder's live count and the campaigns that follow have
members to show.

Runs after the analytics generator (the rules read its latest snapshot). Four rule segments —
high-value customers at risk (the home page's figure: ``segments.selectors.
high_value_at_risk_rule``), lapsed customers (no order in 90 days), the
RFM *Champions*, e-mail subscribers — and one static list picked by hand: the key accounts the
sales team calls this quarter. Membership is computed by ``segment_refresh``, one set-based
``INSERT … SELECT`` per segment, so it costs the same few queries at 2,000 customers as at a
million (the analytics generator scores at most 20,000 accounts).
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import override

from vinculo.analytics.models import AnalyticsRun, CustomerSnapshot, RunStatus
from vinculo.core.audit import acting_as
from vinculo.core.demo import DemoContext
from vinculo.core.tenancy import organization_scope
from vinculo.customers.models import Account
from vinculo.segments.models import Segment, SegmentKind, Subject
from vinculo.segments.selectors import high_value_at_risk_rule
from vinculo.segments.services import segment_create, segment_members_add, segment_refresh

#: How many key accounts the static call list holds.
CALL_LIST_SIZE = 25


def estimate(customers: int) -> int:
    """Rows written for ``customers`` customers: the members of five segments (a guess)."""
    return min(customers // 3, 20_000)


def _definitions() -> list[dict]:
    """The rule segments (name and description in the organisation's language)."""
    return [
        # the home page's "High-value customers at risk", by the same rule and name
        {"key": "at_risk", "name": _("High-value customers at risk"),
         "subject": Subject.ACCOUNTS,
         "description": _("RFM segment At risk or Can't lose and spend in the top two "
                          "fifths (M score 4 or 5): they bought often and for much, and have "
                          "stopped. The same rule as the home page's figure: call them "
                          "before they go."),
         "rule": high_value_at_risk_rule()},
        {"key": "lapsed", "name": _("Lapsed 90 days"), "subject": Subject.ACCOUNTS,
         "description": _("Customers whose last order is more than 90 days old: the audience "
                          "of win-back campaigns."),
         "rule": {"match": "all", "conditions": [
             {"field": "activity.last_order", "op": "before_last_days", "value": 90}]}},
        {"key": "champions", "name": _("Champions"), "subject": Subject.ACCOUNTS,
         "description": _("Bought recently, often and for much (RFM): thank and reward them."),
         "rule": {"match": "all", "conditions": [
             {"field": "analytics.rfm_segment", "op": "eq", "value": "Champions"}]}},
        {"key": "subscribers", "name": _("Newsletter subscribers"), "subject": Subject.CONTACTS,
         "description": _("Contacts who agreed to receive e-mail."),
         "rule": {"match": "all", "conditions": [
             {"field": "consent.email", "op": "eq", "value": True}]}},
    ]


def generate(ctx: DemoContext) -> dict[str, int]:
    org = ctx.organization
    actor = ctx.users["marketing"]
    made: dict[str, Segment] = {}
    with organization_scope(org), acting_as(actor), override(org.language or "es"):
        for spec in _definitions():
            made[spec["key"]] = segment_create(
                actor=actor, name=spec["name"], subject=spec["subject"],
                kind=SegmentKind.RULE, rule=spec["rule"], description=spec["description"])
        made["call_list"] = segment_create(
            actor=actor, name=_("Key accounts: call this quarter"), subject=Subject.ACCOUNTS,
            kind=SegmentKind.STATIC,
            description=_("Picked by hand: the key accounts the sales team calls this "
                          "quarter."))
        members = 0
        for segment in made.values():
            if segment.kind == SegmentKind.RULE:
                members += segment_refresh(segment=segment).members
        members += segment_members_add(actor=actor, segment=made["call_list"],
                                       records=_key_accounts(org.pk))
    ctx.shared["segments"] = {key: segment.pk for key, segment in made.items()}
    ctx.progress.update(members)
    return {"segments": len(made), "segment members": members}


def _key_accounts(organization_id: int) -> list[Account]:
    """The accounts with the highest CLV in the latest snapshot (or, before any analytics,
    the oldest customers), for the static call list."""
    as_of = (AnalyticsRun.all_objects.filter(organization_id=organization_id,
                                             status=RunStatus.DONE)
             .order_by("-as_of").values_list("as_of", flat=True).first())
    accounts = Account.all_objects.filter(organization_id=organization_id, active=True)
    if as_of is not None:
        top = list(CustomerSnapshot.all_objects.filter(
            organization_id=organization_id, as_of=as_of, clv__isnull=False)
            .order_by("-clv").values_list("account_id", flat=True)[:CALL_LIST_SIZE])
        accounts = accounts.filter(pk__in=top)
    return list(accounts.order_by("id")[:CALL_LIST_SIZE])
