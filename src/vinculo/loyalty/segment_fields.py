"""Loyalty's fields in the segments' rule language (extension point ``segments.fields``):
membership of a programme and the points balance, so "members of the Club with more than
1,000 points" is a segment like any other."""

from __future__ import annotations

import operator
from collections.abc import Iterator
from typing import Any

from django.db.models import Q, Sum
from django.utils.translation import gettext_lazy as _

from vinculo.loyalty.models import LedgerEntry, Member, Program
from vinculo.segments.rules.builtin import lookup_q
from vinculo.segments.rules.registry import Context, FieldDef


def _programs(organization_id: int) -> list[tuple[str, Any]]:
    return [(str(uuid), name) for uuid, name in Program.all_objects.filter(
        organization_id=organization_id).values_list("uuid", "name")]


def _member_build(op: str, value: Any, ctx: Context) -> Q:
    chosen = value if isinstance(value, list) else [value]
    members = Q(pk__in=Member.all_objects.filter(
        organization_id=ctx.organization_id, program__uuid__in=chosen).values("account_id"))
    return ~members if op in ("ne", "not_in") else members


def _balance_build(op: str, value: Any, ctx: Context) -> Q:
    # Accounts without a ledger count as 0 points: "less than 100" includes them.
    balances = (LedgerEntry.all_objects.filter(organization_id=ctx.organization_id)
                .values("member__account_id").annotate(b=Sum("points")).order_by())
    if op in ("empty", "not_empty"):
        having = Q(pk__in=balances.values("member__account_id"))
        return having if op == "not_empty" else ~having
    positive = balances.filter(lookup_q("b", op, value, ctx)).values("member__account_id")
    with_rows = Q(pk__in=balances.values("member__account_id"))
    return Q(pk__in=positive) | (~with_rows if _zero_matches(op, value) else Q(pk__in=[]))


def _zero_matches(op: str, value: Any) -> bool:
    compare = {"eq": operator.eq, "ne": operator.ne, "lt": operator.lt, "lte": operator.le,
               "gt": operator.gt, "gte": operator.ge}
    if op == "between":
        return bool(value[0] <= 0 <= value[1])
    return bool(compare[op](0, value)) if op in compare else False


def fields(organization_id: int) -> Iterator[FieldDef]:
    group = _("Loyalty")
    yield FieldDef(name="loyalty.program", label=_("member of the loyalty programme"),
                   group=group, type="choice", base="account", build=_member_build,
                   choices=lambda: _programs(organization_id),
                   ops=("eq", "ne", "in", "not_in"))
    yield FieldDef(name="loyalty.balance", label=_("loyalty points balance"), group=group,
                   type="number", base="account", build=_balance_build,
                   ops=("eq", "ne", "lt", "lte", "gt", "gte", "between"))
