"""Reads of loyalty: balances, a member's history and expiring points, the 360° summary of
an account, and the programme's economics (liability, breakage, redemption rate and the
members' incremental purchase frequency and CLV against matched non-members)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Count, IntegerField, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from vinculo.analytics import selectors as analytics
from vinculo.billing.models import Invoice, InvoiceKind, InvoiceStatus
from vinculo.core.models import User
from vinculo.customers.models import Account
from vinculo.loyalty.benefits import package_names
from vinculo.loyalty.models import EntryKind, LedgerEntry, Member, Program

ZERO = Decimal(0)


def program_list() -> QuerySet:
    return Program.objects.annotate(member_count=Count("members")).order_by("name", "id")


def with_balance(members: QuerySet) -> QuerySet:
    """``balance`` on each member, summed in the same query."""
    return members.annotate(balance=Coalesce(Sum("entries__points"), Value(0),
                                             output_field=IntegerField()))


def members(program: Program, user: User) -> QuerySet:
    """The programme's members the user may see, with their balance."""
    return (with_balance(Member.objects.filter(program=program).restrict(user)
                         .select_related("account")).order_by("-balance", "id"))


def member_balance(member: Member) -> int:
    """The member's points now: the sum of its ledger (never stored)."""
    return int(LedgerEntry.all_objects.filter(member_id=member.pk)
               .aggregate(s=Sum("points"))["s"] or 0)


def history(member: Member, *, limit: int = 100) -> QuerySet:
    return (LedgerEntry.objects.filter(member=member).select_related("invoice")
            .order_by("-occurred_on", "-id")[:limit])


def expiring(member: Member, *, days: int = 90, today: dt.date | None = None,
             as_of: dt.date | None = None) -> list[dict]:
    """Points that will expire in the next ``days``, by date, first-in first-out: what is due
    by each date less what has been used and what earlier dates already take. ``as_of``
    reads the ledger as it stood at the end of that day (a statement's closing date)."""
    today = as_of or today or timezone.localdate()
    until = today + dt.timedelta(days=days)
    rows = LedgerEntry.objects.filter(member=member)
    if as_of is not None:
        rows = rows.filter(occurred_on__lte=as_of)
    used = -(rows.filter(expires_on__isnull=True).aggregate(s=Sum("points"))["s"] or 0)
    left = int(rows.aggregate(s=Sum("points"))["s"] or 0)
    result, taken = [], 0
    lots = (rows.filter(expires_on__isnull=False).values("expires_on")
            .annotate(p=Sum("points")).order_by("expires_on"))
    cumulative = 0
    for lot in lots:
        expires_on = lot["expires_on"]
        assert expires_on is not None  # filtered above
        cumulative += lot["p"]
        due = max(0, min(cumulative - used, left) - taken)
        if expires_on > until:
            break
        if due and expires_on > today:
            result.append({"date": expires_on, "points": due})
        taken += due
    return result


#: The longest period a statement covers (ten years).
STATEMENT_MAX_DAYS = 3660


def default_period(today: dt.date) -> tuple[dt.date, dt.date]:
    """A statement's default period: the last twelve months up to ``today``."""
    return today - dt.timedelta(days=364), today


def statement_period(start: dt.date | None, end: dt.date | None, *,
                     today: dt.date) -> tuple[dt.date, dt.date]:
    """The period a statement covers, for the page and the API alike: the end defaults to
    ``today``, the start to a year before the end; an end before the start or a period over
    ten years is refused under ``end``."""
    default_start, default_end = default_period(today)
    end = end or default_end
    start = start or end - (default_end - default_start)
    if end < start:
        raise ValidationError({"end": _("The end is before the start.")})
    if (end - start).days > STATEMENT_MAX_DAYS:
        raise ValidationError({"end": _("A statement covers ten years at most.")})
    return start, end


def statement(member: Member, *, start: dt.date, end: dt.date,
              expiring_days: int = 90) -> dict[str, Any]:
    """The member's statement from ``start`` to ``end`` (both included): the balance at the
    start, every movement in between in the order it happened with the balance after it,
    the balance at the end, and the points due to expire in the ``expiring_days`` after the
    end (as the ledger stood then). Opening + movements = closing, by construction from the
    one ledger; the staff page, the API and the portal read it here."""
    rows = LedgerEntry.objects.filter(member=member)
    opening = int(rows.filter(occurred_on__lt=start).aggregate(s=Sum("points"))["s"] or 0)
    movements: list[dict[str, Any]] = []
    running = opening
    totals: dict[str, int] = defaultdict(int)
    for entry in (rows.filter(occurred_on__gte=start, occurred_on__lte=end)
                  .select_related("invoice", "credit_note").order_by("occurred_on", "id")):
        running += entry.points
        totals[entry.kind] += entry.points
        movements.append({"entry": entry, "balance": running})
    return {"member": member, "start": start, "end": end, "opening": opening,
            "movements": movements, "closing": running,
            "totals": [{"kind": kind, "label": EntryKind(kind).label, "points": totals[kind]}
                       for kind in EntryKind.values if kind in totals],
            "expiring": expiring(member, days=expiring_days, as_of=end)}


def account_summary(account: Account) -> list[dict[str, Any]]:
    """Per programme the account belongs to: tier, balance, expiring points, latest moves."""
    summary = []
    for member in Member.objects.filter(account=account).select_related("program"):
        summary.append({"member": member, "program": member.program,
                        "balance": member_balance(member),
                        "expiring": expiring(member),
                        "history": list(history(member, limit=10))})
    return summary


def _totals(program: Program) -> dict[str, int]:
    sums = LedgerEntry.objects.filter(member__program=program).aggregate(
        **{kind: Sum("points", filter=Q(kind=kind)) for kind in EntryKind.values},
        adjust_in=Sum("points", filter=Q(kind=EntryKind.ADJUST, points__gt=0)),
        adjust_out=Sum("points", filter=Q(kind=EntryKind.ADJUST, points__lt=0)))
    return {key: int(value or 0) for key, value in sums.items()}


def economics(program: Program) -> dict[str, Any]:
    """What the programme owes and what it earns back.

    - liability: the points outstanding × the value of a point;
    - breakage: of the points that have left the ledger by redemption or expiry, the share
      that expired — history's estimate of what share of the outstanding points will expire;
    - redemption rate: redeemed ÷ issued (earned, bonuses and adjustments in, net of
      reversals);
    - incremental purchase frequency and CLV: members against non-members of the same RFM
      segment in the last analytics snapshot before they joined (see :func:`lift`)."""
    totals = _totals(program)
    issued = totals["earn"] + totals["adjust_in"] + totals["reverse"]
    redeemed, expired = -totals["redeem"], -totals["expire"]
    outstanding = sum(totals[k] for k in EntryKind.values)
    closed = redeemed + expired
    breakage = Decimal(expired) / closed if closed else None
    liability = (Decimal(outstanding) * program.point_value).quantize(Decimal("0.01"))
    return {
        "members": Member.objects.filter(program=program).count(),
        "issued": issued, "redeemed": redeemed, "expired": expired,
        "outstanding": outstanding, "liability": liability,
        "breakage": breakage,
        "expected_breakage": (liability * breakage).quantize(Decimal("0.01"))
        if breakage is not None else None,
        "net_liability": (liability * (1 - breakage)).quantize(Decimal("0.01"))
        if breakage is not None else liability,
        "redemption_rate": Decimal(redeemed) / issued if issued else None,
        "lift": lift(program),
    }


def lift(program: Program, *, today: dt.date | None = None) -> dict[str, Any]:
    """Members against comparable non-members: each member is placed in the RFM segment of the
    last finished analytics snapshot on or before the day it joined (the earliest snapshot
    when it joined before any); its comparison group is every non-member in that segment of
    that snapshot. Both are followed from the snapshot's date: invoices per year since, and
    the CLV of the latest snapshot. The incremental figures are the member − non-member
    differences per cell, weighted by the cell's members."""
    today = today or timezone.localdate()
    dates = sorted(analytics.snapshot_dates())
    if not dates:
        return {"available": False, "rows": []}
    joined = dict(Member.objects.filter(program=program).values_list("account_id", "joined_on"))
    if not joined:
        return {"available": False, "rows": []}
    member_ids = set(joined)
    base: dict[int, dt.date] = {}
    for account_id, on in joined.items():
        before = [d for d in dates if d <= on]
        base[account_id] = before[-1] if before else dates[0]
    cells: dict[tuple[dt.date, str], dict[str, list[int]]] = defaultdict(
        lambda: {"members": [], "others": []})
    for as_of in set(base.values()):
        for account_id, segment in analytics.snapshots(as_of).values_list(
                "account_id", "rfm_segment"):
            if account_id in member_ids:
                if base[account_id] == as_of:
                    cells[(as_of, segment)]["members"].append(account_id)
            else:
                cells[(as_of, segment)]["others"].append(account_id)
    clv = dict(analytics.snapshots(dates[-1]).values_list("account_id", "clv"))
    rows, weight, d_freq, d_clv = [], 0, 0.0, ZERO
    for (as_of, segment), group in sorted(cells.items()):
        if not group["members"] or not group["others"]:
            continue
        years = max((today - as_of).days, 1) / 365.25
        counts = dict(Invoice.objects.filter(
            kind=InvoiceKind.INVOICE, issue_date__gt=as_of,
            status__in=(InvoiceStatus.ISSUED, InvoiceStatus.PAID),
            account_id__in=group["members"] + group["others"]).values("account_id")
            .annotate(n=Count("id")).values_list("account_id", "n").order_by())

        def mean_freq(ids: list[int], counts: dict = counts, years: float = years) -> float:
            return sum(counts.get(i, 0) for i in ids) / len(ids) / years

        def mean_clv(ids: list[int]) -> Decimal:
            return sum((clv.get(i) or ZERO for i in ids), ZERO) / len(ids)

        member_frequency = mean_freq(group["members"])
        other_frequency = mean_freq(group["others"])
        member_clv = mean_clv(group["members"]).quantize(Decimal("0.01"))
        other_clv = mean_clv(group["others"]).quantize(Decimal("0.01"))
        n = len(group["members"])
        row: dict[str, Any] = {
               "as_of": as_of, "segment": segment, "label": analytics.label(segment),
               "members": n, "others": len(group["others"]),
               "member_frequency": member_frequency, "other_frequency": other_frequency,
               "member_clv": member_clv, "other_clv": other_clv}
        rows.append(row)
        weight += n
        d_freq += n * (member_frequency - other_frequency)
        d_clv += n * (member_clv - other_clv)
    if not weight:
        return {"available": False, "rows": rows}
    return {"available": True, "rows": rows, "matched": weight,
            "frequency": d_freq / weight,
            "clv": (d_clv / weight).quantize(Decimal("0.01"))}


def rules_in_words(program: Program) -> list[str]:
    """The earn rules as sentences, naming categories, lines and campaigns (no UUIDs)."""
    from vinculo.catalog.models import Category, ProductLine
    from vinculo.core.formats import format_number as number_format
    from vinculo.marketing.models import Campaign

    rules = program.earn_rules or []
    names: dict[str, str] = {}
    for model, key in ((Category, "category"), (ProductLine, "line"), (Campaign, "campaign")):
        wanted = [r[key] for r in rules if key in r]
        if wanted:
            names.update({str(u): n for u, n in model.objects.filter(uuid__in=wanted)
                          .values_list("uuid", "name")})
    lines = [_("Points per unit of the net amount of each paid invoice: %(points)s.")
             % {"points": number_format(program.points_per_unit, '-2')}]
    for rule in rules:
        kind = rule["kind"]
        if kind in ("category", "product_line"):
            target = names.get(rule.get("category") or rule.get("line"), _("(removed)"))
            template = (_("Points per unit on products of category «%(name)s»: %(points)s.")
                        if kind == "category" else
                        _("Points per unit on products of line «%(name)s»: %(points)s."))
            lines.append(template % {"name": target, "points": number_format(
                Decimal(rule["points_per_unit"]), "-2")})
        elif kind == "campaign":
            lines.append(_("%(points)s bonus points for converting in the campaign "
                           "«%(name)s».") % {"points": number_format(rule["points"]),
                                             "name": names.get(rule["campaign"],
                                                               _("(removed)"))})
        elif kind == "review":
            lines.append(_("%(points)s bonus points for a review.")
                         % {"points": number_format(rule["points"])})
        else:
            lines.append(_("%(points)s bonus points for a referral.")
                         % {"points": number_format(rule["points"])})
    return lines


def tiers_in_words(program: Program) -> list[dict[str, Any]]:
    """The tiers as the programme's page shows them: what qualifies (points, money, or a
    value tier by its translated name) and the package each gives, by name."""
    packages = package_names(program.organization_id) if any(
        t.get("package") for t in program.tiers or []) else {}
    return [{**tier, "value_tier_label": analytics.label(tier.get("value_tier") or ""),
             "package_name": packages.get(tier.get("package") or "", "")}
            for tier in program.tiers or []]


def rewards_in_words(program: Program) -> list[dict[str, Any]]:
    """The rewards with their kind in words and the free product's name (no UUIDs)."""
    from vinculo.catalog.models import Product

    rewards = program.rewards or []
    wanted = [r["product"] for r in rewards if r.get("product")]
    names = ({str(u): n for u, n in Product.objects.filter(uuid__in=wanted)
              .values_list("uuid", "name")} if wanted else {})
    kinds = {"coupon": _("coupon code"), "quote_discount": _("discount on a quote"),
             "credit_note": _("credit note")}
    rows = []
    for reward in rewards:
        if reward["kind"] == "free_product":
            kind = _("free product: %(quantity)s × %(name)s") % {
                "quantity": reward.get("quantity", 1),
                "name": names.get(reward.get("product") or "", _("(removed)"))}
        else:
            kind = kinds.get(reward["kind"], reward["kind"])
        rows.append({**reward, "kind_label": kind})
    return rows
