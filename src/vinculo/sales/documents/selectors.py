"""Reads of quotes, orders and deliveries: lists, remaining quantities, the account's recent
documents."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from vinculo.core.formats import format_money
from vinculo.core.models import User
from vinculo.customers.models import Account
from vinculo.sales.models import Delivery, Order, Quote, QuoteStatus

RECENT = 10


def quotes(user: User) -> QuerySet:
    return Quote.objects.all().select_related("account").order_by("-created_at", "-id")


def quote_versions(quote: Quote) -> QuerySet:
    return Quote.objects.filter(number=quote.number).order_by("-revision")


def orders(user: User) -> QuerySet:
    return Order.objects.all().select_related("account").order_by("-ordered_on", "-id")


def deliveries(user: User) -> QuerySet:
    return (Delivery.objects.all().select_related("order", "order__account")
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
