"""Tiers of loyalty programmes: who qualifies for which (points earned or spend paid in a
rolling window, or the value tier of the latest analytics snapshot), and telling each change as
``loyalty_tier.changed`` with the service package of each tier, so the packages app (a sibling
on the same layer, never imported) gives or takes it back by its own rules."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from vinculo.analytics.models import AnalyticsRun, CustomerSnapshot, RunStatus
from vinculo.billing.models import Invoice, InvoiceKind, InvoiceStatus
from vinculo.core import events
from vinculo.customers.models import Account
from vinculo.loyalty import checks
from vinculo.loyalty.models import EntryKind, LedgerEntry, Member, Program, TierBasis


def _value_tier_ranks(program: Program, accounts: list[int]) -> dict[int, int]:
    """Each account's value tier in the organisation's latest finished analytics snapshot,
    as the rank ``checks.VALUE_ORDER`` gives it (the lowest tier is 0)."""
    done = AnalyticsRun.all_objects.filter(organization_id=program.organization_id,
                                           status=RunStatus.DONE).values("as_of")
    latest = (CustomerSnapshot.all_objects.filter(organization_id=program.organization_id,
                                                  as_of__in=done)
              .order_by("-as_of").values_list("as_of", flat=True).first())
    if latest is None:
        return {}
    order = {name: rank for rank, name in enumerate(checks.VALUE_ORDER)}
    return {account_id: order[tier] for account_id, tier in CustomerSnapshot.all_objects.filter(
        organization_id=program.organization_id, as_of=latest, account_id__in=accounts)
        .values_list("account_id", "value_tier") if tier in order}


def tiers_recompute(*, program: Program, member_ids: Iterable[int] | None = None,
                    today: dt.date | None = None, return_members: bool = False,
                    old_packages: dict[str, Any] | None = None) -> Any:
    """Each member's tier: the highest whose threshold its points earned (or spend paid) in
    the rolling window reach, or whose value tier its latest analytics snapshot reaches.
    Each change is told as ``loyalty_tier.changed`` (with the package of each tier, for the
    packages app; ``old_packages``: each tier's package before an edit of the tiers, so a
    member is told the package it leaves, not the tier's new one). Returns how many changed
    (the changed members' ids with ``return_members``)."""
    today = today or timezone.localdate()
    since = today - dt.timedelta(days=program.tier_window_days)
    members = Member.all_objects.filter(program=program)
    if member_ids is not None:
        members = members.filter(pk__in=list(member_ids))
    tiers = [(Decimal(t["threshold"]), t["name"]) for t in program.tiers or []]
    members_list = list(members)
    value: dict[int, Any]
    if program.tier_basis == TierBasis.VALUE_TIER:
        ranks = _value_tier_ranks(program, [m.account_id for m in members_list])
        value = {m.pk: ranks.get(m.account_id, -1) for m in members_list}
    elif program.tier_basis == TierBasis.SPEND:
        spend = dict(Invoice.all_objects.filter(
            organization_id=program.organization_id, kind=InvoiceKind.INVOICE,
            status=InvoiceStatus.PAID, paid_on__gte=since,
            account_id__in=[m.account_id for m in members_list]).values("account_id")
            .annotate(s=Sum("net_amount")).values_list("account_id", "s").order_by())
        value = {m.pk: spend.get(m.account_id) or 0 for m in members_list}
    else:
        earned = dict(LedgerEntry.all_objects.filter(
            member_id__in=[m.pk for m in members_list], occurred_on__gte=since,
            kind__in=(EntryKind.EARN, EntryKind.REVERSE)).values("member_id")
            .annotate(s=Sum("points")).values_list("member_id", "s").order_by())
        value = {m.pk: earned.get(m.pk) or 0 for m in members_list}
    changed, before = [], {}
    for member in members_list:
        tier = ""
        for threshold, name in tiers:
            if value[member.pk] >= threshold:
                tier = name
        if tier != member.tier:
            before[member.pk] = member.tier
            member.tier = tier
            changed.append(member)
    Member.all_objects.bulk_update(changed, ["tier"], batch_size=2000)
    if changed:
        _tell_tier_changes(program, changed, before, old_packages)
    return {m.pk for m in changed} if return_members else len(changed)


def _tell_tier_changes(program: Program, changed: list[Member], before: dict[int, str],
                       old_packages: dict[str, Any] | None = None) -> None:
    packages = {t["name"]: t.get("package") for t in program.tiers or []}
    old_packages = packages if old_packages is None else old_packages
    accounts = dict(Account.all_objects.filter(pk__in=[m.account_id for m in changed])
                    .values_list("pk", "uuid"))
    for member in changed:
        events.publish("loyalty_tier.changed", record=member, data={
            "program": str(program.uuid), "program_name": program.name,
            "account": str(accounts[member.account_id]),
            "from": before[member.pk], "to": member.tier,
            "package_from": old_packages.get(before[member.pk]),
            "package_to": packages.get(member.tier)})


def on_snapshot_recomputed(occurrence: events.Occurrence) -> None:
    """Subscriber of ``snapshot.recomputed``: programmes whose tiers qualify by value tier
    place their members again."""
    if occurrence.organization_id is None:
        return
    for program in Program.all_objects.filter(organization_id=occurrence.organization_id,
                                              active=True, tier_basis=TierBasis.VALUE_TIER):
        with transaction.atomic():
            tiers_recompute(program=program)


def tiers_retell(program: Program, old_packages: dict[str, Any], *,
                 exclude: Iterable[int] = ()) -> int:
    """After an edit of the tiers: the members whose tier stayed while its package changed
    are told as a change from that tier to itself, with the old and the new package."""
    packages = {t["name"]: t.get("package") for t in program.tiers or []}
    tiers = [name for name, package in packages.items()
             if name in old_packages and old_packages[name] != package]
    if not tiers:
        return 0
    members = list(Member.all_objects.filter(program=program, tier__in=tiers)
                   .exclude(pk__in=list(exclude)))
    _tell_tier_changes(program, members, {m.pk: m.tier for m in members}, old_packages)
    return len(members)
