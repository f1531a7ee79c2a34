"""Whether each package keeps its promise and pays for itself: the indicators per package.

Each indicator is one aggregate query grouped by the customers' current package (never rows in
Python): the orders, tickets, surveys, returns and invoices of the package's customers in the
period (start, end], and the latest analytics snapshot's revenue, cost to serve and profit.
The migration matrix counts the applied changes of package in the period, from → to.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db.models import Avg, Count, F, Q, Sum

from vinculo.analytics.models import CustomerSnapshot
from vinculo.analytics.selectors import latest_done_run
from vinculo.billing.models import Invoice, InvoiceKind, InvoiceStatus, ReturnAuthorization
from vinculo.packages.models import AccountPackage, ChangeStatus, PackageChange
from vinculo.sales.documents.selectors import on_time, order_filled, orders_due, rate
from vinculo.sales.models import Order, OrderLine, OrderStatus
from vinculo.service.models import SlaState, Survey, Ticket, TicketType

PKG = "account__service_package__package_id"


def _per(rows: Iterable[dict[str, Any]], key: str = "pkg") -> dict[Any, dict[str, Any]]:
    return {row[key]: row for row in rows}


def _per_hundred(part: int | None, whole: int | None) -> float | None:
    return rate(part, whole)


def measures(*, start: dt.date, end: dt.date) -> dict[int, dict[str, Any]]:
    """package id → the indicators over (start, end] for its current customers."""
    members = _per(AccountPackage.objects.order_by().values(pkg=F("package_id"))
                   .annotate(customers=Count("id")))
    due = orders_due(on=end, since=start)
    delivery = _per(due.filter(**{f"{PKG}__isnull": False}).order_by()
                    .values(pkg=F(PKG)).annotate(
                        due=Count("id"), on_time=Count("id", filter=on_time()),
                        filled=Count("id", filter=order_filled())))
    units = _per(OrderLine.objects.filter(order__in=due.values("id"))
                 .filter(**{f"order__{PKG}__isnull": False}).order_by()
                 .values(pkg=F(f"order__{PKG}"))
                 .annotate(ordered=Sum("quantity"), delivered=Sum("delivered_quantity")))
    placed = _per(Order.objects.filter(ordered_on__gt=start, ordered_on__lte=end)
                  .exclude(status=OrderStatus.CANCELLED)
                  .filter(**{f"{PKG}__isnull": False}).order_by()
                  .values(pkg=F(PKG)).annotate(orders=Count("id")))
    tickets = _per(Ticket.objects.filter(created_at__date__gt=start, created_at__date__lte=end)
                   .filter(**{f"{PKG}__isnull": False}).order_by()
                   .values(pkg=F(PKG)).annotate(
                       complaints=Count("id", filter=Q(type=TicketType.COMPLAINT)),
                       met=Count("id", filter=Q(resolution_state=SlaState.MET)),
                       judged=Count("id", filter=Q(
                           resolution_state__in=[SlaState.MET, SlaState.BREACHED],
                           resolved_at__isnull=False))))
    surveys = _per(Survey.objects.filter(answered_at__date__gt=start,
                                         answered_at__date__lte=end)
                   .filter(**{f"ticket__{PKG}__isnull": False}).order_by()
                   .values(pkg=F(f"ticket__{PKG}")).annotate(
                       csat=Avg("csat"), nps_n=Count("id", filter=Q(nps__isnull=False)),
                       promoters=Count("id", filter=Q(nps__gte=9)),
                       detractors=Count("id", filter=Q(nps__lte=6))))
    returns = _per(ReturnAuthorization.objects.filter(requested_on__gt=start,
                                                      requested_on__lte=end)
                   .filter(**{f"{PKG}__isnull": False}).order_by()
                   .values(pkg=F(PKG)).annotate(returns=Count("id")))
    invoices = _per(Invoice.objects.filter(issue_date__gt=start, issue_date__lte=end)
                    .exclude(status=InvoiceStatus.DRAFT)
                    .filter(**{f"{PKG}__isnull": False}).order_by()
                    .values(pkg=F(PKG)).annotate(
                        invoices=Count("id", filter=Q(kind=InvoiceKind.INVOICE)),
                        credit_notes=Count("id", filter=Q(kind=InvoiceKind.CREDIT_NOTE))))
    run = latest_done_run()
    money: dict[Any, dict[str, Any]] = {}
    if run is not None:
        money = _per(CustomerSnapshot.objects.filter(as_of=run.as_of)
                     .filter(**{f"{PKG}__isnull": False}).order_by()
                     .values(pkg=F(PKG)).annotate(
                         scored=Count("id"), revenue=Sum("revenue"),
                         cost_to_serve=Sum("cost_to_serve"), profit=Sum("profit")))
    result: dict[int, dict[str, Any]] = {}
    for package_id in set(members) | set(delivery) | set(tickets) | set(invoices):
        d, u = delivery.get(package_id, {}), units.get(package_id, {})
        t, s = tickets.get(package_id, {}), surveys.get(package_id, {})
        orders = placed.get(package_id, {}).get("orders", 0)
        inv = invoices.get(package_id, {})
        m = money.get(package_id, {})
        scored = m.get("scored") or 0
        nps_n = s.get("nps_n") or 0
        result[package_id] = {
            "customers": members.get(package_id, {}).get("customers", 0),
            "orders_due": d.get("due", 0), "orders": orders,
            "on_time_rate": rate(d.get("on_time"), d.get("due")),
            "fill_rate": rate(u.get("delivered"), u.get("ordered")),
            "order_fill_rate": rate(d.get("filled"), d.get("due")),
            "sla_compliance": rate(t.get("met"), t.get("judged")),
            "csat": round(s["csat"], 2) if s.get("csat") is not None else None,
            "nps": round(100.0 * (s["promoters"] - s["detractors"]) / nps_n, 1)
            if nps_n else None,
            "complaints_per_100_orders": _per_hundred(t.get("complaints"), orders),
            "return_rate": _per_hundred(returns.get(package_id, {}).get("returns"), orders),
            "credit_notes_per_100_invoices": _per_hundred(inv.get("credit_notes"),
                                                          inv.get("invoices")),
            "revenue_per_customer": m["revenue"] / scored if scored else None,
            "cost_to_serve_per_customer": m["cost_to_serve"] / scored if scored else None,
            "profit_per_customer": m["profit"] / scored if scored else None,
        }
    return result


def migration_matrix(*, start: dt.date, end: dt.date) -> dict[tuple[Any, Any], int]:
    """(from package id or None, to package id or None) → customers moved in (start, end]."""
    rows = (PackageChange.objects.filter(status=ChangeStatus.APPLIED, on__gt=start, on__lte=end)
            .order_by().values("from_package_id", "to_package_id").annotate(n=Count("id")))
    return {(r["from_package_id"], r["to_package_id"]): r["n"] for r in rows}
