"""Marketing at the size of a real customer base: segments (this part) and campaign sending
(added beside it: ``bench_campaigns()``).

    .venv/bin/python bench/marketing.py [--customers 1000000] [--only sqlite|postgresql]
        [--reuse URL ...] [--keep]

Segments: a fresh database per engine filled by ``vinculo demo --customers N`` (accounts,
contacts, memberships, consents, orders, tickets, interactions, two analytics runs), then every
account gets a snapshot on the latest finished run (one ``INSERT … SELECT``: the demo scores
only the accounts that have orders). A contact segment with four conditions — e-mail consent,
CLV ≥ 500 (analytics, of the contact's account), at least one order in the last 365 days
(activity) and lifecycle stage not "former" — is counted (the builder's live count) and
materialised (``segment_refresh``: a first refresh where everybody enters, and a second where
nobody moves). Reference: the bare SQL of the same rule, hand-written with ``EXISTS``, in the
same run (its count, and ``CREATE TEMPORARY TABLE … AS`` of its rows for the materialisation).
Targets on PostgreSQL: count ≤ 1 s, materialise ≤ 15 s.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (
    ROOT,
    Database,
    existing_database,
    markdown,
    pg_available,
    pg_database,
    say,
    sqlite_database,
    table,
)

COUNT_TARGET_S = 1.0
MATERIALISE_TARGET_S = 15.0
CLV_AT_LEAST = 500
RULE = {"match": "all", "conditions": [
    {"field": "consent.email", "op": "eq", "value": True},
    {"field": "analytics.clv", "op": "gte", "value": CLV_AT_LEAST},
    {"field": "activity.orders", "op": "gte", "value": 1, "days": 365},
    {"field": "contact.lifecycle_stage", "op": "ne", "value": "former"},
]}


def django_setup() -> None:
    sys.path.insert(0, str(ROOT / "src"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vinculo.settings")
    os.environ["DEBUG"] = "0"
    import django

    django.setup()


def _best(fn, runs: int = 3) -> tuple[float, float, object]:  # type: ignore[no-untyped-def]
    """(first, best) wall time of ``runs`` calls, and the last result."""
    times, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return times[0], min(times), result


def _score_every_account(org_id: int) -> tuple[object, int]:
    """A snapshot on the latest finished run for every account that has none (values drawn
    from the id, so the run is repeatable): one INSERT … SELECT."""
    from django.db import connection

    from vinculo.analytics.models import AnalyticsRun, RunStatus

    as_of = (AnalyticsRun.all_objects.filter(organization_id=org_id, status=RunStatus.DONE)
             .order_by("-as_of").values_list("as_of", flat=True).first())
    day = connection.ops.adapt_datefield_value(as_of)
    # a text literal in a SELECT list is text on PostgreSQL: the JSON column needs its cast
    empty_json = "'{}'::jsonb" if connection.vendor == "postgresql" else "'{}'"
    with connection.cursor() as c:
        c.execute(
            "INSERT INTO analytics_customersnapshot (organization_id, account_id, as_of,"
            " first_purchase, last_purchase, recency_days, frequency, monetary, \"T\", r_score,"
            " f_score, m_score, rfm_segment, p_alive, expected_purchases, expected_spend, clv,"
            " revenue, cost_of_goods, cost_to_serve, cost_breakdown, profit, profit_segment,"
            " value_tier)"
            " SELECT a.organization_id, a.id, %s, %s, %s, (a.id * 7) %% 400, a.id %% 9, 100,"
            " 400, 1 + a.id %% 5, 1 + (a.id / 5) %% 5, 1 + (a.id / 25) %% 5, 'Loyal',"
            " (a.id %% 100) / 100.0, 1.5, 100, (a.id * 37) %% 2000, (a.id * 13) %% 3000, 0, 10,"
            f" {empty_json}, (a.id * 13) %% 3000 - 500, 'Medium', 'Iron'"
            " FROM customers_account a WHERE a.organization_id = %s AND NOT EXISTS ("
            "SELECT 1 FROM analytics_customersnapshot s WHERE s.organization_id = %s"
            " AND s.account_id = a.id AND s.as_of = %s)",
            [day, day, day, org_id, org_id, day])
        added = c.rowcount
        # a database at rest has been vacuumed by autovacuum (its visibility map set, so that
        # index-only scans skip the table); just after the bulk load it has not, and a server
        # may run with autovacuum off: vacuum here, for the rule's SQL and the bare SQL alike
        c.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    return as_of, added


def _bare_sql(org_id: int, as_of: object, since: object) -> tuple[str, list[object]]:
    """The same rule, hand-written."""
    from django.db import connection

    day = connection.ops.adapt_datefield_value(as_of)
    return (
        "SELECT c.id FROM customers_contact c WHERE c.organization_id = %s AND c.active"
        " AND c.lifecycle_stage <> 'former'"
        " AND EXISTS (SELECT 1 FROM customers_consent k WHERE k.contact_id = c.id"
        "  AND k.channel = 'email' AND k.granted)"
        " AND EXISTS (SELECT 1 FROM customers_accountcontact m JOIN analytics_customersnapshot s"
        "  ON s.account_id = m.account_id WHERE m.contact_id = c.id AND s.organization_id = %s"
        "  AND s.as_of = %s AND s.clv >= %s)"
        " AND EXISTS (SELECT 1 FROM customers_accountcontact m2 JOIN sales_order o"
        "  ON o.account_id = m2.account_id WHERE m2.contact_id = c.id AND o.organization_id = %s"
        "  AND o.status <> 'cancelled' AND o.ordered_on > %s)",
        [org_id, org_id, day, CLV_AT_LEAST, org_id, connection.ops.adapt_datefield_value(since)])


def bench_segments() -> dict[str, object]:
    """Count and materialise the four-condition segment; the figures as a dictionary."""
    django_setup()
    import datetime as dt

    from django.db import connection
    from django.utils import timezone

    from vinculo.core.audit import acting_as
    from vinculo.core.demo import DEFAULT_ORG_NAME
    from vinculo.core.models import Organization, User
    from vinculo.core.tenancy import organization_scope
    from vinculo.customers.models import Contact
    from vinculo.segments import rules, selectors, services
    from vinculo.segments.models import Segment

    org = Organization.objects.get(name=DEFAULT_ORG_NAME)
    admin = User.objects.filter(organization=org, role="admin").order_by("id").first()
    with organization_scope(org), acting_as(admin):
        contacts = Contact.objects.count()
        started = time.perf_counter()
        as_of, added = _score_every_account(org.pk)
        scoring = time.perf_counter() - started
        checked = rules.check(RULE, subject="contacts", organization_id=org.pk)
        matching = rules.matching(checked, subject="contacts", organization_id=org.pk)
        count_first, count_best, count = _best(lambda: selectors.fast_count(matching))
        sql, params = _bare_sql(org.pk, as_of, timezone.localdate() - dt.timedelta(days=365))

        def bare_count() -> int:
            with connection.cursor() as c:
                c.execute(f"SELECT COUNT(*) FROM ({sql}) t", params)
                return c.fetchone()[0]
        ref_first, ref_best, ref_count = _best(bare_count)
        Segment.all_objects.filter(organization=org, name="Bench").delete()
        segment = services.segment_create(actor=admin, name="Bench", rule=RULE)
        started = time.perf_counter()
        first = services.segment_refresh(segment=segment, actor=admin)
        refresh_first = time.perf_counter() - started
        started = time.perf_counter()
        again = services.segment_refresh(segment=segment, actor=admin)
        refresh_again = time.perf_counter() - started

        def bare_materialise() -> None:
            with connection.cursor() as c:
                c.execute("DROP TABLE IF EXISTS bench_bare_members")
                c.execute(f"CREATE TEMPORARY TABLE bench_bare_members AS {sql}", params)
                c.execute("DROP TABLE bench_bare_members")
        _f, ref_materialise, _r = _best(bare_materialise)
    return {"vendor": connection.vendor, "contacts": contacts, "snapshots_added": added,
            "scoring_s": scoring, "count": count, "ref_count": ref_count,
            "count_first_s": count_first, "count_s": count_best, "ref_count_s": ref_best,
            "ref_count_first_s": ref_first, "refresh_s": refresh_first,
            "refresh_again_s": refresh_again, "entered": first.entered,
            "members": again.members, "moved_again": again.entered + again.left,
            "ref_materialise_s": ref_materialise}


def report(figures: dict[str, object]) -> list[list[object]]:
    f = figures
    pg = f["vendor"] == "postgresql"
    count_ok = (f["count_s"] <= COUNT_TARGET_S) if pg else True  # type: ignore[operator]
    mat_ok = (f["refresh_s"] <= MATERIALISE_TARGET_S) if pg else True  # type: ignore[operator]
    print(f"== segments on {f['vendor']}: {f['contacts']:,} contacts ==")
    print(f"  snapshots added for accounts the demo did not score: {f['snapshots_added']:,}"
          f" ({f['scoring_s']:.1f} s)")
    print(f"  members: {f['count']:,} (bare SQL: {f['ref_count']:,})"
          f" {'same' if f['count'] == f['ref_count'] else 'DIFFERENT'}")
    rows = [
        ["count (live preview)", f"{f['count_s']:.3f} s (first {f['count_first_s']:.3f} s)",
         f"{f['ref_count_s']:.3f} s", f"{f['count_s'] / max(f['ref_count_s'], 1e-9):.2f}x",  # type: ignore[operator]
         ("PASS" if count_ok else "FAIL") + (" ≤ 1 s" if pg else "")],
        ["materialise (all enter)", f"{f['refresh_s']:.2f} s", f"{f['ref_materialise_s']:.2f} s",
         f"{f['refresh_s'] / max(f['ref_materialise_s'], 1e-9):.2f}x",  # type: ignore[operator]
         ("PASS" if mat_ok else "FAIL") + (" ≤ 15 s" if pg else "")],
        ["materialise (nobody moves)", f"{f['refresh_again_s']:.2f} s",
         f"{f['ref_materialise_s']:.2f} s",
         f"{f['refresh_again_s'] / max(f['ref_materialise_s'], 1e-9):.2f}x", ""],  # type: ignore[operator]
    ]
    print(table(["step", "segments", "bare SQL", "ratio", "target"], rows))
    print(f"  entered {f['entered']:,}; second refresh moved {f['moved_again']}")
    return [[f["vendor"], f"{f['contacts']:,}", f"{f['count']:,}", *row] for row in rows]


def _load(db: Database, customers: int) -> None:
    say(f"{db.vendor}: migrate and load the demo ({customers:,} contacts)…")
    started = time.perf_counter()
    db.vinculo("migrate", "--no-input")
    db.vinculo("demo", "--customers", str(customers), "--no-progress")
    say(f"{db.vendor}: loaded in {time.perf_counter() - started:.0f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--only", choices=("sqlite", "postgresql"))
    parser.add_argument("--reuse", nargs="*", default=[], metavar="URL")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--phase", choices=("segments",), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase == "segments":
        import json

        print("FIGURES " + json.dumps(bench_segments(), default=str))
        return
    databases: list[Database] = [existing_database(url) for url in args.reuse]
    if not databases:
        if args.only in (None, "postgresql") and pg_available():
            databases.append(pg_database("vinculo_bench_marketing"))
        if args.only in (None, "sqlite"):
            databases.append(sqlite_database())
    markdown_rows = []
    try:
        for db in databases:
            if db.owned:
                _load(db, args.customers)
            done = subprocess.run([sys.executable, __file__, "--phase", "segments"],
                                  env=db.env, text=True, capture_output=True)
            if done.returncode:
                say(done.stderr[-4000:])
                args.keep = True  # keep the loaded database to measure again with --reuse
                raise SystemExit(f"{db.vendor}: the segment measurement failed")
            import json

            line = next(x for x in done.stdout.splitlines() if x.startswith("FIGURES "))
            markdown_rows += report(json.loads(line.removeprefix("FIGURES ")))
            # the campaigns part (bench_campaigns) runs here once it exists
    finally:
        for db in databases:
            if args.keep and db.owned:
                print(f"  kept: --reuse {db.url}")
            else:
                db.drop()
    print()
    print(markdown(["database", "contacts", "members", "step", "segments", "bare SQL", "ratio",
                    "target"], markdown_rows))


if __name__ == "__main__":
    main()
