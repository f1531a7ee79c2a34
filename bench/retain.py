"""Service packages and exception rules after an analytics recompute, for a million customers.

    .venv/bin/python bench/retain.py [--reuse URL | --customers 1000000 [--keep]]
        [--moved 5]

PostgreSQL only. The 1M-contact demo database (``--reuse`` one loaded before, see
``bench/_big.py``) is first copied (``CREATE DATABASE … TEMPLATE``) so that every run starts
from the same state and the reused database is left as it was; the copy is dropped at the end.
The demo ships three packages placed by analytics rules (Premium: profit segment High and
value tier Platinum or Gold, downgrades need approval; Preferente: High or Medium; Esencial:
any profit segment) and the rule "at-risk high-value customer: call" (after each recompute,
P(alive) < 0.5 and value tier Platinum or Gold → a task for the account manager).

Setup, not timed: every account the demo did not score gets a snapshot on the demo's
analytics run (one ``INSERT … SELECT``; values drawn from the account id, repeatable: 5 %
Platinum, 15 % Gold, 70 % Iron, 10 % Lead; profit segments correlated with the tier; P(alive)
≥ 0.49 for all but about 2 % of the valuable customers).

Timed, twice, each time as the product runs them after a recompute (the ``snapshot.recomputed``
subscribers' bodies): ``packages.services.packages_evaluate`` and
``automation.engine.evaluate_all(kinds=("analytics",))``:

  first   every customer is scored for the first time: nearly all of them get a package, and
          the rule fires for every valuable customer at risk
  next    a new run the next day whose snapshots are the previous ones with ``--moved`` % of
          the customers drawn again (written in bulk, not timed): those who change package
          move, the newly at-risk get their task

Reference, same run, just before each: the bare SQL of the same conditions — each account's
package by a ``CASE`` over the three rules on the latest snapshot, written to a temporary
table (``CREATE TEMPORARY TABLE … AS``), the count of accounts whose package differs from the
one they have, and the ids of the accounts meeting the rule without an open episode. The
ratio is service / reference. Checks: after each evaluation every account not pinned and not
waiting for approval has the reference's package, and the rule fired once per account the
reference found. Target: both together ≤ 30 s on PostgreSQL, judged on each round.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _big import (
    add_arguments,
    clone_rows,
    close_database,
    django_setup,
    load,
    open_database,
)
from _common import PG_SERVER, markdown, pg_admin_connect, pg_drop, say, table

TARGET_S = 30.0
COPY = "vinculo_bench_retain"


def _u(salt: int, mult: int, mod: int) -> str:
    """A repeatable uniform draw in [0, 1) from the account id."""
    return f"(((a.id + {salt}) * {mult}) %% {mod}) / {mod}.0"


def _values(salt: int) -> dict[str, str]:
    """SQL expressions of the snapshot's columns, drawn from the id (``salt`` redraws)."""
    u1, u2, u3 = _u(salt, 2654435761, 1000003), _u(salt, 40503, 999983), \
        _u(salt, 69069, 1000033)
    return {
        "value_tier": f"CASE WHEN {u1} < .05 THEN 'Platinum' WHEN {u1} < .20 THEN 'Gold' "
                      f"WHEN {u1} < .90 THEN 'Iron' ELSE 'Lead' END",
        "profit_segment": f"CASE WHEN {u1} >= .90 THEN 'Loss-making' WHEN {u1} < .20 THEN "
                          f"(CASE WHEN {u2} < .6 THEN 'High' ELSE 'Medium' END) "
                          f"WHEN {u2} < .1 THEN 'High' WHEN {u2} < .4 THEN 'Medium' "
                          "ELSE 'Low' END",
        "p_alive": f"CASE WHEN {u1} < .20 THEN 0.49 + 0.51 * {u3} ELSE {u3} END",
        "clv": f"round((CASE WHEN {u1} < .05 THEN 3000 + 5000 * {u2} WHEN {u1} < .20 THEN "
               f"1000 + 2000 * {u2} WHEN {u1} < .90 THEN 100 + 900 * {u2} ELSE 50 * {u2} "
               "END)::numeric, 2)",
        "profit": f"round((CASE WHEN {u1} >= .90 THEN -100 * {u2} ELSE 1000 * (1 - {u1}) * "
                  f"{u2} END)::numeric, 2)",
    }


def _insert_snapshots(cursor, org_id: int, as_of: object, values: dict[str, str],
                      tail: str = "", params: tuple = (), join: str = "") -> int:
    """One ``INSERT … SELECT`` of snapshots over the organisation's accounts ``a`` (and the
    ``join``ed tables); ``tail``, the conditions after ``WHERE a.organization_id = …``, takes
    ``params``."""
    columns = {"organization_id": "a.organization_id", "account_id": "a.id", "as_of": "%s",
               "first_purchase": "%s::date - 700",
               "last_purchase": "%s::date - ((a.id * 7) %% 400)::int",
               "recency_days": "(a.id * 7) %% 400", "frequency": "a.id %% 9",
               "monetary": "100", "T": "700", "r_score": "1 + a.id %% 5",
               "f_score": "1 + (a.id / 5) %% 5", "m_score": "1 + (a.id / 25) %% 5",
               "rfm_segment": "'Loyal'", "revenue": "1500", "cost_of_goods": "900",
               "cost_to_serve": "40", "cost_breakdown": "'{}'::jsonb",
               "expected_purchases": "1.5", "expected_spend": "100", "model": "'bg_nbd'",
               **values}
    cursor.execute("SELECT column_name, is_nullable = 'NO' AND column_default IS NULL"
                   " FROM information_schema.columns"
                   " WHERE table_name = 'analytics_customersnapshot' AND column_name <> 'id'")
    table_columns = dict(cursor.fetchall())
    missing = [c for c, required in table_columns.items() if required and c not in columns]
    if missing:
        raise SystemExit(f"snapshot columns without a value here: {missing}")
    names = [c for c in columns if c in table_columns]
    cursor.execute(
        "INSERT INTO analytics_customersnapshot (" + ", ".join(f'"{c}"' for c in names) + ")"
        " SELECT " + ", ".join(columns[c] for c in names) + " FROM customers_account a" + join
        + " WHERE a.organization_id = %s " + tail, [as_of, as_of, as_of, org_id, *params])
    return cursor.rowcount


def _reference(cursor, org_id: int, as_of: object, packages: dict[str, int],
               rule_id: int) -> dict[str, object]:
    """The bare SQL of the same conditions: targets, differences, the rule's new matches."""
    started = time.perf_counter()
    cursor.execute("DROP TABLE IF EXISTS ref_target")
    cursor.execute(
        "CREATE TEMPORARY TABLE ref_target AS SELECT a.id AS account_id, CASE"
        " WHEN s.profit_segment = 'High' AND s.value_tier IN ('Platinum', 'Gold') THEN %s"
        " WHEN s.profit_segment IN ('High', 'Medium') THEN %s"
        " WHEN s.profit_segment IS NOT NULL AND s.profit_segment <> '' THEN %s END AS package_id"
        " FROM customers_account a JOIN analytics_customersnapshot s ON s.account_id = a.id"
        " AND s.organization_id = %s AND s.as_of = %s WHERE a.organization_id = %s",
        [packages["Premium"], packages["Preferente"], packages["Esencial"], org_id, as_of,
         org_id])
    cursor.execute(
        "SELECT count(*) FROM ref_target t FULL JOIN packages_accountpackage p"
        " ON p.account_id = t.account_id WHERE t.package_id IS DISTINCT FROM p.package_id")
    differ = cursor.fetchone()[0]
    cursor.execute(
        "SELECT a.id FROM customers_account a JOIN analytics_customersnapshot s"
        " ON s.account_id = a.id AND s.organization_id = %s AND s.as_of = %s"
        " WHERE a.organization_id = %s AND a.active AND s.p_alive < 0.5"
        " AND s.value_tier IN ('Platinum', 'Gold') AND NOT EXISTS (SELECT 1 FROM"
        " automation_episode e WHERE e.rule_id = %s AND e.closed_at IS NULL"
        " AND e.record_key = 'customers.account:' || a.uuid::text)",
        [org_id, as_of, org_id, rule_id])
    at_risk = len(cursor.fetchall())
    return {"seconds": time.perf_counter() - started, "differ": differ, "at_risk": at_risk}


def _check(cursor) -> int:
    """Accounts, not pinned and not waiting for approval, whose package is not the
    reference's."""
    cursor.execute(
        "SELECT count(*) FROM ref_target t FULL JOIN packages_accountpackage p"
        " ON p.account_id = t.account_id WHERE t.package_id IS DISTINCT FROM p.package_id"
        " AND NOT COALESCE(p.pinned, false) AND NOT EXISTS (SELECT 1 FROM"
        " packages_packagechange c WHERE c.account_id = COALESCE(t.account_id, p.account_id)"
        " AND c.status = 'pending')")
    return cursor.fetchone()[0]


def run(args: argparse.Namespace) -> list[dict[str, object]]:
    import datetime as dt

    from django.db import connection
    from django.urls import reverse
    from django.utils import timezone

    from vinculo.analytics.models import AnalyticsRun, RunStatus
    from vinculo.automation import engine
    from vinculo.automation.models import Firing, Rule, TriggerKind
    from vinculo.core.models import Organization
    from vinculo.core.tenancy import organization_scope
    from vinculo.packages.models import ServicePackage
    from vinculo.packages.services import packages_evaluate

    # the URL configuration is loaded once per process (a worker's first reverse() imports
    # every view); load it before timing, as bench/sla_scan.py does
    reverse("packages:change_list")
    org = Organization.objects.get(name="Vínculo Demo")
    demo_run = (AnalyticsRun.all_objects.filter(organization=org, status=RunStatus.DONE)
                .order_by("-as_of").first())
    packages = dict(ServicePackage.all_objects.filter(organization=org)
                    .values_list("name", "id"))
    rule = Rule.all_objects.get(organization=org, kind=TriggerKind.ANALYTICS)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*), min(id) FROM customers_account WHERE"
                       " organization_id = %s", [org.pk])
        accounts, template = cursor.fetchone()
        if accounts < args.accounts:
            # a smaller demo grown to the size: copies of one account, owned like the demo's
            cursor.execute("SELECT DISTINCT owner_id FROM customers_account WHERE"
                           " organization_id = %s AND owner_id IS NOT NULL", [org.pk])
            owners = ", ".join(str(row[0]) for row in cursor.fetchall())
            missing = args.accounts - accounts
            say(f"adding {missing:,} accounts (copies of one, setup) …")
            started = time.perf_counter()
            clone_rows(cursor, "customers_account", template, f"generate_series(1, {missing}) g",
                       {"uuid": "gen_random_uuid()", "name": "'Cliente ' || g",
                        "owner_id": f"(ARRAY[{owners}])[1 + g %% {owners.count(',') + 1}]"})
            say(f"  {time.perf_counter() - started:.0f} s")
    say(f"scoring every account on the demo's run of {demo_run.as_of} (setup) …")
    with connection.cursor() as cursor:
        started = time.perf_counter()
        added = _insert_snapshots(
            cursor, org.pk, demo_run.as_of, _values(0),
            "AND NOT EXISTS (SELECT 1 FROM analytics_customersnapshot s WHERE"
            " s.organization_id = a.organization_id AND s.account_id = a.id AND s.as_of = %s)",
            (demo_run.as_of,))
        cursor.execute("VACUUM ANALYZE analytics_customersnapshot")
        cursor.execute("VACUUM ANALYZE customers_account")
        say(f"  {added:,} snapshots in {time.perf_counter() - started:.0f} s")
    rounds = []
    for label in ("first", "next"):
        as_of = demo_run.as_of
        if label == "next":
            as_of = demo_run.as_of + dt.timedelta(days=1)
            say(f"the next day's run: {args.moved} % of the customers drawn again (setup) …")
            AnalyticsRun.all_objects.create(organization=org, as_of=as_of,
                                            status=RunStatus.DONE, progress=100,
                                            finished_at=timezone.now())
            # those drawn again get new values; the others keep theirs (the demo's scores too)
            moved = f"((a.id * 7919) %% 100) < {args.moved}"
            fresh = _values(104729)
            values = {k: f"CASE WHEN {moved} THEN {fresh[k]} ELSE o.{k} END" for k in fresh}
            with connection.cursor() as cursor:
                n = _insert_snapshots(
                    cursor, org.pk, as_of, values,
                    "AND o.organization_id = a.organization_id AND o.account_id = a.id"
                    " AND o.as_of = %s", (demo_run.as_of,),
                    join=", analytics_customersnapshot o")
                cursor.execute("VACUUM ANALYZE analytics_customersnapshot")
                say(f"  {n:,} snapshots")
        with connection.cursor() as cursor:
            reference = _reference(cursor, org.pk, as_of, packages, rule.pk)
        say(f"[{label}] reference {reference['seconds']:.2f} s; packages_evaluate "
            f"(load {load()}) …")
        firings_before = Firing.all_objects.filter(rule=rule).count()
        profile = cProfile.Profile() if args.profile else None
        with organization_scope(org):
            started = time.perf_counter()
            if profile:
                profile.enable()
            result = packages_evaluate(organization=org)
            if profile:
                profile.disable()
                pstats.Stats(profile, stream=sys.stderr).sort_stats("cumulative").print_stats(30)
            packages_s = time.perf_counter() - started
        say(f"  {packages_s:.1f} s; exception rules …")
        started = time.perf_counter()
        fired = engine.evaluate_all(org, kinds=(TriggerKind.ANALYTICS,))
        rules_s = time.perf_counter() - started
        firings = Firing.all_objects.filter(rule=rule).count() - firings_before
        with connection.cursor() as cursor:
            wrong = _check(cursor)
        say(f"  {rules_s:.1f} s")
        rounds.append({
            "round": label, "as_of": str(as_of), "packages_s": packages_s,
            "rules_s": rules_s, "reference_s": reference["seconds"],
            "applied": result.applied, "pending": result.pending,
            "unchanged": result.unchanged, "notified": result.notified,
            "ref_differ": reference["differ"], "fired": fired, "firings": firings,
            "ref_at_risk": reference["at_risk"], "wrong": wrong, "load": load()})
    return rounds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_arguments(parser)
    parser.add_argument("--moved", type=int, default=5,
                        help="Percent of the customers drawn again for the next day's run.")
    parser.add_argument("--accounts", type=int, default=1_000_000,
                        help="Accounts to evaluate: a smaller demo is grown to this many with "
                             "copies of one of its accounts (setup).")
    parser.add_argument("--profile", action="store_true",
                        help="cProfile packages_evaluate (printed to stderr; slows it down).")
    args = parser.parse_args()
    db = open_database(args)
    try:
        source = db.env["DATABASE_URL"].rsplit("/", 1)[1]
        say(f"copying {source} to {COPY} …")
        pg_drop(COPY)
        with pg_admin_connect() as conn:
            conn.execute(f'CREATE DATABASE "{COPY}" TEMPLATE "{source}"')
        os.environ["DATABASE_URL"] = f"{PG_SERVER}/{COPY}"
        try:
            django_setup()
            rounds = run(args)
        finally:
            from django.db import connections

            connections.close_all()
            pg_drop(COPY)
    finally:
        close_database(db, args)

    headers = ("round", "packages s", "rules s", "total s", "bare SQL s", "ratio",
               "moved (applied + pending) / bare SQL", "rule fired / bare SQL",
               "packages ≠ bare SQL", "load (1/5/15 min)", f"≤ {TARGET_S:.0f} s")
    rows = []
    for r in rounds:
        total = r["packages_s"] + r["rules_s"]
        right = r["wrong"] == 0 and r["fired"] == r["ref_at_risk"]
        rows.append((
            r["round"], f"{r['packages_s']:.1f}", f"{r['rules_s']:.1f}", f"{total:.1f}",
            f"{r['reference_s']:.2f}", f"{total / max(r['reference_s'], 1e-6):.1f}×",
            f"{r['applied']:,} + {r['pending']:,} / {r['ref_differ']:,}",
            f"{r['fired']:,} / {r['ref_at_risk']:,}", f"{r['wrong']:,}", r["load"],
            "PASS" if total <= TARGET_S and right else "FAIL"))
    print(table(headers, rows))
    for r in rounds:
        print(f"  {r['round']}: unchanged {r['unchanged']:,}, owners e-mailed {r['notified']}, "
              f"firings logged {r['firings']:,}")
    print("\nMarkdown for the README:")
    print(markdown(headers, rows))
    return 0 if all(row[-1] == "PASS" for row in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
