"""Cost drivers of sales (orders placed, deliveries made), for the cost to serve."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db.models import Count

from vinculo.core.cost_drivers import date_window
from vinculo.sales.models import Delivery, Order, OrderStatus


def count_orders(org_id: int, start: dt.date | None, end: dt.date
                 ) -> Iterable[tuple[int, int]]:
    qs = Order.all_objects.filter(organization_id=org_id).exclude(status=OrderStatus.CANCELLED)
    return (date_window(qs, "ordered_on", start, end).order_by().values("account_id")
            .annotate(n=Count("id")).values_list("account_id", "n"))


def count_deliveries(org_id: int, start: dt.date | None, end: dt.date
                     ) -> Iterable[tuple[int, int]]:
    qs = Delivery.all_objects.filter(organization_id=org_id)
    return (date_window(qs, "delivered_on", start, end).order_by().values("order__account_id")
            .annotate(n=Count("id")).values_list("order__account_id", "n"))
