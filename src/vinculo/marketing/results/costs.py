"""The cost to serve of what a campaign generated, at the organisation's analytics cost rates.

Analytics prices a customer's activities by driver (``analytics.CostRate``: so much per order,
per delivery, per call…). Of those, the ones a campaign's conversion sets off and that can be
tied to it one by one are the attributed orders and their deliveries; they are priced at the
``order`` and ``delivery`` rates. The messages themselves are the campaign's cost per message,
and the calls or visits of a phone or visit campaign its logged interactions, so neither is
counted twice here. A lead or an opportunity has no driver of its own and costs nothing extra.
"""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Count, Func, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from vinculo.analytics.models import CostRate
from vinculo.marketing.models import Campaign, RecipientStatus
from vinculo.marketing.results import attribution
from vinculo.sales.models import Delivery

DRIVERS = ("order", "delivery")


def serve_cost(campaign: Campaign, *, model: str = attribution.LAST_TOUCH) -> Decimal:
    rates = {row.driver: row.rate for row in CostRate.all_objects.filter(
        organization_id=campaign.organization_id, driver__in=DRIVERS)}
    if not any(rates.values()):
        return Decimal("0.00")
    rows = attribution.outcomes(campaign, model=model).filter(status=RecipientStatus.SENT)
    orders = attribution._orders(attribution._outer(2), model)
    deliveries = (Delivery.all_objects.filter(order_id__in=orders.values("id"))
                  .order_by().annotate(_n=Func("id", function="COUNT")).values("_n")[:1])
    figures = rows.annotate(delivered=Coalesce(Subquery(deliveries), Value(0))).aggregate(
        n_orders=Sum("orders"), n_deliveries=Sum("delivered"), n=Count("id"))
    cost = (Decimal(figures["n_orders"] or 0) * rates.get("order", Decimal(0))
            + Decimal(figures["n_deliveries"] or 0) * rates.get("delivery", Decimal(0)))
    return cost.quantize(Decimal("0.01"))

