"""Demo service desk: office hours with Spain's public holidays, SLA policies per tier, three
queues, a team of agents, and three years of tickets for the customers with a sales history —
answered and resolved in business time (some late), surveyed, a backlog open today."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import numpy as np

from vinculo.core.audit import acting_as
from vinculo.core.demo import DEFAULT_DOMAIN, DemoContext
from vinculo.core.models import DocumentSequence
from vinculo.core.tenancy import organization_scope
from vinculo.interactions.demo import contacts_of
from vinculo.interactions.models import Interaction, Mailbox
from vinculo.service import business_hours as bh
from vinculo.service import services
from vinculo.service.models import SlaTarget, Survey, Ticket

ZONE = "Europe/Madrid"
HOURS = {str(d): [["09:00", "14:00"], ["15:00", "18:00"]] for d in range(5)}
TARGETS = {
    "": {"low": (480, 4800), "normal": (240, 2400), "high": (120, 960), "urgent": (60, 480)},
    "gold": {"low": (240, 2400), "normal": (120, 960), "high": (60, 480), "urgent": (30, 240)},
    "platinum": {"low": (120, 960), "normal": (60, 480), "high": (30, 240),
                 "urgent": (15, 120)},
}
TICKETS_PER_ACCOUNT = 0.35
SUBJECTS = {
    "request": ("Duplicado de factura", "Cambio de dirección de envío", "Need a copy of an invoice",
                "Consulta sobre tarifas", "Update our billing contact"),
    "incident": ("El pedido no ha llegado", "Producto defectuoso", "Order arrived damaged",
                 "Error en el importe de la factura"),
    "complaint": ("Trato recibido en la entrega", "Retraso reiterado", "Repeated late deliveries"),
    "return": ("Devolución de producto", "Return request for wrong item"),
}
TYPE_WEIGHTS = {"request": 0.45, "incident": 0.35, "complaint": 0.1, "return": 0.1}
PRIORITY_WEIGHTS = {"low": 0.2, "normal": 0.55, "high": 0.2, "urgent": 0.05}
CSAT_WEIGHTS = (0.05, 0.07, 0.13, 0.35, 0.40)


def estimate(n: int) -> int:
    return int(min(n // 3, 20_000) * TICKETS_PER_ACCOUNT * 3)


def generate(ctx: DemoContext) -> dict[str, int]:
    rng = ctx.rng("service desk")
    org = ctx.organization
    accounts = sorted({int(a) for a in ctx.shared.get("sales", {}).get("order_accounts", [])})
    with organization_scope(org), acting_as(ctx.users["admin"]):
        desk = _configure(ctx)
        if not accounts:
            return {"queues": 3}
        counts = _tickets(ctx, rng, desk, np.array(accounts))
    ctx.progress.update(sum(counts.values()))
    return counts


def _configure(ctx: DemoContext) -> dict:
    """Calendar, policies, team, queues — through the services, as an administrator would."""
    admin = ctx.users["admin"]
    calendar = services.business_calendar_create(actor=admin, data={
        "name": "Oficina Madrid", "timezone": ZONE, "weekly_hours": HOURS})
    today = ctx.now.date()
    for year in range(today.year - 3, today.year + 2):
        services.holidays_import(actor=admin, calendar=calendar, country="ES", year=year,
                                 subdivision="MD")
    policies = {}
    for tier, name in (("", "Estándar"), ("gold", "Oro"), ("platinum", "Platino")):
        policies[tier] = services.sla_policy_create(actor=admin, data={
            "name": name, "tier": tier, "calendar": calendar}, targets=TARGETS[tier])
    team = ctx.users["service"].team
    agents = [ctx.users[key] for key in ("service", "soporte1", "soporte2")]
    mailbox = Mailbox.objects.filter(address=f"soporte@{DEFAULT_DOMAIN}").first()
    queues = {
        "support": services.queue_create(actor=admin, data={
            "name": "Soporte", "team": team, "assignment": "round_robin", "mailbox": mailbox,
            "default_for": ["request", "incident"], "escalate_to": ctx.users["manager"]}),
        "complaints": services.queue_create(actor=admin, data={
            "name": "Reclamaciones", "assignment": "manual", "default_for": ["complaint"],
            "escalate_to": ctx.users["manager"]}),
        "returns": services.queue_create(actor=admin, data={
            "name": "Devoluciones", "team": team, "assignment": "round_robin",
            "default_for": ["return"]}),
    }
    bh_calendar = services.calendar_of(policies[""])
    return {"calendar": bh_calendar, "policies": policies, "agents": agents, "queues": queues}


def _pick(rng: np.random.Generator, weights: dict[str, float], n: int) -> list[str]:
    keys = list(weights)
    p = np.array([weights[k] for k in keys])
    return [keys[i] for i in rng.choice(len(keys), n, p=p / p.sum())]


def _tickets(ctx: DemoContext, rng: np.random.Generator, desk: dict,
             accounts: np.ndarray) -> dict[str, int]:
    writer, org_id = ctx.writer, ctx.organization.pk
    from vinculo.customers.models import Account

    n = int(accounts.size * TICKETS_PER_ACCOUNT)
    now = ctx.now
    chosen = rng.choice(accounts, n)
    ids_list = accounts.tolist()
    tiers: dict[int, str] = {}
    for first in range(0, len(ids_list), 900):
        tiers.update(Account.all_objects.filter(pk__in=ids_list[first:first + 900])
                     .values_list("id", "service_tier"))
    contacts = contacts_of(org_id, ids_list)
    # more tickets recently (the business grew); a backlog opened in the last days
    ages = np.minimum(rng.exponential(300, n), 3 * 365 - 1)
    backlog = max(8, n // 30)  # opened in the last days, many still open today
    ages[:backlog] = rng.uniform(0, 4, min(backlog, n))
    created = [now - dt.timedelta(days=float(a), hours=float(h)) for a, h in
               zip(ages, rng.uniform(-10, 10, n), strict=True)]
    created = [min(c, now - dt.timedelta(minutes=5)) for c in created]
    types = _pick(rng, TYPE_WEIGHTS, n)
    priorities = _pick(rng, PRIORITY_WEIGHTS, n)
    subject_idx = rng.integers(0, 100, n)
    respond_after = rng.lognormal(np.log(90), 0.9, n)  # business minutes
    resolve_after = rng.lognormal(np.log(700), 0.9, n)
    resolve_after[:backlog] *= 3
    reopened = rng.random(n) < 0.05
    surveyed = rng.random(n) < 0.45
    csat = rng.choice(5, n, p=CSAT_WEIGHTS) + 1
    nps = np.clip(np.round(csat * 2 + rng.normal(0, 1.5, n)), 0, 10).astype(int)
    queue_of = {"request": "support", "incident": "support", "complaint": "complaints",
                "return": "returns"}
    targets = {(p.tier, t.priority): t for p in desk["policies"].values()
               for t in SlaTarget.all_objects.filter(policy=p)}
    cal = desk["calendar"]
    agents = desk["agents"]
    order = np.argsort(np.array([c.timestamp() for c in created]))
    ids, uuids = writer.next_id(Ticket), writer.uuids(2 * n)
    interaction_id = writer.next_id(Interaction)
    ticket_rows, reply_rows, surveys = [], [], []
    numbers: dict[int, int] = {}
    zone = ZoneInfo("UTC")
    sep, suffix = ("T", "+00:00") if writer.vendor == "postgresql" else (" ", "")

    def ts(moment: dt.datetime | None) -> str | None:
        """A UTC instant in the form the database stores (see ``BulkWriter.timestamps``)."""
        if moment is None:
            return None
        return moment.astimezone(zone).replace(tzinfo=None).isoformat(sep) + suffix

    for k, i in enumerate(order.tolist()):
        start = created[i].astimezone(zone)
        account_id = int(chosen[i])
        tier = tiers.get(account_id, "standard")
        policy = desk["policies"].get(tier if tier in ("gold", "platinum") else "")
        target = targets[(policy.tier, priorities[i])]
        fr_due = bh.due_at(cal, start, target.first_response_minutes)
        fr_warn = bh.warn_at(cal, start, target.first_response_minutes)
        res_due = bh.due_at(cal, start, target.resolution_minutes)
        res_warn = bh.warn_at(cal, start, target.resolution_minutes)
        responded = cal.add_minutes(start, float(respond_after[i]))
        resolved = cal.add_minutes(responded, float(resolve_after[i]))
        answered = responded <= now
        done = resolved <= now
        status = "closed" if done and resolved + dt.timedelta(days=7) <= now else \
            "resolved" if done else "open" if answered else "new"
        fr_state = ("met" if responded <= fr_due else "breached") if answered else \
            ("breached" if fr_due <= now else "warning" if fr_warn <= now else "ok")
        res_state = ("met" if resolved <= res_due else "breached") if done else \
            ("breached" if res_due <= now else "warning" if res_warn <= now else "ok")
        queue = desk["queues"][queue_of[types[i]]]
        assignee = agents[k % len(agents)].pk if queue.assignment == "round_robin" or answered \
            else None
        year = start.year
        numbers[year] = numbers.get(year, 0) + 1
        stamp = ts(start)
        subjects = SUBJECTS[types[i]]
        pauses = [[resolved.isoformat(), None]] if done else []
        ticket_rows.append((
            ids + k, org_id, uuids[2 * k], stamp, ts(resolved if done else start), 1,
            f"TK-{year}-{numbers[year]:06d}", types[i], subjects[subject_idx[i] % len(subjects)],
            "", queue.pk, priorities[i], status, assignee, account_id, contacts.get(account_id),
            "", None, None, "email" if k % 3 else "phone", tier, policy.pk,
            target.first_response_minutes, target.resolution_minutes, ts(fr_due), ts(fr_warn),
            ts(None if done else res_due), ts(None if done else res_warn),
            _json(pauses), fr_state, res_state, 1 if fr_state == "breached" else 0,
            ts(responded if answered else None),
            round(float(respond_after[i]), 1) if answered else None,
            ts(resolved if done else None), round(float(respond_after[i] + resolve_after[i]), 1)
            if done else None, ts(resolved + dt.timedelta(days=7)) if status == "closed" else None,
            1 if reopened[i] and done else 0))
        if answered:
            reply_rows.append((
                interaction_id + len(reply_rows), org_id, uuids[2 * k + 1], ts(responded),
                ts(responded), 1, "email", "outbound", ts(responded), None,
                f"[#TK-{year}-{numbers[year]:06d}] {subjects[subject_idx[i] % len(subjects)]}",
                "Gracias por escribirnos: ya lo estamos mirando.", "completed", account_id,
                contacts.get(account_id), assignee or agents[0].pk, None, None, ids + k))
        if done and surveyed[i]:
            surveys.append((ids + k, ts(resolved), int(csat[i]), int(nps[i])))
    from django.contrib.contenttypes.models import ContentType

    ticket_type = ContentType.objects.get_for_model(Ticket).pk
    reply_rows = [(*row[:-2], ticket_type, row[-1]) for row in reply_rows]
    base = ("id", "organization_id", "uuid", "created_at", "updated_at", "version")
    counts = {"tickets": writer.insert(Ticket, (
        *base, "number", "type", "subject", "description", "queue_id", "priority", "status",
        "assignee_id", "account_id", "contact_id", "requester_email", "order_id", "invoice_id",
        "channel", "tier", "sla_policy_id", "first_response_target", "resolution_target",
        "first_response_due", "first_response_warn", "resolution_due", "resolution_warn",
        "sla_pauses", "first_response_state", "resolution_state", "escalation_level",
        "first_response_at", "first_response_minutes", "resolved_at", "resolution_minutes",
        "closed_at", "reopened_count"), ticket_rows)}
    counts["ticket replies"] = writer.insert(Interaction, (
        *base, "channel", "direction", "occurred_at", "duration_seconds", "subject", "notes",
        "outcome", "account_id", "contact_id", "user_id", "thread_id", "related_type_id",
        "related_id"), reply_rows)
    survey_id = writer.next_id(Survey)
    survey_uuids = writer.uuids(len(surveys))
    counts["surveys"] = writer.insert(Survey, (
        *base, "ticket_id", "sent_at", "not_sent_reason", "csat", "nps", "comment",
        "answered_at"),
        [(survey_id + j, org_id, survey_uuids[j], sent, sent, 1, ticket, sent, "", score,
          promoter, "", sent) for j, (ticket, sent, score, promoter) in enumerate(surveys)])
    # the bulk insert names only the kind; each ticket takes the organisation's type of it
    services.ticket_types_ensure(ctx.organization)
    for kind in {row[7] for row in ticket_rows}:
        Ticket.all_objects.filter(organization_id=org_id, type=kind).update(
            ticket_type=services.type_for_kind(org_id, kind))
    for year, last in numbers.items():
        DocumentSequence.objects.update_or_create(organization_id=org_id, key=f"TK-{year}",
                                                  defaults={"last_number": last})
    return counts


def _json(value: object) -> str:
    import json

    return json.dumps(value)
