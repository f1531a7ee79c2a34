"""Reads of quotes, orders and deliveries: lists, remaining quantities, the account's recent
documents."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from typing import Any

from django.db.models import Count, F, Min, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from vinculo.core.formats import format_money
from vinculo.core.models import User
from vinculo.customers.models import Account
from vinculo.sales.models import Delivery, Order, OrderLine, OrderStatus, Quote, QuoteStatus

RECENT = 10


def quotes(user: User) -> QuerySet:
    """The quotes ``user`` may see (their account's record rule)."""
    return Quote.objects.all().restrict(user).select_related("account").order_by(
        "-created_at", "-id")


def quote_versions(quote: Quote) -> QuerySet:
    return Quote.objects.filter(number=quote.number).order_by("-revision")


def orders(user: User) -> QuerySet:
    """The orders ``user`` may see (their account's record rule)."""
    return Order.objects.all().restrict(user).select_related("account").order_by(
        "-ordered_on", "-id")


def deliveries(user: User) -> QuerySet:
    """The deliveries ``user`` may see (their order's account's record rule)."""
    return (Delivery.objects.all().restrict(user).select_related("order", "order__account")
            .order_by("-delivered_on", "-id"))


def order_lines_remaining(order: Order) -> list[dict[str, Any]]:
    """Each line with its ordered, delivered and remaining quantity."""
    return [{"line": line, "remaining": line.quantity - line.delivered_quantity}
            for line in order.lines.all()]


def account_documents(account: Account, *, limit: int = RECENT) -> dict[str, list[Any]]:
    """The account's most recent quotes (current versions), orders and deliveries, for the
    customer 360° timeline."""
    return {
        "quotes": list(Quote.objects.filter(account=account)
                       .exclude(status=QuoteStatus.SUPERSEDED)
                       .order_by("-created_at", "-id")[:limit]),
        "orders": list(Order.objects.filter(account=account).order_by("-ordered_on", "-id")
                       [:limit]),
        "deliveries": list(Delivery.objects.filter(order__account=account)
                           .select_related("order").order_by("-delivered_on", "-id")[:limit]),
    }


# ---- delivery indicators: each defined here once, for every page and API that shows it ----

#: What each indicator measures, in the words the pages show under it.
INDICATORS = {
    "on_time_rate": _("On-time delivery: orders delivered in full by the promised date, out "
                      "of the orders due."),
    "order_fill_rate": _("Order fill rate (complete orders): orders shipped complete in a "
                         "single delivery, out of the orders due."),
    "line_fill_rate": _("Line fill rate: order lines delivered in full, out of the lines of "
                        "the orders due."),
    "unit_fill_rate": _("Unit fill rate: units delivered, out of the units ordered on the "
                        "orders due; partial orders count in full once completed."),
}


def orders_due(*, on: dt.date, since: dt.date | None = None,
               user: User | None = None) -> QuerySet:
    """Orders due on ``on``: promised on or before it (after ``since``, when given), not
    cancelled; annotated with ``n_deliveries``, their deliveries that are not replacements for
    a return. Those ``user`` may see when one is given."""
    deliveries = (Delivery.all_objects.filter(order=OuterRef("pk"), is_replacement=False)
                  .order_by().values("order").annotate(n=Count("id")).values("n")[:1])
    queryset = Order.objects.all()
    if user is not None:
        queryset = queryset.restrict(user)
    queryset = queryset.exclude(status=OrderStatus.CANCELLED).filter(promised_date__lte=on)
    if since is not None:
        queryset = queryset.filter(promised_date__gt=since)
    return queryset.annotate(n_deliveries=Coalesce(Subquery(deliveries), Value(0)))


def on_time() -> Q:
    """An order due that was delivered in full on or before its promised date."""
    return Q(status=OrderStatus.DELIVERED, delivered_on__isnull=False,
             delivered_on__lte=F("promised_date"))


def order_filled() -> Q:
    """An order due shipped complete in a single delivery (the order fill rate's numerator)."""
    return Q(status=OrderStatus.DELIVERED, n_deliveries=1)


def rate(count: int | float | None, total: int | float | None) -> float | None:
    """``count`` ÷ ``total`` as a percentage with one decimal (None when nothing is due)."""
    if not total:
        return None
    return round(100 * float(count or 0) / float(total), 1)


def delivery_indicators(*, on: dt.date, since: dt.date | None = None,
                        user: User | None = None) -> dict[str, Any]:
    """On-time delivery and the three fill rates over the orders due (``orders_due``)."""
    orders = orders_due(on=on, since=since, user=user)
    counts = orders.aggregate(due=Count("id"), on_time=Count("id", filter=on_time()),
                              filled=Count("id", filter=order_filled()))
    lines = OrderLine.objects.filter(order__in=orders.values("id")).aggregate(
        lines=Count("id"), full=Count("id", filter=Q(delivered_quantity__gte=F("quantity"))),
        ordered=Sum("quantity"), delivered=Sum("delivered_quantity"))
    due = counts["due"] or 0
    return {
        "orders_due": due, "on_time": counts["on_time"], "late": due - counts["on_time"],
        "filled": counts["filled"], "lines": lines["lines"], "lines_filled": lines["full"],
        "on_time_rate": rate(counts["on_time"], due),
        "order_fill_rate": rate(counts["filled"], due),
        "line_fill_rate": rate(lines["full"], lines["lines"]),
        "unit_fill_rate": rate(lines["delivered"], lines["ordered"]),
        "from": since, "to": on,
    }


def new_customers(*, start: dt.date, end: dt.date,
                  owners: Collection[int] | None = None) -> int:
    """Accounts whose first order that was not cancelled was placed from ``start`` to ``end``
    (inclusive): customers won in the period (of accounts owned by ``owners``, when given)."""
    orders = Order.objects.exclude(status=OrderStatus.CANCELLED)
    if owners is not None:
        orders = orders.filter(account__owner_id__in=list(owners))
    return (orders.order_by().values("account_id").annotate(first=Min("ordered_on"))
            .filter(first__gte=start, first__lte=end).count())


def timeline(record: Any, limit: int) -> list[Any]:
    """Quotes, orders and deliveries of an account, for the 360° timeline."""
    import datetime as dt

    from django.urls import reverse
    from django.utils.translation import gettext as _

    from vinculo.core.timeline import TimelineItem

    if not isinstance(record, Account):
        return []
    docs = account_documents(record, limit=limit)
    items = []
    for quote in docs["quotes"]:
        items.append(TimelineItem(quote.created_at, "quote",
                                  _("Quote %(number)s") % {"number": quote},
                                  reverse("sales:quote_detail", kwargs={"uuid": quote.uuid}),
                                  f"{quote.get_status_display()} · "
                                  f"{format_money(quote.total_amount, quote.currency)}"))
    for order in docs["orders"]:
        items.append(TimelineItem(
            dt.datetime.combine(order.ordered_on, dt.time(12), tzinfo=dt.UTC), "order",
            _("Order %(number)s") % {"number": order.number},
            reverse("sales:order_detail", kwargs={"uuid": order.uuid}),
            f"{order.get_status_display()} · "
            f"{format_money(order.total_amount, order.currency)}"))
    for delivery in docs["deliveries"]:
        items.append(TimelineItem(
            dt.datetime.combine(delivery.delivered_on, dt.time(16), tzinfo=dt.UTC), "delivery",
            _("Delivery %(number)s") % {"number": delivery.number},
            reverse("sales:delivery_detail", kwargs={"uuid": delivery.uuid}),
            delivery.order.number))
    return items
