"""Property tests of the ledger: the balance always equals the ledger's sum and is never
negative, whatever the services are asked (credit-note rewards included: one credit note each,
no points taken back, nothing written when refused); expiry is first-in first-out (against a
queue of lots simulated independently); crediting an invoice reverses exactly the points it
earned; a statement's opening plus its movements is its closing balance."""

from __future__ import annotations

import datetime as dt
from collections import deque
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.core.factories import as_user
from tests.loyalty.factories import member, paid_invoice, program
from tests.sales.factories import free_line
from vinculo.billing import services as billing
from vinculo.billing.models import Invoice
from vinculo.loyalty import selectors, services
from vinculo.loyalty.models import EntryKind, LedgerEntry, Member

SETTINGS = settings(max_examples=25, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])


def ledger_sum(m: Member) -> int:
    return int(LedgerEntry.all_objects.filter(member=m).aggregate(s=Sum("points"))["s"] or 0)


operation = st.one_of(
    st.tuples(st.just("adjust"), st.integers(min_value=-300, max_value=300)),
    st.tuples(st.just("redeem"), st.sampled_from(["cupon-10", "dto-20", "abono-15"])),
    st.tuples(st.just("bonus"), st.sampled_from(["review", "referral"])),
    st.tuples(st.just("expire"), st.integers(min_value=0, max_value=800)),
)


@pytest.mark.django_db
@SETTINGS
@given(operations=st.lists(operation, max_size=12))
def test_the_balance_is_the_ledger_sum_and_never_negative(as_admin, operations):
    admin = as_admin
    m = member(admin, program(admin, rewards=[
        {"key": "cupon-10", "name": "C", "kind": "coupon", "points": 100, "value": 10},
        {"key": "dto-20", "name": "D", "kind": "coupon", "points": 150, "value": 20},
        {"key": "abono-15", "name": "A", "kind": "credit_note", "points": 120, "value": 15}]))
    # what a credit-note reward credits (paid outside the event: it earns nothing here)
    invoice = paid_invoice(admin, m.account, amount="1000.00")
    today = dt.date.today()
    for kind, arg in operations:
        before = list(LedgerEntry.all_objects.filter(member=m).values_list("id", flat=True))
        notes = Invoice.all_objects.filter(credited_invoice=invoice).count()
        try:
            with as_user(admin):
                if kind == "adjust":
                    services.points_adjust(actor=admin, member=m, points=arg, note="prueba")
                elif kind == "redeem":
                    services.points_redeem(actor=admin, member=m, reward=arg)
                elif kind == "bonus":
                    services.points_bonus(actor=admin, member=m, kind=arg)
                else:
                    services.points_expire(organization_id=m.organization_id,
                                           today=today + dt.timedelta(days=arg))
        except ValidationError:
            # refused: nothing written
            after = list(LedgerEntry.all_objects.filter(member=m).values_list("id", flat=True))
            assert after == before
            assert Invoice.all_objects.filter(credited_invoice=invoice).count() == notes
        assert services.balance(m) == ledger_sum(m) >= 0
    # every credit-note reward is one credit note of its value, and took back no points
    redeemed = LedgerEntry.all_objects.filter(member=m, credit_note__isnull=False)
    assert Invoice.all_objects.filter(credited_invoice=invoice).count() == redeemed.count()
    assert not LedgerEntry.all_objects.filter(member=m, kind=EntryKind.REVERSE).exists()


@pytest.mark.django_db
@SETTINGS
@given(moves=st.lists(st.tuples(st.integers(min_value=-200, max_value=300),
                                st.integers(min_value=0, max_value=60)), max_size=12),
       start=st.integers(min_value=0, max_value=60), length=st.integers(min_value=0, max_value=60))
def test_a_statement_is_opening_plus_movements_equals_closing(as_admin, moves, start, length):
    admin = as_admin
    m = member(admin, program(admin))
    origin = dt.date(2026, 1, 1)
    LedgerEntry.all_objects.bulk_create([LedgerEntry(
        organization_id=m.organization_id, member=m, kind=EntryKind.ADJUST, points=points,
        occurred_on=origin + dt.timedelta(days=day)) for points, day in moves if points])
    first = origin + dt.timedelta(days=start)
    last = first + dt.timedelta(days=length)
    found = selectors.statement(m, start=first, end=last)
    rows = LedgerEntry.all_objects.filter(member=m)
    assert found["opening"] == int(rows.filter(occurred_on__lt=first)
                                   .aggregate(s=Sum("points"))["s"] or 0)
    running = found["opening"]
    for row in found["movements"]:
        assert first <= row["entry"].occurred_on <= last
        running += row["entry"].points
        assert row["balance"] == running
    assert found["closing"] == running == int(rows.filter(occurred_on__lte=last)
                                              .aggregate(s=Sum("points"))["s"] or 0)
    assert len(found["movements"]) == rows.filter(occurred_on__range=(first, last)).count()


@pytest.mark.django_db
@SETTINGS
@given(events=st.lists(st.tuples(st.sampled_from(["earn", "redeem"]),
                                  st.integers(min_value=1, max_value=200),
                                  st.integers(min_value=0, max_value=90)),
                       min_size=1, max_size=15))
def test_expiry_is_first_in_first_out_against_a_queue_of_lots(as_admin, events):
    admin = as_admin
    m = member(admin, program(admin))
    start, life = dt.date(2026, 1, 1), 30
    events = sorted(events, key=lambda e: e[2])
    lots: deque[list] = deque()  # [expires_on, remaining], oldest first
    expected_expired = 0

    def expire_model(today: dt.date) -> None:
        nonlocal expected_expired
        while lots and lots[0][0] <= today:
            expected_expired += lots.popleft()[1]

    for kind, points, offset in events:
        day = start + dt.timedelta(days=offset)
        expire_model(day)
        services.points_expire(organization_id=m.organization_id, today=day)
        if kind == "earn":
            lots.append([day + dt.timedelta(days=life), points])
            LedgerEntry.all_objects.create(
                organization_id=m.organization_id, member=m, kind=EntryKind.EARN,
                points=points, occurred_on=day, expires_on=day + dt.timedelta(days=life))
        else:
            available = sum(lot[1] for lot in lots)
            assert services.balance(m) == available
            if points > available:
                continue
            LedgerEntry.all_objects.create(organization_id=m.organization_id, member=m,
                                           kind=EntryKind.REDEEM, points=-points,
                                           occurred_on=day)
            while points:  # the oldest lots pay first
                used = min(points, lots[0][1])
                lots[0][1] -= used
                points -= used
                if not lots[0][1]:
                    lots.popleft()
    end = start + dt.timedelta(days=200)
    expire_model(end)
    services.points_expire(organization_id=m.organization_id, today=end)
    expired = -int(LedgerEntry.all_objects.filter(member=m, kind=EntryKind.EXPIRE)
                   .aggregate(s=Sum("points"))["s"] or 0)
    assert expired == expected_expired
    assert services.balance(m) == 0


amounts = st.decimals(min_value=Decimal("1.00"), max_value=Decimal("999.99"), places=2)


@pytest.mark.django_db
@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(prices=st.lists(amounts, min_size=1, max_size=4), rate=st.sampled_from(["1", "2.5", "3"]),
       split=st.integers(min_value=0, max_value=3))
def test_crediting_an_invoice_reverses_exactly_the_points_it_earned(
        as_admin, prices, rate, split):
    admin = as_admin
    m = member(admin, program(admin, points_per_unit=rate))
    invoice = paid_invoice(admin, m.account, lines=[
        free_line(f"L{i}", "1", str(price), tax_rate="21") for i, price in enumerate(prices)])
    services.invoices_earn(organization_id=admin.organization_id, invoice_ids=[invoice.pk])
    earned = ledger_sum(m)
    lines = list(invoice.lines.order_by("position"))
    first, rest = lines[:split], lines[split:]
    for group in (first, rest):
        if not group:
            continue
        note = billing.credit_note_create(actor=admin, invoice=invoice,
                                          lines=[(line, 1) for line in group])
        services.points_reverse(credit_note=note)
        reversed_ = -int(LedgerEntry.all_objects.filter(member=m, kind=EntryKind.REVERSE)
                         .aggregate(s=Sum("points"))["s"] or 0)
        assert 0 <= reversed_ <= earned
    assert ledger_sum(m) == 0
