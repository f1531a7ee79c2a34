"""A small order book over three representatives' customers, for the report tests."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.core.factories import as_user
from tests.customers.factories import AccountFactory
from tests.sales.factories import OrderFactory, free_line
from vinculo.core.roles import Role
from vinculo.sales.documents import services as documents

INDUSTRIES = ("Alimentación", "Hostelería", "")
START = dt.date(2025, 1, 6)


@pytest.fixture
def book(users):
    """Nine accounts (three per representative: two of team North, one of South), each with
    orders on dates spread over fifteen months, some cancelled, in two currencies."""
    admin = users[Role.ADMIN]
    owners = [users[Role.SALES_REP], users["sales_rep_2"], users["sales_rep_south"]]
    for owner, name in zip(owners, ("Ana", "Bruno", "Carla"), strict=True):
        owner.first_name = name  # the fixture's three representatives share a name
        owner.save(update_fields=["first_name"])
    accounts, orders = [], []
    n = 0
    for o, owner in enumerate(owners):
        for i in range(3):
            account = AccountFactory(actor=admin, name=f"Cliente {o}{i} SL", owner=owner,
                                     team=owner.team, industry=INDUSTRIES[(o + i) % 3],
                                     size=("1-9", "10-49", "")[i])
            accounts.append(account)
            for k in range(3):
                n += 1
                order = OrderFactory(
                    actor=admin, account=account,
                    ordered_on=START + dt.timedelta(days=n * 17),
                    currency="EUR" if n % 4 else "USD",
                    lines=[free_line("Aceite", str(1 + k), f"{10 + n * 3}.50", tax_rate="10"),
                           free_line("Vinagre", "2", f"{n}.25", discount="5")])
                if n % 5 == 0:
                    with as_user(admin):
                        order = documents.order_cancel(actor=admin, order=order)
                orders.append(order)
    return {"accounts": accounts, "orders": orders, "admin": admin}
