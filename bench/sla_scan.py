"""The SLA scan over 100,000 open tickets: one full ``service.services.sla_scan``, timed.

    .venv/bin/python bench/sla_scan.py [--tickets 100000] [--closed 50000] [--resolved 5000]
        [--lag-hours 3] [--customers 3000] [--only sqlite|postgresql]

For each database (a fresh SQLite file and a fresh PostgreSQL database ``vinculo_bench_sla``,
created and dropped here): ``vinculo migrate``, then in a child process with ``DEBUG=0``:

* the demo (``core.demo.demo_run``) for the organisation, its users and ``--customers`` contacts
  with their accounts and service tiers (a few gold accounts are made platinum); the demo's own
  desk (its calendar, policies, queues and tickets) is deleted;
* through the services, as an administrator would: 16 service agents in three teams, two
  business calendars with Spain's public holidays (office hours Monday–Friday, extended hours
  Monday–Saturday), four SLA policies (platinum around the clock, gold on extended hours,
  silver and "any tier" on office hours) with targets for every priority, and four queues —
  round robin with an escalation user, by customer tier with one, manual without one, round
  robin without one;
* ``--tickets`` open tickets (20 % new without a first response, 50 % open, 30 % waiting on the
  customer; some with a finished pause), ``--resolved`` resolved ones (resolved in the last
  week) and ``--closed`` closed ones from the past year, created over the last eight weeks
  (lognormal ages) with the mix of types, priorities, queues, assignees and tiers of a busy
  desk. Their SLA fields are those the service writes: the policy by ``services.policy_for``,
  the due and warning instants and states by ``services.sla._sla_apply`` (``business_hours``) as
  of the previous scan, which ran ``--lag-hours`` before the timed one (a desk catching up
  after a maintenance window: that is what makes a few thousand tickets newly breached);
  tickets breached by then carry their earlier escalation (level, raised priority, escalation
  user). Rows are written by ``core.demo.BulkWriter`` (COPY on PostgreSQL, executemany on
  SQLite), then ANALYZE.

The scan instant is the last Tuesday to Thursday at 12:30 in Madrid that is not a public
holiday. Timed: ``sla_scan(now=…)`` once (flags warnings and breaches, escalates — reassign,
raise priority, a ticket event, audit rows — notifies, closes stale resolved tickets), then a
second time at the same instant (nothing new: the steady-state cost of the every-minute job).
Notifications go through the **immediate** tasks backend to the **locmem** e-mail backend, so
the time includes sending them (to memory) once the scan's transaction commits.

Reference, same run, just before the scan: the scan's own candidate queries (tickets to warn
and to breach, per clock, and the stale resolved ones — the same querysets compiled to SQL) run
bare through a cursor, fetching the ids. The ratio is scan time / reference time. The counts
of the reference must equal what the scan reports, and after the scan the same queries must
find nothing: the script checks both, and that every breach left one ticket event and one
audit row. Target: ≤ 10 s on PostgreSQL.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import say
from _desk import arguments, failures, report, run_on_databases

TARGET_S = 10.0
MADRID = "Europe/Madrid"
OFFICE = {"0": [["09:00", "14:00"], ["15:00", "18:00"]],
          "1": [["09:00", "14:00"], ["15:00", "18:00"]],
          "2": [["09:00", "14:00"], ["15:00", "18:00"]],
          "3": [["09:00", "14:00"], ["15:00", "18:00"]],
          "4": [["08:00", "15:00"]]}
EXTENDED = {str(d): [["08:00", "20:00"]] for d in range(6)}
# (first response, resolution) in business minutes, per priority
TARGETS = {
    "platinum": {"urgent": (15, 240), "high": (30, 480), "normal": (60, 1440),
                 "low": (240, 2880)},
    "gold": {"urgent": (30, 480), "high": (60, 960), "normal": (120, 1920), "low": (480, 3840)},
    "silver": {"urgent": (30, 480), "high": (120, 1440), "normal": (240, 2400),
               "low": (480, 4800)},
    "": {"urgent": (60, 480), "high": (120, 1440), "normal": (480, 2880), "low": (960, 4800)},
}
PRIORITIES = (("low", 0.15), ("normal", 0.55), ("high", 0.22), ("urgent", 0.08))
TYPES = (("request", 0.50), ("incident", 0.25), ("complaint", 0.15), ("return", 0.10))
SUBJECTS = ("No llega el pedido", "Factura duplicada", "Error al acceder al portal",
            "Producto dañado en el envío", "Cambio de dirección de entrega",
            "Order arrived incomplete", "Cannot download the invoice", "Solicitud de devolución",
            "Cobro indebido en la tarjeta", "Consulta sobre la garantía")


def scan_instant(now: dt.datetime) -> dt.datetime:
    """The last Tuesday–Thursday 12:30 in Madrid before ``now`` that is no public holiday."""
    from zoneinfo import ZoneInfo

    import holidays

    zone = ZoneInfo(MADRID)
    day = now.astimezone(zone).date() - dt.timedelta(days=1)
    off = holidays.country_holidays("ES", subdiv="MD", years=range(day.year - 1, day.year + 1))
    while day.weekday() not in (1, 2, 3) or day in off:
        day -= dt.timedelta(days=1)
    return dt.datetime.combine(day, dt.time(12, 30), zone).astimezone(dt.UTC)


def build(customers: int, tickets: int, closed: int, resolved: int,
          lag_hours: float) -> dict:
    """The desk and its tickets; returns the scan instant and what was loaded."""
    import numpy as np
    from django.db import connection, models, transaction
    from django.utils import timezone

    from vinculo.core.audit import acting_as
    from vinculo.core.demo import BulkWriter, demo_run
    from vinculo.core.services import team_get_or_create, user_create
    from vinculo.core.tenancy import organization_scope
    from vinculo.customers.models import Account, AccountContact
    from vinculo.service import services
    from vinculo.service.models import (
        PRIORITY_ORDER,
        BusinessCalendar,
        Queue,
        SlaPolicy,
        SlaState,
        SlaTarget,
        Ticket,
    )
    from vinculo.service.services import sla

    started = time.perf_counter()
    demo = demo_run(customers=customers, progress=False)
    org, admin = demo.organization, demo.admin
    now = scan_instant(timezone.now())
    previous = now - dt.timedelta(hours=lag_hours)
    rng = np.random.default_rng(20261)

    with organization_scope(org), acting_as(admin), transaction.atomic():
        # The demo sets up a desk of its own, with a few hundred tickets: it makes way for the
        # one described above, so that the scan sees exactly the population built here.
        for model in (Ticket, Queue, SlaPolicy, BusinessCalendar):
            model.all_objects.filter(organization_id=org.pk).delete()
        gold = list(Account.objects.filter(service_tier="gold").order_by("id")
                    .values_list("id", flat=True))
        Account.objects.filter(pk__in=gold[:max(1, len(gold) // 10)]).update(
            service_tier="platinum")
        teams = {name: team_get_or_create(organization=org, name=name)
                 for name in ("Nivel 1", "Devoluciones", "Administración")}
        agents: dict[str, list] = {}
        for team, count in (("Nivel 1", 10), ("Devoluciones", 4), ("Administración", 2)):
            agents[team] = [user_create(
                organization=org, email=f"agente{team[:3].lower()}{i}@bench.test",
                password="x-Bench-2026!", role="service_agent", first_name=f"Agente {i}",
                last_name=team, team=teams[team]) for i in range(count)]
        chief = user_create(organization=org, email="jefa.soporte@bench.test",
                            password="x-Bench-2026!", role="service_agent",
                            first_name="Jefa", last_name="Soporte")
        returns_chief = user_create(organization=org, email="jefe.devoluciones@bench.test",
                                    password="x-Bench-2026!", role="service_agent",
                                    first_name="Jefe", last_name="Devoluciones")
        office = services.business_calendar_create(actor=admin, data={
            "name": "Oficina Madrid", "timezone": MADRID, "weekly_hours": OFFICE})
        extended = services.business_calendar_create(actor=admin, data={
            "name": "Horario ampliado", "timezone": MADRID, "weekly_hours": EXTENDED})
        for calendar in (office, extended):
            for year in range(now.year - 1, now.year + 2):
                services.holidays_import(actor=admin, calendar=calendar, country="ES",
                                         year=year, subdivision="MD")
        for tier, name, calendar in (("platinum", "Platino 24×7", None),
                                     ("gold", "Oro", extended), ("silver", "Plata", office),
                                     ("", "Estándar", office)):
            services.sla_policy_create(actor=admin, data={
                "name": name, "tier": tier, "calendar": calendar, "warn_percent": 80},
                targets=TARGETS[tier])
        support = services.queue_create(actor=admin, data={
            "name": "Soporte", "team": teams["Nivel 1"], "assignment": "round_robin",
            "default_for": ["request", "incident"], "escalate_to": chief})
        returns = services.queue_create(actor=admin, data={
            "name": "Devoluciones", "assignment": "by_tier", "default_for": ["return"],
            "escalate_to": returns_chief}, tier_routes={
            tier: agents["Devoluciones"][i] for i, tier in
            enumerate(("platinum", "gold", "silver", "standard"))})
        complaints = services.queue_create(actor=admin, data={
            "name": "Reclamaciones", "assignment": "manual", "default_for": ["complaint"]})
        billing = services.queue_create(actor=admin, data={
            "name": "Facturación", "team": teams["Administración"],
            "assignment": "round_robin"})

    policies = {tier: services.policy_for(org.pk, tier)
                for tier in ("platinum", "gold", "silver", "standard")}
    targets = {(t.policy_id, t.priority): t for t in SlaTarget.all_objects.filter(
        organization_id=org.pk)}
    accounts = list(Account.all_objects.filter(organization_id=org.pk).order_by("id")
                    .values_list("id", "service_tier"))
    contact_of: dict[int, int] = {}
    for account_id, contact_id in AccountContact.all_objects.filter(
            organization_id=org.pk).order_by("-is_primary", "id").values_list(
            "account_id", "contact_id"):
        contact_of.setdefault(account_id, contact_id)

    total = tickets + resolved + closed
    kind = np.array(["open"] * tickets + ["resolved"] * resolved + ["closed"] * closed)
    u = rng.random((total, 8))
    priority = np.array([p for p, _ in PRIORITIES])[
        np.searchsorted(np.cumsum([w for _, w in PRIORITIES]), u[:, 0])]
    ttype = np.array([t for t, _ in TYPES])[
        np.searchsorted(np.cumsum([w for _, w in TYPES]), u[:, 1])]
    account_pick = rng.integers(0, len(accounts), total)
    # Open tickets: most are young. New ones (no first response yet) younger still.
    status = np.where(kind != "open", kind,
                      np.where(u[:, 2] < 0.20, "new", np.where(u[:, 2] < 0.70, "open",
                                                               "waiting")))
    age_h = np.where(status == "new", rng.lognormal(np.log(10), 1.2, total),
                     rng.lognormal(np.log(90), 0.9, total))
    age_h = np.where(kind == "closed", rng.uniform(24 * 7, 24 * 365, total),
                     np.minimum(age_h, 24 * 56))
    age_h = np.maximum(age_h, lag_hours + 0.05)  # every ticket existed at the previous scan
    first_delay_h = rng.lognormal(np.log(3), 1.0, total)
    routes = {tier: agents["Devoluciones"][i] for i, tier in
              enumerate(("platinum", "gold", "silver", "standard"))}
    rr = {"Nivel 1": 0, "Administración": 0}
    all_agents = agents["Nivel 1"] + agents["Devoluciones"]

    rows: list[Ticket] = []
    year_counter: dict[int, int] = {}
    created_order = np.argsort(-age_h)  # numbers follow creation order
    for i in created_order.tolist():
        created = now - dt.timedelta(hours=float(age_h[i]))
        account_id, tier = accounts[int(account_pick[i])]
        t = str(ttype[i])
        if t == "request" and u[i, 3] < 0.2:
            queue = billing
        else:
            queue = {"request": support, "incident": support, "return": returns,
                     "complaint": complaints}[t]
        if queue.assignment == "round_robin":
            team = "Nivel 1" if queue is support else "Administración"
            assignee = agents[team][rr[team] % len(agents[team])]
            rr[team] += 1
        elif queue.assignment == "by_tier":
            assignee = routes[tier]
        else:
            assignee = all_agents[int(u[i, 4] * len(all_agents))] if u[i, 4] < 0.6 else None
        st = str(status[i])
        policy = policies[tier]
        target = targets.get((policy.pk, str(priority[i]))) if policy else None
        year_counter[created.year] = year_counter.get(created.year, 0) + 1
        ticket = Ticket(
            organization_id=org.pk, number=f"TK-{created.year}-{year_counter[created.year]:06d}",
            type=t, subject=SUBJECTS[int(u[i, 5] * len(SUBJECTS))], queue=queue,
            priority=str(priority[i]), status=st, assignee=assignee, account_id=account_id,
            contact_id=contact_of.get(account_id), channel="email", tier=tier,
            sla_policy=policy,
            first_response_target=target.first_response_minutes if target else None,
            resolution_target=target.resolution_minutes if target else None,
            created_at=created, updated_at=created)
        pauses = []
        if st != "new":
            responded = min(created + dt.timedelta(hours=float(first_delay_h[i])),
                            now - dt.timedelta(hours=lag_hours))
            ticket.first_response_at = responded
            if st in ("open", "waiting") and u[i, 6] < 0.25:  # waited once, the customer answered
                a = responded + (previous - responded) * 0.2
                b = a + (previous - a) * float(u[i, 7]) * 0.5
                pauses.append([a.isoformat(), b.isoformat()])
            if st == "waiting":
                a = responded + (previous - responded) * (0.5 + 0.5 * float(u[i, 7]))
                pauses.append([a.isoformat(), None])
            if st in ("resolved", "closed"):
                done = previous - dt.timedelta(days=7) * float(u[i, 7]) if st == "resolved" \
                    else responded + (now - responded) * 0.5 * float(u[i, 7])
                done = max(done, responded)
                ticket.resolved_at = done
                pauses.append([done.isoformat(), None])
                if st == "closed":
                    ticket.closed_at = min(done + dt.timedelta(days=7), previous)
        ticket.sla_pauses = pauses
        sla._sla_apply(ticket, now=previous)
        if ticket.first_response_at is not None:
            ticket.first_response_minutes = sla._elapsed(ticket, ticket.first_response_at)
        if ticket.resolved_at is not None:
            ticket.resolution_minutes = sla._elapsed(ticket, ticket.resolved_at)
        # earlier scans escalated each clock that breached while the ticket was open
        breaches = sum(s == SlaState.BREACHED for s in (ticket.first_response_state,
                                                         ticket.resolution_state))
        if breaches:
            ticket.escalation_level = breaches
            ticket.priority = PRIORITY_ORDER[min(PRIORITY_ORDER.index(ticket.priority)
                                                 + breaches, len(PRIORITY_ORDER) - 1)]
            if queue.escalate_to_id is not None:
                ticket.assignee_id = queue.escalate_to_id
        rows.append(ticket)
    prepared = time.perf_counter()

    writer = BulkWriter()
    writer.prepare()
    fields = [f for f in Ticket._meta.concrete_fields]
    id0 = writer.next_id(Ticket)
    uuids = writer.uuids(len(rows))
    # The values BulkWriter takes: UUIDs as hex, JSON as text, timestamps as the backend wants.
    stamp = connection.ops.adapt_datetimefield_value
    convert = [stamp if isinstance(f, models.DateTimeField) else
               json.dumps if isinstance(f, models.JSONField) else None for f in fields]
    names = [f.attname for f in fields]
    out = []
    for k, ticket in enumerate(rows):
        ticket.id, ticket.uuid = id0 + k, uuids[k]
        values = [getattr(ticket, name) for name in names]
        out.append(tuple(v if c is None or v is None else c(v)
                         for v, c in zip(values, convert, strict=True)))
    with transaction.atomic():
        written = writer.insert(Ticket, names, out)
        writer.finish()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {"now": now.isoformat(), "previous": previous.isoformat(), "org": org.pk,
            "rows": written, "setup_s": prepared - started,
            "load_s": time.perf_counter() - prepared}


def candidates(org_id: int, now: dt.datetime) -> dict[str, tuple[str, list]]:
    """The scan's candidate queries (same querysets as ``_scan_organization``) as bare SQL."""
    from vinculo.service.models import SlaState, Ticket, TicketStatus
    from vinculo.service.services import AUTO_CLOSE_AFTER, RUNNING

    tickets = Ticket.all_objects.filter(organization_id=org_id, status__in=RUNNING)
    frt = tickets.filter(first_response_at__isnull=True)
    queries = {}
    for clock, rows in (("first_response", frt), ("resolution", tickets)):
        due, warn, state = f"{clock}_due", f"{clock}_warn", f"{clock}_state"
        queries[f"{clock} to warn"] = rows.filter(
            **{state: SlaState.OK, f"{warn}__lte": now, f"{due}__gt": now})
        queries[f"{clock} to breach"] = rows.filter(
            **{f"{state}__in": [SlaState.OK, SlaState.WARNING], f"{due}__lte": now})
    queries["resolved to close"] = Ticket.all_objects.filter(
        organization_id=org_id, status=TicketStatus.RESOLVED,
        resolved_at__lte=now - AUTO_CLOSE_AFTER)
    return {name: qs.order_by().values_list("pk").query.sql_with_params()
            for name, qs in queries.items()}


def run_bare(queries: dict[str, tuple[str, list]]) -> tuple[float, dict[str, int]]:
    from django.db import connection

    counts = {}
    started = time.perf_counter()
    with connection.cursor() as cursor:
        for name, (sql, params) in queries.items():
            cursor.execute(sql, params)
            counts[name] = len(cursor.fetchall())
    return time.perf_counter() - started, counts


def inner(args: argparse.Namespace) -> dict:
    import django

    django.setup()
    from django.core import mail
    from django.db import connection
    from django.urls import reverse

    from vinculo.core.models import AuditEntry
    from vinculo.service.models import OPEN_STATUSES, Ticket, TicketEntry, TicketStatus
    from vinculo.service.services import sla_scan

    loaded = build(args.customers, args.tickets, args.closed, args.resolved, args.lag_hours)
    now = dt.datetime.fromisoformat(loaded["now"])
    org_id = loaded["org"]
    queries = candidates(org_id, now)
    run_bare(queries)  # warm the cache like the scan's own first query would
    bare_s, expected = min((run_bare(queries) for _ in range(3)), key=lambda r: r[0])
    open_count = Ticket.all_objects.filter(status__in=OPEN_STATUSES).count()
    entries0 = TicketEntry.all_objects.count()
    audit0 = AuditEntry.all_objects.filter(object_type="service.ticket").count()

    reverse("service:ticket_list")  # the URL configuration loads once per process: not timed
    mail.outbox = []
    started, cpu = time.perf_counter(), time.process_time()
    first = sla_scan(now=now)
    first_s, first_cpu_s = time.perf_counter() - started, time.process_time() - cpu
    mails = len(mail.outbox)
    started = time.perf_counter()
    second = sla_scan(now=now)
    second_s = time.perf_counter() - started
    _left_s, left = run_bare(queries)

    breached = expected["first_response to breach"] + expected["resolution to breach"]
    checks = {
        "warned = bare SQL": first.warned == expected["first_response to warn"]
        + expected["resolution to warn"],
        "breached = bare SQL": first.breached == breached,
        "closed = bare SQL": first.closed == expected["resolved to close"],
        "escalated + unhandled = breached": first.escalated + first.unhandled == breached,
        "one ticket event per breach": TicketEntry.all_objects.count() - entries0 == breached,
        "one audit row per breach": AuditEntry.all_objects.filter(
            object_type="service.ticket").count() - audit0 == breached,
        "nothing left for the scan": not any(left.values()),
        "second scan finds nothing": (second.warned, second.breached, second.closed) == (0, 0,
                                                                                     0),
        "no errors": not first.errors and not second.errors,
    }
    return {
        "vendor": connection.vendor, "open": open_count, "rows": loaded["rows"],
        "setup_s": loaded["setup_s"], "load_s": loaded["load_s"], "now": loaded["now"],
        "previous": loaded["previous"], "first_s": first_s, "first_cpu_s": first_cpu_s,
        "second_s": second_s,
        "bare_s": bare_s, "expected": expected, "warned": first.warned,
        "breached": first.breached, "escalated": first.escalated, "unhandled": first.unhandled,
        "closed": first.closed, "mails": mails,
        "still_open": Ticket.all_objects.filter(status__in=OPEN_STATUSES).count(),
        "closed_total": Ticket.all_objects.filter(status=TicketStatus.CLOSED).count(),
        "checks": checks, "errors": first.errors + second.errors,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tickets", type=int, default=100_000, help="open tickets")
    parser.add_argument("--closed", type=int, default=50_000, help="closed tickets (history)")
    parser.add_argument("--resolved", type=int, default=5_000)
    parser.add_argument("--lag-hours", type=float, default=3.0,
                        help="hours since the previous scan")
    parser.add_argument("--customers", type=int, default=3_000, help="demo contacts")
    args = arguments(parser, inner)
    if args is None:
        return 0
    results = run_on_databases(
        __file__, ["--tickets", str(args.tickets), "--closed", str(args.closed),
                   "--resolved", str(args.resolved), "--lag-hours", str(args.lag_hours),
                   "--customers", str(args.customers)],
        only=args.only, pg_name="vinculo_bench_sla",
        doing=f"demo, desk, {args.tickets:,} open tickets, scan")
    rows, counts, failed = [], [], []
    for r in results:
        say(f"{r['vendor']}: loaded {r['rows']:,} tickets (setup {r['setup_s']:.0f} s, "
            f"write {r['load_s']:.0f} s); scan at {r['now']}, previous scan {r['previous']}")
        failed += failures(r)
        rows.append([r["vendor"], f"{r['open']:,}", f"{r['first_s']:.2f}",
                     f"{r['first_cpu_s']:.2f}", f"{r['second_s']:.2f}",
                     f"{r['bare_s'] * 1000:.0f}", f"{r['first_s'] / r['bare_s']:.0f}×",
                     "PASS" if r["first_s"] <= TARGET_S else "FAIL"])
        counts.append([r["vendor"], f"{r['warned']:,}", f"{r['breached']:,}",
                       f"{r['escalated']:,}", f"{r['unhandled']:,}", f"{r['closed']:,}",
                       r["mails"], "all ok" if all(r["checks"].values()) else "FAILED"])
    headers = ["database", "open tickets", "scan s", "scan CPU s", "second scan s",
               "bare SQL ms", "ratio", f"scan ≤ {TARGET_S:.0f} s"]
    count_headers = ["database", "warned", "breached", "escalated", "nobody to escalate to",
                     "closed", "e-mails", "checks"]
    return report([(headers, rows), (count_headers, counts)], failed)


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vinculo.settings")
    sys.exit(main())
