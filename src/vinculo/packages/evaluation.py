"""Placing every account in the package its rules select, after each analytics recompute.

The first scoring of a company moves nearly every customer, so the evaluation is written in
SQL over two temporary tables and never holds a row per customer in Python:

1. ``packages_target``: each account's package — the rules tried from the highest rank, an
   account taking the first that matches (one ``INSERT … SELECT`` per package), then a loyalty
   tier's package as a floor (the rules never place its holder below it);
2. ``packages_moves``: the accounts whose package differs from the one they have, leaving out
   those set by hand (``pinned``) and those with a change already waiting for approval; a
   downgrade out of a package that requires approval is marked to wait.

Each move becomes a dated ``PackageChange`` decided by the rule (one ``INSERT … SELECT``), the
applied ones are written to the accounts' rows, each owner gets one e-mail (the first
``changes.LISTED`` lines) and, up to ``EVENTS_LIMIT`` moves, one event per customer.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.core.exceptions import EmptyResultSet
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from vinculo.core import sql
from vinculo.core.models import Organization, User
from vinculo.customers.models import Account
from vinculo.packages import changes
from vinculo.packages.models import (
    AccountPackage,
    ChangeStatus,
    Decision,
    PackageChange,
    ServicePackage,
)
from vinculo.segments import rules

TARGET = "packages_target"
MOVES = "packages_moves"
#: past this many moves, a mass move is one summary (the owners' e-mails), not per-customer
#: events each fanned out to webhooks
EVENTS_LIMIT = 1000


@dataclass
class EvaluateResult:
    applied: int = 0
    pending: int = 0
    unchanged: int = 0
    notified: int = 0
    moved: dict[str, int] = field(default_factory=dict)


def _tables() -> dict[str, str]:
    return {"ap": AccountPackage._meta.db_table, "pc": PackageChange._meta.db_table,
            "sp": ServicePackage._meta.db_table, "acc": Account._meta.db_table,
            "t": TARGET, "m": MOVES}


def _place_by_rules(organization_id: int, packages: list[ServicePackage]) -> None:
    """Fill the target table: per package from the highest rank, the accounts not yet placed."""
    for package in packages:
        if not package.rule.get("conditions"):
            continue
        matched = rules.matching(package.rule, subject="accounts",
                                 organization_id=organization_id)
        try:
            select, params = (matched.order_by().values(aid=F("pk")).query
                              .sql_with_params())
        except EmptyResultSet:  # the rule selects nobody (no analytics yet)
            continue
        sql.execute(f"INSERT INTO {TARGET} (account_id, package_id) SELECT r.aid, %s"
                    f" FROM ({select}) r WHERE NOT EXISTS"
                    f" (SELECT 1 FROM {TARGET} t WHERE t.account_id = r.aid)",
                    [package.pk, *params])


def _loyalty_floor(organization_id: int) -> None:
    """A loyalty tier's package replaces a lower ruled package, or none."""
    n = _tables()
    sql.execute(f"DELETE FROM {TARGET} WHERE account_id IN ("
                f" SELECT ap.account_id FROM {n['ap']} ap"
                f" JOIN {n['sp']} b ON b.id = ap.benefit_id"
                f" JOIN {TARGET} t ON t.account_id = ap.account_id"
                f" JOIN {n['sp']} p ON p.id = t.package_id"
                f" WHERE ap.organization_id = %s AND p.rank < b.rank)", [organization_id])
    sql.execute(f"INSERT INTO {TARGET} (account_id, package_id)"
                f" SELECT ap.account_id, ap.benefit_id FROM {n['ap']} ap"
                f" WHERE ap.organization_id = %s AND ap.benefit_id IS NOT NULL AND NOT EXISTS"
                f" (SELECT 1 FROM {TARGET} t WHERE t.account_id = ap.account_id)",
                [organization_id])


def _find_moves(organization_id: int) -> None:
    """Fill the moves table: who changes package, and which of them must wait."""
    n = _tables()
    free = (f"NOT EXISTS (SELECT 1 FROM {n['pc']} pc WHERE pc.organization_id = %s"
            f" AND pc.account_id = {{col}} AND pc.status = %s)")
    sql.execute(
        f"INSERT INTO {MOVES} (account_id, old_id, new_id)"
        f" SELECT t.account_id, ap.package_id, t.package_id FROM {TARGET} t"
        f" LEFT JOIN {n['ap']} ap ON ap.organization_id = %s AND ap.account_id = t.account_id"
        f" WHERE (ap.id IS NULL OR (ap.package_id <> t.package_id AND ap.pinned = %s))"
        f" AND {free.format(col='t.account_id')}"
        f" UNION ALL"
        f" SELECT ap.account_id, ap.package_id, NULL FROM {n['ap']} ap"
        f" WHERE ap.organization_id = %s AND ap.pinned = %s"
        f" AND NOT EXISTS (SELECT 1 FROM {TARGET} t WHERE t.account_id = ap.account_id)"
        f" AND {free.format(col='ap.account_id')}",
        [organization_id, False, organization_id, ChangeStatus.PENDING,
         organization_id, False, organization_id, ChangeStatus.PENDING])
    # changes.needs_approval, in SQL: leaving a package that requires approval for a lower one
    sql.execute(
        f"UPDATE {MOVES} SET pending = 1 WHERE EXISTS (SELECT 1 FROM {n['sp']} o"
        f" WHERE o.id = {MOVES}.old_id AND o.downgrade_needs_approval = %s"
        f" AND o.rank > COALESCE((SELECT p.rank FROM {n['sp']} p"
        f" WHERE p.id = {MOVES}.new_id), -1))", [True])
    sql.analyze(MOVES)


def _unchanged(organization_id: int) -> int:
    n = _tables()
    return sql.rows(
        f"SELECT COUNT(*) FROM {TARGET} t JOIN {n['ap']} ap ON ap.organization_id = %s"
        f" AND ap.account_id = t.account_id AND ap.package_id = t.package_id"
        f" WHERE ap.pinned = %s AND NOT EXISTS (SELECT 1 FROM {n['pc']} pc"
        f" WHERE pc.organization_id = %s AND pc.account_id = t.account_id AND pc.status = %s)",
        [organization_id, False, organization_id, ChangeStatus.PENDING])[0][0]


def _record(organization_id: int, actor: User | None, today: dt.date,
            now: dt.datetime) -> None:
    """One dated change per move. No reason text: "decided by the rule after a recompute"
    and the two packages say it, in the reader's language (a sentence stored here would stay
    in the language of whoever ran the recompute)."""
    n = _tables()
    on = connection.ops.quote_name("on")
    stamp = connection.ops.adapt_datetimefield_value(now)
    sql.execute(
        f"INSERT INTO {n['pc']} (organization_id, uuid, created_at, updated_at, version,"
        f" account_id, from_package_id, to_package_id, {on}, decided_by, actor_id, reason,"
        f" status) SELECT %s, {sql.new_uuid()}, %s, %s, 1, m.account_id, m.old_id, m.new_id,"
        f" %s, %s, %s, '', CASE WHEN m.pending = 1 THEN %s ELSE %s END FROM {MOVES} m",
        [organization_id, stamp, stamp, connection.ops.adapt_datefield_value(today),
         Decision.RULE, actor.pk if actor else None, ChangeStatus.PENDING,
         ChangeStatus.APPLIED])


def _apply(organization_id: int, today: dt.date, now: dt.datetime) -> None:
    """The applied moves on the accounts' rows: leave, move, or join."""
    n = _tables()
    stamp = connection.ops.adapt_datetimefield_value(now)
    day = connection.ops.adapt_datefield_value(today)
    applied = f"SELECT m.account_id FROM {MOVES} m WHERE m.pending = 0 AND m.new_id IS"
    sql.execute(f"DELETE FROM {n['ap']} WHERE organization_id = %s AND account_id IN"
                f" ({applied} NULL)", [organization_id])
    sql.execute(f"UPDATE {n['ap']} SET package_id = (SELECT m.new_id FROM {MOVES} m"
                f" WHERE m.account_id = {n['ap']}.account_id), since = %s, pinned = %s,"
                f" updated_at = %s, version = version + 1"
                f" WHERE organization_id = %s AND account_id IN ({applied} NOT NULL)",
                [day, False, stamp, organization_id])
    sql.execute(f"INSERT INTO {n['ap']} (organization_id, uuid, created_at, updated_at, version,"
                f" account_id, package_id, since, pinned, benefit_id)"
                f" SELECT %s, {sql.new_uuid()}, %s, %s, 1, m.account_id, m.new_id, %s, %s, NULL"
                f" FROM {MOVES} m WHERE m.pending = 0 AND m.new_id IS NOT NULL AND NOT EXISTS"
                f" (SELECT 1 FROM {n['ap']} ap WHERE ap.organization_id = %s"
                f" AND ap.account_id = m.account_id)",
                [organization_id, stamp, stamp, day, False, organization_id])


def _tell_owners(names: dict[int, str]) -> int:
    """One e-mail per owner: some of their moved customers by name, and how many in all."""
    n = _tables()
    listed = sql.rows(
        f"SELECT owner_id, name, old_id, new_id, pending, total FROM ("
        f" SELECT a.owner_id, a.name, m.old_id, m.new_id, m.pending,"
        f" COUNT(*) OVER (PARTITION BY a.owner_id) AS total,"
        # the first by id, not by name: a million names sorted by collation took seconds
        f" ROW_NUMBER() OVER (PARTITION BY a.owner_id ORDER BY m.account_id) AS k"
        f" FROM {MOVES} m JOIN {n['acc']} a ON a.id = m.account_id"
        f" WHERE a.owner_id IS NOT NULL) x WHERE k <= %s ORDER BY owner_id, k",
        [changes.LISTED])
    lines: dict[int, list[changes.Line]] = defaultdict(list)
    totals: dict[int, int] = {}
    for owner_id, name, old_id, new_id, pending, total in listed:
        lines[owner_id].append(changes.Line(account=name, before=names.get(old_id, ""),
                                            after=names.get(new_id, ""),
                                            pending=bool(pending)))
        totals[owner_id] = total
    for listed_lines in lines.values():
        listed_lines.sort(key=lambda line: line.account.casefold())
    owners = User.objects.filter(pk__in=list(lines))
    return sum(changes.tell_owner(o, lines[o.pk], totals[o.pk]) for o in owners)


def _publish(organization_id: int, now: dt.datetime, actor: User | None) -> None:
    recorded = (PackageChange.all_objects.filter(organization_id=organization_id,
                                                 created_at=now, decided_by=Decision.RULE)
                .select_related("account", "from_package", "to_package"))
    changes.publish(list(recorded), actor)


@transaction.atomic
def packages_evaluate(*, organization: Organization, actor: User | None = None,
                      publish: bool = True) -> EvaluateResult:
    """Give every account the package its rules select now (see the module's docstring)."""
    organization_id = organization.pk
    now = timezone.now()
    today = timezone.localdate(now)
    packages = list(ServicePackage.all_objects.filter(organization_id=organization_id,
                                                      active=True).order_by("-rank", "id"))
    names = dict(ServicePackage.all_objects.filter(organization_id=organization_id)
                 .values_list("id", "name"))
    result = EvaluateResult()
    sql.room_to_hash()
    with (sql.temporary_table(TARGET, "account_id bigint PRIMARY KEY,"
                                      " package_id bigint NOT NULL"),
          sql.temporary_table(MOVES, "account_id bigint PRIMARY KEY, old_id bigint,"
                                     " new_id bigint, pending integer NOT NULL DEFAULT 0")):
        _place_by_rules(organization_id, packages)
        _loyalty_floor(organization_id)
        sql.analyze(TARGET)
        _find_moves(organization_id)
        result.unchanged = _unchanged(organization_id)
        for new_id, pending, count in sql.rows(
                f"SELECT new_id, pending, COUNT(*) FROM {MOVES} GROUP BY new_id, pending"):
            if pending:
                result.pending += count
            else:
                result.applied += count
                key = names.get(new_id, "")
                result.moved[key] = result.moved.get(key, 0) + count
        if not result.applied + result.pending:
            return result
        _record(organization_id, actor, today, now)
        _apply(organization_id, today, now)
        result.notified = _tell_owners(names)
    if publish and result.applied + result.pending <= EVENTS_LIMIT:
        _publish(organization_id, now, actor)
    return result
