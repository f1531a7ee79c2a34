"""The kanban board of a pipeline with 10,000 open opportunities: p95 of the page.

    .venv/bin/python bench/kanban.py [--opportunities 10000] [--requests 40]
        [--only sqlite|postgresql]

For each database (a fresh SQLite file and a fresh PostgreSQL database ``vinculo_bench_kanban``,
created and dropped here): ``vinculo migrate``, one organisation with its default pipeline, 2,000
accounts and N open opportunities spread over the open stages (plus 5 % closed in the last 30
days, which the board shows too), owned by three users. Then ``GET /sales/board/`` as the
administrator with Django's test client, in-process (the whole middleware stack and templates,
``DEBUG=0``): 5 untimed requests, then ``--requests`` timed ones. Target: p95 ≤ 300 ms.

Reference, same run: the board's own SQL run bare with a cursor — the per-stage count and sum
(one GROUP BY) and the first 50 cards of each column — p95 over the same number of runs. The
ratio is page p95 / bare SQL p95.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (
    markdown,
    percentile,
    pg_available,
    pg_database,
    say,
    sqlite_database,
    table,
)

TARGET_MS = 300.0


def inner(opportunities: int, requests: int) -> dict:
    import django

    django.setup()
    from decimal import Decimal

    import numpy as np
    from django.db import connection, transaction
    from django.test import Client
    from django.utils import timezone

    from vinculo.core.models import Organization
    from vinculo.core.services import user_create
    from vinculo.core.tenancy import organization_scope
    from vinculo.customers.models import Account
    from vinculo.sales import selectors, services
    from vinculo.sales.models import Opportunity, Stage

    org = Organization.objects.create(name="Kanban bench", country="ES")
    users = [user_create(organization=org, email=f"u{i}@bench.test", password="x-Bench-2026!",
                         role=role) for i, role in enumerate(("admin", "sales_rep", "sales_rep"))]
    rng = np.random.default_rng(5)
    with organization_scope(org), transaction.atomic():
        pipeline = services.pipeline_default(organization=org)
        stages = list(Stage.objects.filter(pipeline=pipeline).order_by("order"))
        open_stages = [s for s in stages if s.kind == "open"]
        closed = [s for s in stages if s.kind != "open"]
        accounts = Account.objects.bulk_create(
            [Account(organization=org, name=f"Cuenta {i:05d} SL", search_text=f"cuenta {i:05d}")
             for i in range(2000)], batch_size=1000)
        now = timezone.now()
        rows = []
        for i in range(opportunities + opportunities // 20):  # N open, and 5 % more closed
            is_closed = i >= opportunities
            stage = closed[i % 2] if is_closed else open_stages[i % len(open_stages)]
            rows.append(Opportunity(
                organization=org, name=f"Oportunidad {i}", account=accounts[i % len(accounts)],
                pipeline=pipeline, stage=stage, probability=stage.probability,
                amount=Decimal(int(rng.integers(100, 50_000))), currency="EUR",
                owner=users[i % 3], status={"won": "won", "lost": "lost"}.get(stage.kind, "open"),
                closed_at=now if is_closed else None,
                expected_close=(now + timezone.timedelta(days=int(rng.integers(0, 200)))).date()))
        Opportunity.objects.bulk_create(rows, batch_size=2000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    client = Client()
    client.force_login(users[0])
    page_ms = []
    for i in range(5 + requests):
        started = time.perf_counter()
        response = client.get("/sales/board/")
        elapsed = (time.perf_counter() - started) * 1000
        assert response.status_code == 200, response.status_code
        if i >= 5:
            page_ms.append(elapsed)
    body = response.content.decode()
    with organization_scope(org):
        columns = selectors.board(pipeline=pipeline, user=users[0])
    shown = sum(len(c.cards) for c in columns)
    counted = sum(c.count for c in columns)
    recent = now - timezone.timedelta(days=30)
    group_sql = ("SELECT stage_id, COUNT(id), SUM(amount) FROM sales_opportunity "
                 "WHERE organization_id = %s AND pipeline_id = %s AND "
                 "(status = 'open' OR closed_at >= %s) GROUP BY stage_id")
    cards_sql = ("SELECT o.*, a.name FROM sales_opportunity o JOIN customers_account a "
                 "ON a.id = o.account_id WHERE o.organization_id = %s AND o.pipeline_id = %s "
                 "AND o.stage_id = %s AND (o.status = 'open' OR o.closed_at >= %s) "
                 "ORDER BY o.expected_close, o.id LIMIT 50")
    sql_ms = []
    with connection.cursor() as cursor:
        for i in range(5 + requests):
            started = time.perf_counter()
            cursor.execute(group_sql, [org.pk, pipeline.pk, recent])
            cursor.fetchall()
            for stage in stages:
                cursor.execute(cards_sql, [org.pk, pipeline.pk, stage.pk, recent])
                cursor.fetchall()
            if i >= 5:
                sql_ms.append((time.perf_counter() - started) * 1000)
    return {"vendor": connection.vendor, "opportunities": counted, "cards": shown,
            "bytes": len(body), "page": page_ms, "sql": sql_ms}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--opportunities", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    parser.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.inner:
        print(json.dumps(inner(args.opportunities, args.requests)))
        return
    databases = []
    if args.only in (None, "sqlite"):
        databases.append(sqlite_database())
    if args.only in (None, "postgresql") and pg_available():
        databases.append(pg_database("vinculo_bench_kanban"))
    rows = []
    for db in databases:
        try:
            say(f"{db.vendor}: migrate")
            db.vinculo("migrate", "--verbosity", "0")
            say(f"{db.vendor}: {args.opportunities:,} opportunities, {args.requests} requests")
            out = subprocess.run(
                [sys.executable, __file__, "--inner", "--opportunities", str(args.opportunities),
                 "--requests", str(args.requests)], env=db.env, check=True, text=True,
                capture_output=True).stdout
            result = json.loads(out.strip().splitlines()[-1])
        finally:
            db.drop()
        page95, sql95 = percentile(result["page"], 95), percentile(result["sql"], 95)
        rows.append([result["vendor"], f"{result['opportunities']:,}", result["cards"],
                     f"{percentile(result['page'], 50):.1f}", f"{page95:.1f}", f"{sql95:.2f}",
                     f"{page95 / sql95:.0f}×", "PASS" if page95 <= TARGET_MS else "FAIL"])
    headers = ["database", "on the board (open + closed ≤ 30 days)", "cards drawn", "p50 ms",
               "p95 ms", "bare SQL p95 ms", "ratio", f"p95 ≤ {TARGET_MS:.0f} ms"]
    print(table(headers, rows))
    print("\nMarkdown for the README:")
    print(markdown(headers, rows))


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vinculo.settings")
    main()
