"""Response times of the contact pages and API with a million contacts, SQLite and PostgreSQL.

Loads ``vinculo demo --customers N`` into a fresh database when it has fewer contacts (or uses a
database given with ``--reuse URL``, e.g. one kept by ``bench/demo.py --keep``), then measures,
in-process with Django's test ``Client`` (no network, no web server; the full middleware stack,
session login for pages via ``force_login`` as the demo administrator, ``Authorization: Token``
for the API, ``DEBUG=0``):

  list page      GET /customers/contacts/                 first page, default order
  search page    GET /customers/contacts/?q=<term>        surnames and e-mail prefixes that exist
  360 page       GET /customers/contacts/<uuid>/          random contacts
  API list       GET /api/contacts/
  API search     GET /api/contacts/?q=<term>
  API detail     GET /api/contacts/<uuid>/
  home (admin)   GET /  key figures first, then tasks, opportunities, tickets
  home (rep)     GET /  as a sales representative (opportunities first)
  home (agent)   GET /  as a service agent (tickets first)

Each: ``--warmup`` requests, then ``--requests`` timed ones (p50 and p95). Reference, same run:
the bare SQL that fetches the same rows (same WHERE, ORDER BY and LIMIT as the page's main
query) through a cursor, timed the same way; the ratio is page p95 / SQL p95 (the home page has
no single main query: its reference is every SELECT of one request replayed bare). The query count
of one request (CaptureQueriesContext) and its slowest queries are printed to explain a miss;
on PostgreSQL the plan of the search shows whether the pg_trgm index is used.

    .venv/bin/python bench/customer_lists.py [--customers 1000000] [--only sqlite|postgresql]
        [--reuse URL ...] [--requests 50] [--warmup 5] [--keep]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (
    PYTHON,
    Database,
    existing_database,
    markdown,
    percentile,
    pg_available,
    pg_database,
    say,
    sqlite_database,
    table,
)

TARGET_MS = 150.0  # p95 on PostgreSQL
# The targets: the list, a name/e-mail search and the 360° page, the API list and detail.
# The API search is measured too, as information.
TARGETED = {"list page", "search page", "360 page", "API list", "API detail", "home (admin)",
            "home (rep)", "home (agent)"}
PAGE_SIZE = 25


# ---- the worker: runs inside Django, against one database ---------------------------------------


def worker(requests: int, warmup: int) -> dict:
    import django

    django.setup()
    import random

    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from vinculo.core.models import Organization, User
    from vinculo.core.roles import Role
    from vinculo.core.services import api_token_create
    from vinculo.customers.normalize import fold, search_term

    org = Organization.objects.get(name="Vínculo Demo")
    admin = User.objects.filter(organization=org, role=Role.ADMIN).order_by("pk").first()
    _token, key = api_token_create(user=admin, name="bench")
    page = Client()
    page.force_login(admin)
    by_role = {}
    for role in (Role.SALES_REP, Role.SERVICE_AGENT):
        by_role[role] = Client()
        by_role[role].force_login(
            User.objects.filter(organization=org, role=role).order_by("pk").first())
    api = Client(HTTP_AUTHORIZATION=f"Token {key}")
    pg = connection.vendor == "postgresql"

    rnd = random.Random(42)
    with connection.cursor() as cursor:
        cursor.execute("SELECT MIN(id), MAX(id) FROM customers_contact WHERE organization_id = %s",
                       [org.pk])
        low, high = cursor.fetchone()
        ids = rnd.sample(range(low, high + 1), min(400, high - low + 1))
        cursor.execute(
            "SELECT uuid, last_name, email FROM customers_contact WHERE organization_id = %s "
            f"AND id IN ({', '.join(map(str, ids))})", [org.pk])
        sample = cursor.fetchall()
    rnd.shuffle(sample)
    uuids = [str(u) if pg else f"{u[:8]}-{u[8:12]}-{u[12:16]}-{u[16:20]}-{u[20:]}"
             for u, _l, _e in sample]
    surnames = list(dict.fromkeys(fold(last.split(" ")[0]) for _u, last, _e in sample))
    prefixes = list(dict.fromkeys(email.split("@")[0][:7] for _u, _l, email in sample if email))
    terms = [t for pair in zip(surnames, prefixes, strict=False) for t in pair][:50]
    total = warmup + requests

    def param(i: int, values: list[str]) -> str:
        return values[i % len(values)]

    raw_uuid = (lambda u: u) if pg else (lambda u: u.replace("-", ""))
    like = "search_text::text LIKE %s" if pg else "search_text LIKE %s ESCAPE '\\'"
    list_sql = ("SELECT * FROM customers_contact WHERE organization_id = %s "
                f"ORDER BY full_name, id LIMIT {PAGE_SIZE + 1}")
    # the same ordering the pages use for a searched list (core.pagination.order_matches)
    search_sql = (f"SELECT * FROM customers_contact WHERE organization_id = %s AND {like} "
                  f"ORDER BY COALESCE(full_name, full_name), COALESCE(id, id) "
                  f"LIMIT {PAGE_SIZE + 1}")
    detail_sql = "SELECT * FROM customers_contact WHERE uuid = %s"
    endpoints = [
        ("list page", page, lambda i: "/customers/contacts/", list_sql, lambda i: [org.pk]),
        ("search page", page, lambda i: f"/customers/contacts/?q={param(i, terms)}",
         search_sql, lambda i: [org.pk, f"%{search_term(param(i, terms))}%"]),
        ("360 page", page, lambda i: f"/customers/contacts/{param(i, uuids)}/", detail_sql,
         lambda i: [raw_uuid(param(i, uuids))]),
        ("API list", api, lambda i: "/api/contacts/", list_sql, lambda i: [org.pk]),
        ("API search", api, lambda i: f"/api/contacts/?q={param(i, terms)}", search_sql,
         lambda i: [org.pk, f"%{search_term(param(i, terms))}%"]),
        ("API detail", api, lambda i: f"/api/contacts/{param(i, uuids)}/", detail_sql,
         lambda i: [raw_uuid(param(i, uuids))]),
        ("home (admin)", page, lambda i: "/", None, None),
        ("home (rep)", by_role[Role.SALES_REP], lambda i: "/", None, None),
        ("home (agent)", by_role[Role.SERVICE_AGENT], lambda i: "/", None, None),
    ]
    results = []
    for name, client, url, sql, params in endpoints:
        times, sql_times = [], []
        for i in range(total):
            started = time.perf_counter()
            response = client.get(url(i))
            elapsed = time.perf_counter() - started
            if response.status_code != 200:
                raise SystemExit(f"{name}: {url(i)} answered {response.status_code}")
            if i >= warmup:
                times.append(elapsed * 1000)
        replay = []
        if sql is None:  # the page's own queries, as one request sent them
            with CaptureQueriesContext(connection) as captured:
                client.get(url(0))
            replay = [q["sql"] for q in captured.captured_queries
                      if q["sql"].lstrip().upper().startswith("SELECT")]
        for i in range(total):
            with connection.cursor() as cursor:
                started = time.perf_counter()
                if sql is None:
                    for query in replay:
                        cursor.execute(query)
                        cursor.fetchall()
                else:
                    cursor.execute(sql, params(i))
                    cursor.fetchall()
                elapsed = time.perf_counter() - started
            if i >= warmup:
                sql_times.append(elapsed * 1000)
        with CaptureQueriesContext(connection) as captured:
            client.get(url(0))
        slowest = sorted(captured.captured_queries, key=lambda q: -float(q["time"]))[:3]
        results.append({
            "endpoint": name, "example": url(0), "p50": percentile(times, 50),
            "p95": percentile(times, 95), "sql_p50": percentile(sql_times, 50),
            "sql_p95": percentile(sql_times, 95), "queries": len(captured),
            "slowest": [(round(float(q["time"]) * 1000, 1),
                         re.sub(r"^SELECT .*? FROM", "SELECT … FROM", q["sql"], count=1)[:300])
                        for q in slowest],
        })
    plans = {}
    if pg:
        term = f"%{search_term(terms[0])}%"
        with connection.cursor() as cursor:
            for label, sql in (("search page query", search_sql),
                               ("matching rows only", "SELECT id FROM customers_contact WHERE "
                                "organization_id = %s AND search_text::text LIKE %s")):
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, [org.pk, term])
                plans[label] = [row[0] for row in cursor.fetchall()]
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM customers_contact WHERE organization_id = %s",
                       [org.pk])
        contacts = cursor.fetchone()[0]
    return {"vendor": connection.vendor, "contacts": contacts, "terms": terms[:10],
            "results": results, "plans": plans}


def contact_count(db: Database) -> int:
    code = ("import django; django.setup(); from django.db import connection\n"
            "c = connection.cursor()\n"
            "try:\n    c.execute('SELECT COUNT(*) FROM customers_contact')\n"
            "    print(c.fetchone()[0])\n"
            "except Exception:\n    print(0)\n")
    done = subprocess.run([PYTHON, "-c", code], env=db.env, text=True, capture_output=True,
                          check=True)
    return int(done.stdout.strip() or 0)


def measure(db: Database, args: argparse.Namespace) -> dict:
    db.vinculo("migrate", "--verbosity", "0")
    have = contact_count(db)
    if have < args.customers:
        say(f"[{db.vendor}] loading {args.customers:,} contacts (vinculo demo --reset)")
        db.vinculo("demo", "--customers", str(args.customers), "--reset", "--no-progress")
    say(f"[{db.vendor}] measuring")
    done = subprocess.run(
        [PYTHON, __file__, "--worker", "--requests", str(args.requests), "--warmup",
         str(args.warmup)], env=db.env, text=True, capture_output=True)
    if done.returncode:
        raise SystemExit(f"worker failed on {db.vendor}:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--only", choices=("sqlite", "postgresql"))
    parser.add_argument("--reuse", action="append", default=[], metavar="URL",
                        help="DATABASE_URL of an already loaded database (sqlite:///path or "
                             "postgres://…); it is not dropped. May be given once per vendor.")
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--keep", action="store_true", help="Keep the databases it created.")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.requests, args.warmup)))
        return

    reused = {("sqlite" if u.startswith("sqlite") else "postgresql"): u for u in args.reuse}
    reports = []
    for vendor in ("sqlite", "postgresql"):
        if args.only not in (None, vendor):
            continue
        if vendor in reused:
            db = existing_database(reused[vendor])
        elif vendor == "postgresql" and not pg_available():
            say("PostgreSQL does not answer: skipped")
            continue
        else:
            db = sqlite_database() if vendor == "sqlite" else pg_database("vinculo_bench_lists")
        try:
            reports.append(measure(db, args))
        finally:
            if args.keep and db.owned:
                say(f"[{vendor}] kept: --reuse {db.url}")
            else:
                db.drop()

    headers = ("database", "contacts", "endpoint", "p50 ms", "p95 ms", "bare SQL p95 ms",
               "ratio", "queries", f"p95 ≤ {TARGET_MS:.0f} ms (PG)")
    rows = []
    for report in reports:
        for r in report["results"]:
            verdict = ("PASS" if r["p95"] <= TARGET_MS else "FAIL") \
                if report["vendor"] == "postgresql" and r["endpoint"] in TARGETED else "-"
            rows.append((report["vendor"], f"{report['contacts']:,}", r["endpoint"],
                         f"{r['p50']:.1f}", f"{r['p95']:.1f}", f"{r['sql_p95']:.2f}",
                         f"{r['p95'] / max(r['sql_p95'], 1e-6):.0f}×", r["queries"], verdict))
    print(table(headers, rows))
    for report in reports:
        print(f"\n== {report['vendor']}: search terms used (first 10): {report['terms']}")
        for r in report["results"]:
            print(f"-- {r['endpoint']} ({r['example']}): {r['queries']} queries; slowest:")
            for ms, sql in r["slowest"]:
                print(f"   {ms:8.1f} ms  {sql}")
        for label, plan in report["plans"].items():
            used = any("search_trgm" in line for line in plan)
            print(f"\n-- EXPLAIN ANALYZE, {label} (pg_trgm index used: {'yes' if used else 'no'})")
            print("\n".join("   " + line for line in plan[:25]))
    print("\nMarkdown for the README:")
    print(markdown(headers, rows))
    if os.environ.get("BENCH_STRICT") and any(row[-1] == "FAIL" for row in rows):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
