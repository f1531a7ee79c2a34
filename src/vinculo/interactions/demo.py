"""Demo interactions: the calls, e-mails and visits around each order of the sales history,
open tasks for the team, a support mailbox, e-mail templates and two public web forms."""

from __future__ import annotations

import datetime as dt

import numpy as np
from django.utils.translation import gettext as _
from django.utils.translation import override

from vinculo.core.demo import DEFAULT_DOMAIN, DemoContext
from vinculo.customers.models import Account, AccountContact
from vinculo.interactions import mailing, services
from vinculo.interactions.models import Interaction, Task
from vinculo.sales.models import Order

# per order: a call before it, an e-mail on the day, now and then a visit
CALL, EMAIL, VISIT = 0.6, 0.3, 0.05
CALL_SUBJECTS = ("Seguimiento del pedido", "Confirmar precios", "Order follow-up",
                 "Consulta de stock", "Check delivery date")
EMAIL_SUBJECTS = ("Pedido", "Purchase order", "Solicitud de presupuesto", "Quote request")
VISIT_SUBJECTS = ("Visita comercial", "Presentación de novedades", "Account review")
TEMPLATES = (
    ("Seguimiento de pedido", "es", "Su pedido con {{ organization.name }}",
     "Hola {{ contact.first_name }}:\n\nLe escribimos para confirmar que su pedido está en "
     "marcha. Para cualquier duda, responda a este correo.\n\nUn saludo,\n"
     "{{ user.full_name }}"),
    ("Order follow-up", "en", "Your order with {{ organization.name }}",
     "Dear {{ contact.first_name }},\n\nYour order is on its way. Reply to this e-mail with "
     "any question.\n\nKind regards,\n{{ user.full_name }}"),
)


def estimate(n: int) -> int:
    return min(n // 3, 20_000) * 4


def generate(ctx: DemoContext) -> dict[str, int]:
    rng = ctx.rng("interactions")
    org_id = ctx.organization.pk
    orders = np.array(Order.all_objects.filter(organization_id=org_id).order_by("id")
                      .values_list("account_id", "ordered_on"), dtype=object)
    counts: dict[str, int] = {}
    if len(orders):
        counts["interactions"] = _around_orders(ctx, rng, orders)
    # the team's own texts (tasks, mailbox, forms) in the organisation's language
    with override(ctx.organization.language or "es"):
        counts["tasks"] = _tasks(ctx, rng)
        counts["settings"] = _settings(ctx)
    ctx.progress.update(sum(counts.values()))
    return counts


def contacts_of(org_id: int, account_ids: list[int]) -> dict[int, int]:
    """Each account's primary (or first) contact."""
    found: dict[int, int] = {}
    for start in range(0, len(account_ids), 900):
        rows = AccountContact.all_objects.filter(
            organization_id=org_id, account_id__in=account_ids[start:start + 900]).order_by(
            "account_id", "-is_primary", "id").values_list("account_id", "contact_id")
        for account_id, contact_id in rows:
            found.setdefault(account_id, contact_id)
    return found


def _owners_of(org_id: int, account_ids: list[int]) -> dict[int, int | None]:
    found: dict[int, int | None] = {}
    for start in range(0, len(account_ids), 900):
        found.update(Account.all_objects.filter(
            organization_id=org_id, pk__in=account_ids[start:start + 900]).values_list(
            "id", "owner_id"))
    return found


def _around_orders(ctx: DemoContext, rng: np.random.Generator, orders: np.ndarray) -> int:
    writer, org_id = ctx.writer, ctx.organization.pk
    accounts = sorted({int(a) for a in orders[:, 0]})
    contact = contacts_of(org_id, accounts)
    owner = _owners_of(org_id, accounts)
    fallback = ctx.users["manager"].pk
    now = np.datetime64(ctx.now.replace(tzinfo=None), "us")
    rows = []
    n = len(orders)
    draws = rng.random((n, 3))
    lead_days = rng.integers(0, 6, n)
    visit_days = rng.integers(3, 21, n)
    minutes = np.clip(rng.lognormal(np.log(6), 0.6, n), 1, 90).astype(int)
    visit_minutes = rng.integers(45, 120, n)
    hours = rng.integers(9 * 60, 18 * 60, (n, 3))
    subjects = (rng.integers(0, len(CALL_SUBJECTS), n), rng.integers(0, len(EMAIL_SUBJECTS), n),
                rng.integers(0, len(VISIT_SUBJECTS), n))
    for i, (account_id, ordered_on) in enumerate(orders.tolist()):
        day = np.datetime64(ordered_on, "D").astype("datetime64[us]")
        who, by = contact.get(account_id), owner.get(account_id) or fallback
        if draws[i, 0] < CALL:
            rows.append((day - np.timedelta64(int(lead_days[i]), "D"), "phone", "outbound",
                         int(minutes[i]) * 60, CALL_SUBJECTS[subjects[0][i]], "completed",
                         account_id, who, by, hours[i, 0]))
        if draws[i, 1] < EMAIL:
            rows.append((day, "email", "inbound", None, EMAIL_SUBJECTS[subjects[1][i]], "",
                         account_id, who, None, hours[i, 1]))
        if draws[i, 2] < VISIT:
            rows.append((day - np.timedelta64(int(visit_days[i]), "D"), "visit", "outbound",
                         int(visit_minutes[i]) * 60, VISIT_SUBJECTS[subjects[2][i]],
                         "completed", account_id, who, by, hours[i, 2]))
    moments = np.array([r[0] + np.timedelta64(int(r[9]), "m") for r in rows],
                       dtype="datetime64[us]")
    moments = np.minimum(moments, now)
    stamps = writer.timestamps(moments)
    uuids = writer.uuids(len(rows))
    id0 = writer.next_id(Interaction)
    out = [(id0 + k, org_id, uuids[k], stamps[k], stamps[k], 1, r[1], r[2], stamps[k], r[3],
            r[4], "", r[5], r[6], r[7], r[8], None, None, None)
           for k, r in enumerate(rows)]
    return writer.insert(Interaction, (
        "id", "organization_id", "uuid", "created_at", "updated_at", "version", "channel",
        "direction", "occurred_at", "duration_seconds", "subject", "notes", "outcome",
        "account_id", "contact_id", "user_id", "thread_id", "related_type_id", "related_id"),
        out)


def _tasks(ctx: DemoContext, rng: np.random.Generator) -> int:
    """A few open tasks per salesperson: one overdue, one today, one next week, one weekly."""
    org_id = ctx.organization.pk
    accounts = list(Account.all_objects.filter(organization_id=org_id).order_by("id")
                    .values_list("id", flat=True)[:200])
    if not accounts:
        return 0
    today = ctx.now.replace(hour=9, minute=0)
    written = 0
    for key in ("rep.norte", "rep.sur", "manager", "service"):
        user = ctx.users[key]
        picks = rng.choice(accounts, 3, replace=False).tolist()
        plan = ((today - dt.timedelta(days=2), _("Call to renew the contract"), picks[0], ""),
                (today + dt.timedelta(hours=6), _("Send the revised quote"), picks[1], ""),
                (today + dt.timedelta(days=6), _("Follow-up visit"), picks[2], ""),
                (today + dt.timedelta(days=(7 - today.weekday()) % 7 or 7),
                 _("Review the opportunity pipeline"), None, "FREQ=WEEKLY;BYDAY=MO"))
        for due, title, account_id, rule in plan:
            Task.all_objects.create(
                organization_id=org_id, title=title, due_at=due, assignee=user,
                remind_at=due - dt.timedelta(minutes=30), account_id=account_id,
                recurrence=rule)
            written += 1
    return written


def _settings(ctx: DemoContext) -> int:
    """A support mailbox (no IMAP server: messages come through the HTTP endpoint), e-mail
    templates and public web forms, made through the services like an administrator would."""
    from vinculo.core.audit import acting_as
    from vinculo.core.tenancy import organization_scope

    admin = ctx.users["admin"]
    with organization_scope(ctx.organization), acting_as(admin):
        mailing.mailbox_create(actor=admin, data={
            "name": _("Support"), "address": f"soporte@{DEFAULT_DOMAIN}"})
        for name, language, subject, body in TEMPLATES:
            mailing.email_template_create(actor=admin, data={
                "name": name, "language": language, "subject": subject, "body": body})
        services.web_form_create(actor=admin, data={
            "name": _("Contact us"), "kind": "contact", "owner": ctx.users["manager"],
            "thank_you": _("Thank you: we will call you within one working day.")})
        services.web_form_create(actor=admin, data={
            "name": _("Complaints"), "kind": "complaint", "owner": ctx.users["service"]})
    return 5
