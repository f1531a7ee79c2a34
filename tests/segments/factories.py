"""Segments made through their services, and a small customer base with analytics, orders,
tickets and interactions that the rule tests select from."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils import timezone

from tests.core.factories import as_user
from tests.customers.factories import AccountFactory
from vinculo.analytics.models import AnalyticsRun, CustomerSnapshot, RunStatus
from vinculo.core.models import CustomField, User
from vinculo.customers import services as customer_services
from vinculo.customers.models import Account, Contact
from vinculo.interactions.models import Interaction
from vinculo.sales.models import Order, OrderStatus
from vinculo.segments import services
from vinculo.segments.models import Segment
from vinculo.service.models import Queue, Ticket, TicketStatus, TicketType


def make_segment(actor: User, **kwargs: Any) -> Segment:
    kwargs.setdefault("name", f"Segmento {Segment.all_objects.count() + 1}")
    with as_user(actor):
        return services.segment_create(actor=actor, **kwargs)


def snapshot(account: Account, as_of: dt.date, **values: Any) -> CustomerSnapshot:
    base: dict[str, Any] = {
        "first_purchase": as_of - dt.timedelta(days=400), "last_purchase": as_of,
        "recency_days": 10, "frequency": 3, "monetary": Decimal("100"), "T": 400,
        "r_score": 3, "f_score": 3, "m_score": 3, "rfm_segment": "Loyal", "p_alive": 0.5,
        "expected_purchases": 1.0, "expected_spend": Decimal("100"), "clv": Decimal("500"),
        "revenue": Decimal("300"), "cost_of_goods": Decimal("100"),
        "cost_to_serve": Decimal("50"), "profit": Decimal("150"), "profit_segment": "Medium",
        "value_tier": "Iron"}
    base.update(values)
    return CustomerSnapshot.all_objects.create(organization_id=account.organization_id,
                                               account=account, as_of=as_of, **base)


def order(account: Account, days_ago: int, amount: str = "100", *,
          status: str = OrderStatus.DELIVERED) -> Order:
    today = timezone.localdate()
    number = f"P-{Order.all_objects.count() + 1:05d}"
    return Order.all_objects.create(
        organization_id=account.organization_id, account=account, number=number,
        ordered_on=today - dt.timedelta(days=days_ago), promised_date=today,
        net_amount=Decimal(amount), total_amount=Decimal(amount), status=status)


@dataclass
class World:
    acme: Account      # customer, VIP, high value, three recent orders, a call last week
    beta: Account      # prospect, low value, one old order, an open ticket
    gamma: Account     # no orders, no snapshot, a complaint
    ana: Contact       # at acme, e-mail consent granted
    ben: Contact       # at beta, no consent
    cid: Contact       # at gamma, e-mail consent withdrawn
    loner: Contact     # at no account
    as_of: dt.date


def contact(admin: User, first: str, last: str, email: str, *, accounts: Any = (),
            consents: Any = (), **data: Any) -> Contact:
    with as_user(admin):
        return customer_services.contact_create(
            actor=admin, data={"first_name": first, "last_name": last, "email": email, **data},
            accounts=accounts, consents=consents)


def world(admin: User) -> World:
    with as_user(admin):
        CustomField.objects.create(organization=admin.organization, model="account",
                                   key="employees", label="Empleados", type="number")
        CustomField.objects.create(organization=admin.organization, model="contact",
                                   key="language_level", label="Nivel", type="choice",
                                   choices=["A1", "B2"])
    acme = AccountFactory(actor=admin, name="Acme", lifecycle_stage="customer", tags=["vip"],
                          custom_fields={"employees": 250})
    beta = AccountFactory(actor=admin, name="Beta", lifecycle_stage="prospect",
                          custom_fields={"employees": 12})
    gamma = AccountFactory(actor=admin, name="Gamma", lifecycle_stage="customer")
    ana = contact(admin, "Ana", "Alba", "ana@acme.example", accounts=[(acme, "CEO")],
                  consents=[{"channel": "email", "granted": True}],
                  custom_fields={"language_level": "B2"})
    ben = contact(admin, "Ben", "Bravo", "ben@beta.example", accounts=[(beta, "")])
    cid = contact(admin, "Cid", "Campos", "cid@gamma.example", accounts=[(gamma, "")],
                  consents=[{"channel": "email", "granted": False}])
    loner = contact(admin, "Lola", "Sola", "lola@example.org")
    as_of = timezone.localdate()
    AnalyticsRun.all_objects.create(organization=admin.organization, as_of=as_of,
                                    status=RunStatus.DONE)
    # an older run with other values: only the latest finished one counts
    AnalyticsRun.all_objects.create(organization=admin.organization,
                                    as_of=as_of - dt.timedelta(days=30), status=RunStatus.DONE)
    snapshot(acme, as_of, clv=Decimal("5000"), p_alive=0.95, value_tier="Platinum",
             rfm_segment="Champions", revenue=Decimal("3000"), profit=Decimal("1200"))
    snapshot(beta, as_of, clv=Decimal("80"), p_alive=0.2, value_tier="Lead",
             rfm_segment="At risk", revenue=Decimal("200"), profit=Decimal("-20"))
    snapshot(beta, as_of - dt.timedelta(days=30), clv=Decimal("9000"), p_alive=0.99)
    for days in (5, 40, 100):
        order(acme, days, "1000")
    order(acme, 3, "5000", status=OrderStatus.CANCELLED)
    order(beta, 200, "200")
    queue = Queue.all_objects.create(organization=admin.organization, name="General")
    Ticket.all_objects.create(organization=admin.organization, account=beta, contact=ben,
                              queue=queue,
                              subject="Factura", type=TicketType.REQUEST,
                              status=TicketStatus.OPEN, number="T-1")
    Ticket.all_objects.create(organization=admin.organization, account=gamma, contact=cid,
                              queue=queue,
                              subject="Queja", type=TicketType.COMPLAINT,
                              status=TicketStatus.CLOSED, number="T-2")
    Interaction.all_objects.create(organization=admin.organization, account=acme, contact=ana,
                                   channel="phone", subject="Llamada",
                                   occurred_at=timezone.now() - dt.timedelta(days=7))
    return World(acme, beta, gamma, ana, ben, cid, loner, as_of)
