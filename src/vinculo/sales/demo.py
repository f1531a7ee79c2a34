"""Demo sales history: orders and deliveries whose timing follows a buy-till-you-die process.

Each customer buys at their own rate (Poisson, rates Gamma-distributed across customers) until
they silently drop out (after each purchase with a Beta-distributed probability) — the BG/NBD
story — and spends per order around their own mean (Gamma-Gamma). So the analytics module has
something true to find. Deliveries are mostly on time and complete; some are late, some come
in two parts. A pipeline with open opportunities fills the board.

At most ``MAX_HISTORY_ACCOUNTS`` accounts get a history, so that ``--customers 1000000`` stays
within its time budget; their choice is seeded like everything else.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
from django.db import connection

from vinculo.analytics.stats.simulate import simulate_bgnbd_transactions
from vinculo.core.demo import DemoContext, random_moments
from vinculo.core.models import DocumentSequence
from vinculo.customers.models import Account
from vinculo.sales.models import (
    Delivery,
    DeliveryLine,
    Opportunity,
    Order,
    OrderLine,
    Stage,
    StageChange,
)
from vinculo.sales.services import pipeline_default

MAX_HISTORY_ACCOUNTS = 20_000
YEARS = 3
# BG/NBD in weeks and Gamma-Gamma, close to what Fader, Hardie and Lee fitted on CDNOW.
BGNBD = {"r": 0.35, "alpha": 5.0, "a": 0.7, "b": 2.6}
SPEND = {"p": 6.0, "q": 4.0, "gamma": 1.2}  # × 100: a mean order of about 240 € before tax
ON_TIME, PARTIAL = 0.86, 0.07
CENT = Decimal("0.01")


def _history_accounts(ctx: DemoContext) -> np.ndarray:
    first, end = ctx.shared["customers"]["account_ids"]
    ids = np.arange(first, end)
    if ids.size > MAX_HISTORY_ACCOUNTS:
        ids = np.sort(ctx.rng("sales accounts").choice(ids, MAX_HISTORY_ACCOUNTS, replace=False))
    return ids


def estimate(n: int) -> int:
    return min(n // 3, MAX_HISTORY_ACCOUNTS) * 12


def generate(ctx: DemoContext) -> dict[str, int]:
    rng = ctx.rng("sales history")
    writer = ctx.writer
    accounts = _history_accounts(ctx)
    products = ctx.shared.get("products") or []
    if accounts.size == 0 or not products:
        return {}
    today = ctx.now.date()
    observation_days = 365 * YEARS
    start = today - dt.timedelta(days=observation_days)
    log = simulate_bgnbd_transactions(
        accounts.size, **BGNBD, **SPEND, start=start.isoformat(),
        acquisition_days=int(observation_days * 0.8), observation_days=observation_days,
        unit_days=7.0, rng=rng)
    keep = log.date < np.datetime64(today, "D")
    customer, days, spend = log.customer[keep], log.date[keep], log.amount[keep]
    order_count = customer.size
    product_idx = rng.integers(0, len(products), order_count)
    promised_after = rng.integers(3, 15, order_count)
    on_time = rng.random(order_count) < ON_TIME
    late_by = rng.integers(1, 20, order_count)
    partial = rng.random(order_count) < PARTIAL
    recent = days >= np.datetime64(today - dt.timedelta(days=10), "D")

    org_id = ctx.organization.pk
    order_id0, line_id0 = writer.next_id(Order), writer.next_id(OrderLine)
    delivery_id0, dline_id0 = writer.next_id(Delivery), writer.next_id(DeliveryLine)
    numbers: dict[str, int] = {}

    def number(prefix: str, year: int) -> str:
        key = f"{prefix}-{year}"
        numbers[key] = numbers.get(key, 0) + 1
        return f"{key}-{numbers[key]:06d}"

    order_rows, line_rows, delivery_rows, dline_rows = [], [], [], []
    order_uuids, line_uuids = writer.uuids(order_count), writer.uuids(order_count)
    stamps = writer.timestamps(days.astype("datetime64[us]") + np.timedelta64(9, "h"))
    order_ids = []
    for i in range(order_count):
        product_pk, name, list_price, tax_rate = products[product_idx[i]]
        quantity = max(1, round(float(spend[i]) * 100 / float(list_price)))
        net = (Decimal(quantity) * list_price).quantize(CENT, ROUND_HALF_UP)
        tax = (net * tax_rate / 100).quantize(CENT, ROUND_HALF_UP)
        ordered = days[i].astype(dt.date)
        promised = ordered + dt.timedelta(days=int(promised_after[i]))
        order_pk, line_pk = order_id0 + i, line_id0 + i
        order_ids.append(order_pk)
        if recent[i] and promised >= today:
            status, delivered_on, parts = "open", None, []
        else:
            final = promised if on_time[i] else promised + dt.timedelta(days=int(late_by[i]))
            final = min(final, today)
            if partial[i] and quantity > 1:
                first_part = max(1, quantity // 2)
                early = ordered + (final - ordered) / 2
                parts = [(early, first_part), (final, quantity - first_part)]
            else:
                parts = [(final, quantity)]
            status, delivered_on = "delivered", final
        account_pk = int(accounts[customer[i]])
        order_rows.append((
            order_pk, org_id, order_uuids[i], stamps[i], stamps[i], 1, number("SO", ordered.year),
            account_pk, None, "EUR", str(net), str(tax), str(net + tax), "", None, None,
            ordered.isoformat(), promised.isoformat(), status,
            delivered_on.isoformat() if delivered_on else None))
        delivered_qty = sum(q for _d, q in parts)
        line_rows.append((
            line_pk, org_id, line_uuids[i], stamps[i], stamps[i], 1, product_pk, name,
            str(quantity), str(list_price), "0", str(tax_rate), str(net), str(tax),
            str(net + tax), 0, order_pk, str(delivered_qty)))
        for when, qty in parts:
            delivery_pk = delivery_id0 + len(delivery_rows)
            stamp = f"{when.isoformat()}{'T' if writer.vendor == 'postgresql' else ' '}16:00:00"
            stamp += "+00:00" if writer.vendor == "postgresql" else ""
            delivery_rows.append((
                delivery_pk, org_id, writer.uuids(1)[0], stamp, stamp, 1,
                number("DN", when.year), order_pk, when.isoformat(), False, ""))
            dline_rows.append((
                dline_id0 + len(dline_rows), org_id, writer.uuids(1)[0], stamp, stamp, 1,
                delivery_pk, line_pk, str(qty)))
    base = ("id", "organization_id", "uuid", "created_at", "updated_at", "version")
    counts = {
        "orders": writer.insert(Order, (*base, "number", "account_id", "contact_id", "currency",
                                        "net_amount", "tax_amount", "total_amount", "notes",
                                        "quote_id", "opportunity_id", "ordered_on",
                                        "promised_date", "status", "delivered_on"), order_rows),
        "order lines": writer.insert(OrderLine, (
            *base, "product_id", "description", "quantity", "unit_price", "discount_percent",
            "tax_rate", "net_amount", "tax_amount", "total_amount", "position", "order_id",
            "delivered_quantity"), line_rows),
        "deliveries": writer.insert(Delivery, (*base, "number", "order_id", "delivered_on",
                                               "is_replacement", "notes"), delivery_rows),
        "delivery lines": writer.insert(DeliveryLine, (*base, "delivery_id", "order_line_id",
                                                       "quantity"), dline_rows),
    }
    for key, last in numbers.items():  # documents issued later continue the series
        DocumentSequence.objects.update_or_create(organization_id=org_id, key=key,
                                                  defaults={"last_number": last})
    ctx.shared["sales"] = {"order_ids": order_ids, "order_accounts": accounts[customer]}
    buyers = sorted({int(a) for a in accounts[np.unique(customer)]})
    with connection.cursor() as cursor:  # whoever bought is a customer
        for start in range(0, len(buyers), 900):
            chunk = buyers[start:start + 900]
            cursor.execute("UPDATE customers_account SET lifecycle_stage = 'customer' "
                           f"WHERE id IN ({', '.join(['%s'] * len(chunk))})", chunk)
    counts["opportunities"] = _opportunities(ctx, rng, accounts)
    ctx.progress.update(sum(counts.values()))
    return counts


def _opportunities(ctx: DemoContext, rng: np.random.Generator, accounts: np.ndarray) -> int:
    """Open opportunities spread over the stages, and some won and lost, for the board."""
    writer = ctx.writer
    pipeline = pipeline_default(organization=ctx.organization)
    stages = list(Stage.all_objects.filter(pipeline=pipeline).order_by("order"))
    n = int(min(max(accounts.size // 4, 20), 5_000))
    owners = ctx.owners
    stage_idx = rng.choice(len(stages), n, p=_stage_weights(len(stages)))
    created = random_moments(rng, ctx.now, n, days=120)
    stamps = writer.timestamps(created)
    uuids = writer.uuids(n)
    id0, change0 = writer.next_id(Opportunity), writer.next_id(StageChange)
    amounts = np.round(rng.gamma(2.0, 2500.0, n), -1)
    rows, changes = [], []
    today = ctx.now.date()
    from_leads = _converted_leads(ctx, n)
    # An opportunity belongs to whoever looks after its account (or that account's team), so
    # its owner can open the account and quote it: record rules follow the account.
    keepers = {pk: (owner_id, team_id) for pk, owner_id, team_id in Account.all_objects.filter(
        organization=ctx.organization, owner__isnull=False).values_list("pk", "owner_id",
                                                                        "team_id")}
    for i in range(n):
        stage = stages[stage_idx[i]]
        owner = owners[i % len(owners)]
        closing = today + dt.timedelta(days=int(rng.integers(-20, 150)))
        status = {"won": "won", "lost": "lost"}.get(stage.kind, "open")
        closed = stamps[i] if status != "open" else None
        account = int(accounts[int(rng.integers(0, accounts.size))])
        lead, source = None, ""
        if i in from_leads:  # opened when the lead was converted: its account and source
            lead, account, source = from_leads[i]
        owner_id, team_id = keepers.get(account, (owner.pk, owner.team_id))
        rows.append((
            id0 + i, ctx.organization.pk, uuids[i], stamps[i], stamps[i], 1,
            f"{('Pedido', 'Renewal', 'Ampliación', 'New line')[i % 4]} {i + 1}",
            account, None, lead, pipeline.pk,
            stage.pk, str(Decimal(str(amounts[i])).quantize(CENT)), "EUR",
            str(stage.probability), closing.isoformat(), owner_id, team_id, source, status,
            "Precio" if status == "lost" else "", stamps[i], closed))
        changes.append((change0 + i, ctx.organization.pk, writer.uuids(1)[0], stamps[i],
                        stamps[i], 1, id0 + i, None, stage.pk, stamps[i], 0, owner_id))
    writer.insert(Opportunity, (
        "id", "organization_id", "uuid", "created_at", "updated_at", "version", "name",
        "account_id", "contact_id", "lead_id", "pipeline_id", "stage_id", "amount", "currency",
        "probability", "expected_close", "owner_id", "team_id", "source", "status",
        "lost_reason", "stage_entered_at", "closed_at"), rows)
    writer.insert(StageChange, (
        "id", "organization_id", "uuid", "created_at", "updated_at", "version",
        "opportunity_id", "from_stage_id", "to_stage_id", "changed_at", "seconds_in_previous",
        "actor_id"), changes)
    return n


def _converted_leads(ctx: DemoContext, n: int) -> dict[int, tuple[int, int, str]]:
    """Opportunity index → (lead, account, source) for up to a third of the opportunities,
    one per converted lead, so the conversion funnel shows leads becoming opportunities."""
    from vinculo.customers.models import Lead, LeadStatus

    leads = list(Lead.all_objects.filter(organization=ctx.organization,
                                         status=LeadStatus.CONVERTED,
                                         converted_account__isnull=False)
                 .order_by("id").values_list("id", "converted_account_id", "source"))
    picked = np.random.default_rng(n).permutation(n)[:min(len(leads), n // 3)]
    return {int(i): leads[k] for k, i in enumerate(picked)}


def _stage_weights(count: int) -> list[float]:
    """More opportunities early in the pipeline than late; a few won and lost."""
    open_stages = count - 2
    weights = [float(open_stages - k + 1) for k in range(open_stages)] + [1.0, 1.0]
    total = sum(weights)
    return [w / total for w in weights]
