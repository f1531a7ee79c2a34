"""Demo billing: an invoice for each delivered order, payments (most on time, some late, some
still open, so aging has something to show) and a few returns."""

from __future__ import annotations

import datetime as dt

import numpy as np
from django.db import connection

from vinculo.billing.models import (
    Invoice,
    InvoiceLine,
    Payment,
    ReturnAuthorization,
    ReturnLine,
)
from vinculo.core.demo import DemoContext
from vinculo.core.models import DocumentSequence
from vinculo.sales.models import Order, OrderLine

PAID, LATE_PAYERS, RETURNED = 0.82, 0.15, 0.02
TERMS_DAYS = 30


def estimate(customers: int) -> int:
    """Rows written for ``customers`` customers (the demo's progress bar)."""
    return min(customers // 3, 20_000) * 9


def generate(ctx: DemoContext) -> dict[str, int]:
    rng = ctx.rng("billing")
    writer = ctx.writer
    org_id = ctx.organization.pk
    today = ctx.now.date()
    orders = list(Order.all_objects.filter(organization_id=org_id, status="delivered")
                  .order_by("delivered_on", "id")
                  .values_list("id", "account_id", "net_amount", "tax_amount", "total_amount",
                               "delivered_on"))
    if not orders:
        return {}
    # No join: during a large load the tables' secondary indexes are only rebuilt at the end.
    delivered = {row[0] for row in orders}
    lines = {row[0]: row[1:] for row in OrderLine.all_objects.filter(
        organization_id=org_id).values_list(
        "order_id", "id", "product_id", "description", "quantity", "unit_price", "tax_rate",
        "net_amount", "tax_amount", "total_amount") if row[0] in delivered}
    n = len(orders)
    invoice_id0, line_id0 = writer.next_id(Invoice), writer.next_id(InvoiceLine)
    payment_id0 = writer.next_id(Payment)
    uuids = writer.uuids(3 * n)
    paid = rng.random(n) < PAID
    late = rng.random(n) < LATE_PAYERS
    pay_after = rng.integers(5, TERMS_DAYS, n)
    late_by = rng.integers(5, 60, n)
    numbers: dict[str, int] = {}
    admin = ctx.users["admin"].pk
    invoice_rows, line_rows, payment_rows, settle = [], [], [], []
    base_ts = "T09:00:00+00:00" if writer.vendor == "postgresql" else " 09:00:00"
    for i, (order_id, account_id, net, tax, total, delivered_on) in enumerate(orders):
        issue = delivered_on
        key = f"F-{issue.year}"
        numbers[key] = numbers.get(key, 0) + 1
        stamp = issue.isoformat() + base_ts
        invoice_pk = invoice_id0 + i
        due = issue + dt.timedelta(days=TERMS_DAYS)
        paid_on = None
        if paid[i] or due + dt.timedelta(days=90) < today:
            days = int(pay_after[i]) + (TERMS_DAYS + int(late_by[i]) if late[i] else 0)
            paid_on = issue + dt.timedelta(days=days)
            if paid_on > today:
                paid_on = None
        invoice_rows.append((
            invoice_pk, org_id, uuids[3 * i], stamp, stamp, 1, f"{key}-{numbers[key]:06d}",
            account_id, None, "EUR", str(net), str(tax), str(total), "", "invoice", "F",
            "draft", order_id, None, issue.isoformat(), TERMS_DAYS, due.isoformat(), None, admin))
        line_id, product_id, description, qty, price, rate, l_net, l_tax, l_total = \
            lines[order_id]
        line_rows.append((
            line_id0 + i, org_id, uuids[3 * i + 1], stamp, stamp, 1, product_id, description,
            str(qty), str(price), "0", str(rate), str(l_net), str(l_tax), str(l_total), 0,
            invoice_pk, line_id, None))
        if paid_on is not None:
            pay_stamp = paid_on.isoformat() + base_ts
            payment_rows.append((
                payment_id0 + len(payment_rows), org_id, uuids[3 * i + 2], pay_stamp, pay_stamp,
                1, invoice_pk, str(total), paid_on.isoformat(), "transfer", "", admin))
        settle.append((invoice_pk, paid_on))
    base = ("id", "organization_id", "uuid", "created_at", "updated_at", "version")
    counts = {
        "invoices": writer.insert(Invoice, (
            *base, "number", "account_id", "contact_id", "currency", "net_amount", "tax_amount",
            "total_amount", "notes", "kind", "series", "status", "order_id",
            "credited_invoice_id", "issue_date", "payment_terms_days", "due_date", "paid_on",
            "issued_by_id"), invoice_rows),
        # lines go in while the invoices are drafts: issued invoices refuse new lines
        "invoice lines": writer.insert(InvoiceLine, (
            *base, "product_id", "description", "quantity", "unit_price", "discount_percent",
            "tax_rate", "net_amount", "tax_amount", "total_amount", "position", "invoice_id",
            "order_line_id", "credited_line_id"), line_rows),
        "payments": writer.insert(Payment, (
            *base, "invoice_id", "amount", "paid_on", "method", "reference", "recorded_by_id"),
            payment_rows),
    }
    with connection.cursor() as cursor:
        cursor.execute("UPDATE billing_invoice SET status = 'issued' WHERE organization_id = %s "
                       "AND status = 'draft' AND id >= %s", [org_id, invoice_id0])
        paid_rows = [(on.isoformat(), pk) for pk, on in settle if on is not None]
        cursor.executemany("UPDATE billing_invoice SET status = 'paid', paid_on = %s "
                           "WHERE id = %s", paid_rows)
    counts["returns"] = _returns(ctx, rng, orders, lines, today)
    for key, last in numbers.items():
        DocumentSequence.objects.update_or_create(organization_id=org_id, key=key,
                                                  defaults={"last_number": last})
    ctx.progress.update(sum(counts.values()))
    return counts


def _returns(ctx: DemoContext, rng: np.random.Generator, orders: list, lines: dict,
             today: dt.date) -> int:
    writer = ctx.writer
    org_id = ctx.organization.pk
    chosen = [o for o in orders if rng.random() < RETURNED]
    if not chosen:
        return 0
    rma_id0, line_id0 = writer.next_id(ReturnAuthorization), writer.next_id(ReturnLine)
    statuses = ("requested", "authorised", "received", "rejected")
    reasons = ("Producto dañado en el transporte", "Wrong item delivered",
               "Caducidad próxima", "Customer changed their mind")
    rows, line_rows, numbers = [], [], {}
    for i, (order_id, account_id, *_rest, delivered_on) in enumerate(chosen):
        requested = min(today, delivered_on + dt.timedelta(days=int(rng.integers(1, 20))))
        key = f"RMA-{requested.year}"
        numbers[key] = numbers.get(key, 0) + 1
        status = statuses[int(rng.integers(0, len(statuses)))]
        received = requested + dt.timedelta(days=5) if status == "received" else None
        stamp = writer.timestamps(np.array([requested], dtype="datetime64[us]"))[0]
        uuid_a, uuid_b = writer.uuids(2)
        rows.append((rma_id0 + i, org_id, uuid_a, stamp, stamp, 1, f"{key}-{numbers[key]:06d}",
                     account_id, order_id, reasons[i % len(reasons)], status,
                     requested.isoformat(), received.isoformat() if received else None, None, "",
                     None, None))
        line_rows.append((line_id0 + i, org_id, uuid_b, stamp, stamp, 1, rma_id0 + i,
                          lines[order_id][0], "1"))
    base = ("id", "organization_id", "uuid", "created_at", "updated_at", "version")
    count = writer.insert(ReturnAuthorization, (
        *base, "number", "account_id", "order_id", "reason", "status", "requested_on",
        "received_on", "closed_on", "resolution", "credit_note_id", "replacement_delivery_id"),
        rows)
    writer.insert(ReturnLine, (*base, "rma_id", "order_line_id", "quantity"), line_rows)
    for key, last in numbers.items():
        DocumentSequence.objects.update_or_create(organization_id=org_id, key=key,
                                                  defaults={"last_number": last})
    return count
