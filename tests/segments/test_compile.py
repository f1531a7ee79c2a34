"""The shapes the compiler gives a rule at the size of a real customer base: a count that only
asks whether rows exist is a semi-join (no ``GROUP BY``) and selects exactly whom the counted
form selected — customers without rows included — and a condition carried from the accounts
to their contacts goes through the memberships alone."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import EmptyResultSet

from tests.core.factories import as_user
from tests.segments.factories import contact, order, world
from vinculo.segments import rules
from vinculo.segments.rules.builtin import _value_holds

pytestmark = pytest.mark.django_db

# orders in the last 365 days (the cancelled one does not count): Acme 3, Beta 1, Gamma none
ORDERS_365 = {"Acme": 3, "Beta": 1, "Gamma": 0}
# (op, value, whether the database needs the count): every comparison a user can write
CASES = [
    ("gte", 1, False), ("gt", 0, False), ("gt", Decimal("0.5"), False), ("ne", 0, False),
    ("eq", 0, False), ("lt", 1, False), ("lte", 0, False), ("lte", Decimal("0.5"), False),
    ("between", [0, 0], False), ("between", [Decimal("0.2"), Decimal("0.8")], False),
    ("eq", Decimal("1.5"), False),
    ("gte", 2, True), ("lt", 2, True), ("eq", 1, True), ("lte", 1, True),
    ("between", [1, 2], True), ("ne", 1, True), ("gte", 0, True),
]


def compiled(admin, subject, *conditions):
    rule = {"match": "all", "conditions": list(conditions)}
    with as_user(admin):
        checked = rules.check(rule, subject=subject, organization_id=admin.organization_id)
        found = rules.matching(checked, subject=subject, organization_id=admin.organization_id)
        try:
            sql = found.query.sql_with_params()[0]
        except EmptyResultSet:  # a condition nobody can meet
            sql = ""
        return {str(r) for r in found}, sql


def orders(op, value, days=365):
    return {"field": "activity.orders", "op": op, "value": value, "days": days}


@pytest.mark.parametrize(("op", "value", "counted"), CASES)
def test_an_order_count_selects_whom_it_says_with_or_without_the_count(admin, op, value,
                                                                       counted):
    w = world(admin)
    expected = {name for name, n in ORDERS_365.items() if _value_holds(op, value, n)}
    found, sql = compiled(admin, "accounts", orders(op, value))
    assert found == expected
    assert ("GROUP BY" in sql) is counted, sql
    # a contact matches through its account; Lola, at no account, never does
    people = {"Acme": "Ana Alba", "Beta": "Ben Bravo", "Gamma": "Cid Campos"}
    found, _sql = compiled(admin, "contacts", orders(op, value))
    assert found == {people[name] for name in expected}
    assert str(w.loner) not in found


def test_existence_follows_the_period_and_ignores_cancelled_orders(admin):
    w = world(admin)
    # in the last 30 days Acme has one order (and a cancelled one, which does not count)
    assert compiled(admin, "accounts", orders("gte", 1, days=30))[0] == {"Acme"}
    assert compiled(admin, "accounts", orders("eq", 0, days=30))[0] == {"Beta", "Gamma"}
    order(w.gamma, 400)  # outside the period: Gamma still has none in it
    assert compiled(admin, "accounts", orders("lt", 1))[0] == {"Gamma"}
    order(w.gamma, 10)
    assert compiled(admin, "accounts", orders("lt", 1))[0] == set()
    # the other counts take the same path: an open ticket exists for Beta only
    found, sql = compiled(admin, "accounts",
                          {"field": "activity.open_tickets", "op": "eq", "value": 0})
    assert found == {"Acme", "Gamma"}
    assert "GROUP BY" not in sql


def test_a_contact_at_two_accounts_meets_each_condition_through_either(admin):
    w = world(admin)
    both = contact(admin, "Dora", "Doble", "dora@example.org",
                   accounts=[(w.beta, ""), (w.gamma, "")])
    # Beta has an order and Gamma none: Dora meets both conditions, each through one account
    found, _sql = compiled(admin, "contacts", orders("gte", 1), orders("eq", 0))
    assert found == {str(both)}
    found, sql = compiled(admin, "contacts", orders("gte", 1),
                           {"field": "analytics.clv", "op": "gte", "value": 1000})
    assert found == {"Ana Alba"}  # Acme: CLV 5,000 and orders; Beta's CLV is 80
    # an analytics condition carried to contacts reads the snapshots through the
    # memberships, without a pass over the accounts table
    assert '"customers_account"' not in sql
