"""Which leads, opportunities, orders and web-form submissions a campaign's recipients made
within its attribution window — set-based SQL: correlated subqueries over each recipient,
so one query per figure, whatever the audience's size.

The rules (docs/architecture.md, "Campaign results: attribution, lift, ROI"):

- A recipient's window opens when the message was sent (a control-group member, never sent
  to, takes the campaign's start) and closes ``attribution_days`` after the send — or after the
  recipient's click, when they clicked, for the attributed figures.
- A conversion of the recipient is a lead with the contact's e-mail, an opportunity or an
  order of the recipient's account (every opportunity and order has one; cancelled orders
  left out), a web-form submission logged on the contact. Each is matched on one indexed
  equality (``lead_org_email``, the accounts' keys, the interaction's contact), so the
  correlated subqueries read only that customer's rows. Orders carry a day, not an instant:
  an order counts from the day of the send to the last day of the window.
- Several campaigns may cover one conversion. **Last touch** (the default) gives it to the
  campaign whose message reached the contact last before it; **first touch** to the one that
  reached them first. Two sends at the same instant: the older campaign (lower id) wins.
  The control-group comparison (``lift``) does not share conversions out: each arm counts
  every conversion in its own window, with the same window for both (send + days, no click
  extension), since a held-out member has no touch to compete with.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.db.models import (
    DateTimeField,
    DecimalField,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce, TruncDate

from vinculo.customers.models import Lead
from vinculo.interactions.models import WebFormSubmission
from vinculo.marketing.models import Campaign, CampaignRecipient, RecipientStatus
from vinculo.sales.models import Opportunity, Order, OrderLine, OrderStatus

LAST_TOUCH = "last"
FIRST_TOUCH = "first"
MODELS = (LAST_TOUCH, FIRST_TOUCH)

MONEY = DecimalField(max_digits=18, decimal_places=2)
ZERO = Value(Decimal("0.00"), output_field=MONEY)
Ref = Callable[[str], Any]


def _outer(depth: int) -> Ref:
    """A reference to the recipient row from a subquery ``depth`` levels down."""
    def ref(name: str) -> Any:
        value: Any = name
        for _level in range(depth):
            value = OuterRef(value)
        return value
    return ref


def _days(field: str) -> ExpressionWrapper:
    days = ExpressionWrapper(F(field), output_field=IntegerField())
    return ExpressionWrapper(days * Value(dt.timedelta(days=1)), output_field=DurationField())


def windows(recipients: QuerySet, campaign: Campaign, *, by_click: bool) -> QuerySet:
    """``recipients`` with ``anchor`` (send, or the campaign's start for the control group)
    and ``window_end``, and their days, for the subqueries to refer to."""
    days = dt.timedelta(days=campaign.attribution_days)
    start = Coalesce(F("sent_at"), Value(campaign.started_at, output_field=DateTimeField()))
    last_touch = Coalesce(F("clicked_at"), F("sent_at")) if by_click else F("sent_at")
    end = Coalesce(last_touch, Value(campaign.started_at, output_field=DateTimeField()))
    return recipients.annotate(
        anchor=start,
        window_end=ExpressionWrapper(end + Value(days), output_field=DateTimeField()),
    ).annotate(anchor_day=TruncDate("anchor"), end_day=TruncDate("window_end"))


def _competitor(ref: Ref, model: str, instant: Any, *, by_day: bool) -> Exists:
    """Another campaign's send to the same contact whose window also covers the conversion at
    ``instant`` and that the attribution model prefers (a later — or earlier — send, or the
    same instant and an older campaign)."""
    sent = TruncDate("sent_at") if by_day else F("sent_at")
    end = ExpressionWrapper(Coalesce(F("clicked_at"), F("sent_at"))
                            + _days("campaign__attribution_days"),
                            output_field=DateTimeField())
    mine = ref("sent_at")
    better = Q(sent_at__gt=mine) if model == LAST_TOUCH else Q(sent_at__lt=mine)
    better |= Q(sent_at=mine, campaign_id__lt=ref("campaign_id"))
    rows = (CampaignRecipient.objects.filter(
        contact_id=ref("contact_id"), status=RecipientStatus.SENT, sent_at__isnull=False)
        .exclude(campaign_id=ref("campaign_id"))
        .annotate(touch_start=sent, touch_end=TruncDate(end) if by_day else end)
        .filter(touch_start__lte=instant, touch_end__gte=instant).filter(better))
    return Exists(rows)


def _leads(ref: Ref, model: str | None) -> QuerySet:
    rows = Lead.all_objects.filter(
        email=ref("contact__email"), organization_id=ref("organization_id"),
        created_at__gte=ref("anchor"), created_at__lte=ref("window_end"))
    if model:
        rows = rows.filter(~_competitor(_deeper(ref), model, OuterRef("created_at"),
                                        by_day=False))
    return rows


def _deeper(ref: Ref) -> Ref:
    return lambda name: OuterRef(ref(name))


def _opportunities(ref: Ref, model: str | None) -> QuerySet:
    rows = Opportunity.all_objects.filter(
        account_id=ref("account_id"), organization_id=ref("organization_id"),
        created_at__gte=ref("anchor"), created_at__lte=ref("window_end"))
    if model:
        rows = rows.filter(~_competitor(_deeper(ref), model, OuterRef("created_at"),
                                        by_day=False))
    return rows


def _forms(ref: Ref, model: str | None) -> QuerySet:
    rows = WebFormSubmission.all_objects.filter(
        interaction__contact_id=ref("contact_id"), organization_id=ref("organization_id"),
        created_at__gte=ref("anchor"), created_at__lte=ref("window_end"))
    if model:
        rows = rows.filter(~_competitor(_deeper(ref), model, OuterRef("created_at"),
                                        by_day=False))
    return rows


def _orders(ref: Ref, model: str | None, prefix: str = "") -> QuerySet:
    """Orders (``prefix=""``) or order lines (``prefix="order__"``) in the window."""
    base = OrderLine if prefix else Order
    rows = base.all_objects.filter(
        **{f"{prefix}account_id": ref("account_id"),
           "organization_id": ref("organization_id"),
           f"{prefix}ordered_on__gte": ref("anchor_day"),
           f"{prefix}ordered_on__lte": ref("end_day")},
    ).exclude(**{f"{prefix}status": OrderStatus.CANCELLED})
    if model:
        rows = rows.filter(~_competitor(_deeper(ref), model, OuterRef(f"{prefix}ordered_on"),
                                        by_day=True))
    return rows


def _first(rows: QuerySet, field: str) -> Subquery:
    return Subquery(rows.order_by(field).values(field)[:1])


def _sum(rows: QuerySet, expression: Any) -> Coalesce:
    """Σ expression over ``rows`` as a scalar subquery (SUM with no GROUP BY)."""
    total = rows.order_by().annotate(
        _total=Func(expression, function="SUM", output_field=MONEY)).values("_total")[:1]
    return Coalesce(Subquery(total, output_field=MONEY), ZERO)


def outcomes(campaign: Campaign, *, model: str | None = LAST_TOUCH,
             by_click: bool = True) -> QuerySet:
    """The campaign's recipients, each with its first conversion of every kind in its window
    (``lead_at``, ``opportunity_at``, ``order_on``, ``form_at``), the ``orders`` it placed
    there, their ``revenue`` (net of tax) and ``cogs`` (Σ quantity × the product's cost
    price, as analytics counts the cost of goods).

    ``model`` is the attribution (``"last"``, ``"first"``), or None for no sharing between
    campaigns (the control-group comparison, with ``by_click=False``).
    """
    if model is not None and model not in MODELS:
        raise ValueError(f"unknown attribution model {model!r}")
    ref = _outer(1)
    rows = windows(CampaignRecipient.objects.filter(campaign=campaign), campaign,
                   by_click=by_click)
    orders = _orders(ref, model)
    lines = _orders(ref, model, prefix="order__").filter(product__isnull=False)
    count = orders.order_by().annotate(
        _n=Func(F("id"), function="COUNT")).values("_n")[:1]
    return rows.annotate(
        lead_at=_first(_leads(ref, model), "created_at"),
        opportunity_at=_first(_opportunities(ref, model), "created_at"),
        order_on=_first(orders, "ordered_on"),
        form_at=_first(_forms(ref, model), "created_at"),
        orders=Coalesce(Subquery(count), Value(0)),
        revenue=_sum(orders, F("net_amount")),
        cogs=_sum(lines, F("quantity") * F("product__cost_price")),
    )


CONVERTED = (Q(lead_at__isnull=False) | Q(opportunity_at__isnull=False)
             | Q(order_on__isnull=False) | Q(form_at__isnull=False))


def converted_at(row: dict[str, Any]) -> dt.datetime | None:
    """The first conversion of an ``outcomes`` row (an order at the start of its day)."""
    times = [row[k] for k in ("lead_at", "opportunity_at", "form_at") if row.get(k)]
    if row.get("order_on"):
        day = row["order_on"]
        if isinstance(day, str):  # SQLite hands some subquery dates back as text
            day = dt.date.fromisoformat(day)
        times.append(dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC))
    return min(times) if times else None
