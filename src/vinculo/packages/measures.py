"""Whether each package keeps its promise and pays for itself: the indicators per package.

A record counts for the package its customer had **when the promise was made**: an order for
the package in force on the day it was placed (its lead time and partial deliveries were that
package's), a ticket and its survey for the one in force the day it was opened, a return on
the day it was asked for, an invoice on its issue date, the analytics snapshot's revenue, cost
to serve and profit on its date. A customer who moved from Silver to Gold mid-period leaves
their Silver orders to Silver: crediting them to Gold would judge Gold by a promise it never
made. The package in force on a day is the latest applied change of package on or before it
(``PackageChange``, every assignment writes one); a customer without one then had none.

Each indicator is one aggregate query grouped by that package (a correlated subquery per
record, over the changes' index on the account — never rows in Python), over the period
(start, end]. ``customers`` counts everyone who had the package at some time in the period:
those who had it on its first day plus those who moved into it during it. The migration
matrix counts the applied changes of package in the period, from → to.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db.models import Avg, Count, F, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import TruncDate

from vinculo.analytics.models import CustomerSnapshot
from vinculo.analytics.selectors import latest_done_run
from vinculo.billing.models import Invoice, InvoiceKind, InvoiceStatus, ReturnAuthorization
from vinculo.customers.models import Account
from vinculo.packages.models import ChangeStatus, PackageChange
from vinculo.sales.documents.selectors import on_time, order_filled, orders_due, rate
from vinculo.sales.models import Order, OrderLine, OrderStatus
from vinculo.service.models import SlaState, Survey, Ticket, TicketType


def package_on(account: str, day: str | dt.date) -> Subquery:
    """The package (id) the account in the outer query's ``account`` had on ``day`` (a field
    of the outer query, or a date): the latest applied change on or before it."""
    when = OuterRef(day) if isinstance(day, str) else Value(day)
    return Subquery(PackageChange.objects.filter(
        account_id=OuterRef(account), status=ChangeStatus.APPLIED, on__lte=when)
        .order_by("-on", "-id").values("to_package_id")[:1])


def _per(rows: Iterable[dict[str, Any]], key: str = "pkg") -> dict[Any, dict[str, Any]]:
    return {row[key]: row for row in rows}


def _per_hundred(part: int | None, whole: int | None) -> float | None:
    return rate(part, whole)


def _by_package(queryset: Any, account: str, day: str) -> Any:
    """``queryset`` grouped by the package its account had on ``day`` (records of customers
    without a package then are left out)."""
    return (queryset.annotate(pkg=package_on(account, day)).filter(pkg__isnull=False)
            .order_by().values("pkg"))


def customers_in_period(*, start: dt.date, end: dt.date) -> dict[Any, int]:
    """package id → the customers who had it at some time in (start, end]: on ``start``'s
    evening, or moved into it later in the period (each customer once)."""
    at_start = _per(_by_package(Account.objects.all(), "pk", start).annotate(n=Count("id")))
    moved_in = _per(PackageChange.objects.filter(
        status=ChangeStatus.APPLIED, on__gt=start, on__lte=end, to_package__isnull=False)
        .annotate(before=package_on("account_id", start))
        .filter(Q(before__isnull=True) | ~Q(before=F("to_package_id")))
        .order_by().values(pkg=F("to_package_id"))
        .annotate(n=Count("account_id", distinct=True)))
    return {pkg: at_start.get(pkg, {}).get("n", 0) + moved_in.get(pkg, {}).get("n", 0)
            for pkg in set(at_start) | set(moved_in)}


def measures(*, start: dt.date, end: dt.date) -> dict[int, dict[str, Any]]:
    """package id → the indicators over (start, end], each record counted for the package
    its customer had when the promise was made (the module's docstring)."""
    members = customers_in_period(start=start, end=end)
    due = orders_due(on=end, since=start)
    delivery = _per(_by_package(due, "account_id", "ordered_on").annotate(
        due=Count("id"), on_time=Count("id", filter=on_time()),
        filled=Count("id", filter=order_filled())))
    units = _per(_by_package(OrderLine.objects.filter(order__in=due.values("id")),
                             "order__account_id", "order__ordered_on")
                 .annotate(ordered=Sum("quantity"), delivered=Sum("delivered_quantity")))
    placed = _per(_by_package(Order.objects.filter(ordered_on__gt=start, ordered_on__lte=end)
                              .exclude(status=OrderStatus.CANCELLED), "account_id", "ordered_on")
                  .annotate(orders=Count("id")))
    tickets = _per(_by_package(Ticket.objects.filter(created_at__date__gt=start,
                                                     created_at__date__lte=end)
                               .annotate(day=TruncDate("created_at")), "account_id", "day")
                   .annotate(
                       complaints=Count("id", filter=Q(type=TicketType.COMPLAINT)),
                       met=Count("id", filter=Q(resolution_state=SlaState.MET)),
                       judged=Count("id", filter=Q(
                           resolution_state__in=[SlaState.MET, SlaState.BREACHED],
                           resolved_at__isnull=False))))
    surveys = _per(_by_package(Survey.objects.filter(answered_at__date__gt=start,
                                                     answered_at__date__lte=end)
                               .annotate(day=TruncDate("ticket__created_at")),
                               "ticket__account_id", "day").annotate(
                       csat=Avg("csat"), nps_n=Count("id", filter=Q(nps__isnull=False)),
                       promoters=Count("id", filter=Q(nps__gte=9)),
                       detractors=Count("id", filter=Q(nps__lte=6))))
    returns = _per(_by_package(ReturnAuthorization.objects.filter(requested_on__gt=start,
                                                                  requested_on__lte=end),
                               "account_id", "requested_on").annotate(returns=Count("id")))
    invoices = _per(_by_package(Invoice.objects.filter(issue_date__gt=start, issue_date__lte=end)
                                .exclude(status=InvoiceStatus.DRAFT), "account_id", "issue_date")
                    .annotate(
                        invoices=Count("id", filter=Q(kind=InvoiceKind.INVOICE)),
                        credit_notes=Count("id", filter=Q(kind=InvoiceKind.CREDIT_NOTE))))
    run = latest_done_run()
    money: dict[Any, dict[str, Any]] = {}
    if run is not None:
        money = _per(_by_package(CustomerSnapshot.objects.filter(as_of=run.as_of),
                                 "account_id", "as_of").annotate(
                         scored=Count("id"), revenue=Sum("revenue"),
                         cost_to_serve=Sum("cost_to_serve"), profit=Sum("profit")))
    result: dict[int, dict[str, Any]] = {}
    for package_id in (set(members) | set(delivery) | set(placed) | set(tickets)
                       | set(surveys) | set(returns) | set(invoices) | set(money)):
        d, u = delivery.get(package_id, {}), units.get(package_id, {})
        t, s = tickets.get(package_id, {}), surveys.get(package_id, {})
        orders = placed.get(package_id, {}).get("orders", 0)
        inv = invoices.get(package_id, {})
        m = money.get(package_id, {})
        scored = m.get("scored") or 0
        nps_n = s.get("nps_n") or 0
        result[package_id] = {
            "customers": members.get(package_id, 0),
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
