"""The points ledger through the real billing flow: earning on ``invoice.paid`` (rates per
category and line, tier multiplier, once per invoice, only since joining), reversal on credit
notes and returns, redemption (coupon, discount on a quote), adjustments, bonuses, FIFO
expiry and tiers."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db.models import Sum
from django.utils import timezone

from tests.catalog.factories import ProductFactory, ProductLineFactory
from tests.core.factories import as_user
from tests.customers.factories import AccountFactory
from tests.loyalty.factories import member, paid_invoice, program
from tests.sales.factories import free_line
from vinculo.billing import services as billing
from vinculo.core import events
from vinculo.loyalty import selectors, services
from vinculo.loyalty.models import EntryKind, LedgerEntry, Member
from vinculo.sales.documents import services as documents

pytestmark = pytest.mark.django_db


def ledger(m: Member) -> list[tuple[str, int]]:
    return list(LedgerEntry.all_objects.filter(member=m).order_by("id")
                .values_list("kind", "points"))


def test_a_paid_invoice_earns_points_once_through_the_event(
        as_admin, admin, django_capture_on_commit_callbacks):
    prog = program(admin, points_per_unit="2")
    m = member(admin, prog)
    with django_capture_on_commit_callbacks(execute=True):
        invoice = paid_invoice(admin, m.account, amount="123.45")
    assert ledger(m) == [("earn", 246)]  # floor(123.45 × 2)
    entry = LedgerEntry.all_objects.get(member=m)
    assert entry.invoice_id == invoice.pk
    assert entry.expires_on == entry.occurred_on.replace(year=entry.occurred_on.year + 1)
    # a redelivered event earns nothing more
    services.on_invoice_paid(events.Occurrence("invoice.paid", invoice, invoice.organization_id,
                                               None))
    assert ledger(m) == [("earn", 246)]
    assert services.balance(m) == 246


def test_a_customer_who_is_not_a_member_earns_nothing(
        as_admin, admin, django_capture_on_commit_callbacks):
    program(admin)
    with django_capture_on_commit_callbacks(execute=True):
        paid_invoice(admin, AccountFactory(actor=admin))
    assert LedgerEntry.all_objects.count() == 0


def test_an_invoice_paid_before_joining_earns_nothing(as_admin, admin):
    prog = program(admin)
    account = AccountFactory(actor=admin)
    invoice = paid_invoice(admin, account)
    m = member(admin, prog, account, joined_on=timezone.localdate() + dt.timedelta(days=1))
    assert services.invoices_earn(organization_id=admin.organization_id,
                                  invoice_ids=[invoice.pk]) == 0
    assert ledger(m) == []


def test_rates_per_line_and_category_and_the_tier_multiplier(as_admin, admin):
    line_a = ProductLineFactory(actor=admin)
    line_b = ProductLineFactory(actor=admin)
    other = ProductLineFactory(actor=admin)
    a, b, c = (ProductFactory(actor=admin, line=line, list_price=Decimal("10.00"),
                              tax_rate=Decimal("0")) for line in (line_a, line_b, other))
    prog = program(admin, points_per_unit="1", earn_rules=[
        {"kind": "product_line", "line": str(line_a.uuid), "points_per_unit": "5"},
        {"kind": "category", "category": str(line_b.category.uuid), "points_per_unit": "3"}],
        tiers=[{"name": "Oro", "threshold": 0, "multiplier": "1.5"}])
    m = member(admin, prog)
    with as_user(admin):
        services.tiers_recompute(program=prog)
    m.refresh_from_db()
    assert m.tier == "Oro"
    invoice = paid_invoice(admin, m.account, lines=[
        {"product": a, "quantity": 2}, {"product": b, "quantity": 1},
        {"product": c, "quantity": 1}])
    services.invoices_earn(organization_id=admin.organization_id, invoice_ids=[invoice.pk])
    # (20 × 5 + 10 × 3 + 10 × 1) × 1.5
    assert ledger(m) == [("earn", 210)]


def test_a_credit_note_reverses_its_share_then_all_of_the_points(
        as_admin, admin, django_capture_on_commit_callbacks):
    prog = program(admin)
    m = member(admin, prog)
    with django_capture_on_commit_callbacks(execute=True):
        invoice = paid_invoice(admin, m.account, lines=[
            free_line("A", "1", "60.00", tax_rate="0"),
            free_line("B", "1", "41.00", tax_rate="0")])
    assert ledger(m) == [("earn", 101)]
    line_a, line_b = invoice.lines.order_by("position")
    with as_user(admin), django_capture_on_commit_callbacks(execute=True):
        billing.credit_note_create(actor=admin, invoice=invoice, lines=[(line_a, 1)])
    assert ledger(m) == [("earn", 101), ("reverse", -60)]
    with as_user(admin), django_capture_on_commit_callbacks(execute=True):
        billing.credit_note_create(actor=admin, invoice=invoice, lines=[(line_b, 1)])
    assert ledger(m) == [("earn", 101), ("reverse", -60), ("reverse", -41)]
    assert services.balance(m) == 0
    reversal = LedgerEntry.all_objects.filter(kind="reverse").first()
    assert reversal.expires_on == LedgerEntry.all_objects.get(kind="earn").expires_on


def test_a_reward_paid_as_a_credit_note_is_not_counted_as_a_return(
        as_admin, admin, django_capture_on_commit_callbacks):
    """A later return of half the purchase takes back half its points, whatever reward was
    paid on the same invoice as a credit note."""
    from tests.loyalty.factories import REWARDS

    reward = {"key": "abono-10", "name": "Abono 10 €", "kind": "credit_note", "points": 100,
              "value": 10}
    prog = program(admin, points_per_unit="2", rewards=[*REWARDS, reward])
    m = member(admin, prog)
    with django_capture_on_commit_callbacks(execute=True):
        invoice = paid_invoice(admin, m.account, lines=[
            free_line("A", "1", "100.00", tax_rate="0"),
            free_line("B", "1", "100.00", tax_rate="0")])
    line_a = invoice.lines.order_by("position").first()
    with as_user(admin), django_capture_on_commit_callbacks(execute=True):
        services.points_redeem(actor=admin, member=m, reward="abono-10", invoice=invoice)
        billing.credit_note_create(actor=admin, invoice=invoice, lines=[(line_a, 1)])
    assert ledger(m) == [("earn", 400), ("redeem", -100), ("reverse", -200)]


def test_a_reversal_never_takes_the_balance_below_zero(as_admin, admin):
    prog = program(admin)
    m = member(admin, prog)
    invoice = paid_invoice(admin, m.account, amount="150.00")
    services.invoices_earn(organization_id=admin.organization_id, invoice_ids=[invoice.pk])
    with as_user(admin):
        services.points_redeem(actor=admin, member=m, reward="cupon-10")  # 100 points
        note = billing.credit_note_create(actor=admin, invoice=invoice)
        services.points_reverse(credit_note=note)
    assert ledger(m) == [("earn", 150), ("redeem", -100), ("reverse", -50)]
    assert services.balance(m) == 0


def test_a_redeemed_coupon_has_a_code_and_a_short_balance_is_refused(as_admin, admin):
    prog = program(admin)
    m = member(admin, prog)
    with as_user(admin):
        services.points_adjust(actor=admin, member=m, points=120, note="Bienvenida")
        entry = services.points_redeem(actor=admin, member=m, reward="cupon-10")
        assert entry.code.startswith("FID-") and entry.value == Decimal("10.00")
        assert entry.reward == "Cupón 10 €"  # as people read it, never its key
        with pytest.raises(ValidationError) as refused:
            services.points_redeem(actor=admin, member=m, reward="cupon-10")
        assert "reward" in refused.value.message_dict
        with pytest.raises(ValidationError) as unknown:
            services.points_redeem(actor=admin, member=m, reward="nope")
        assert "reward" in unknown.value.message_dict
    assert ledger(m) == [("adjust", 120), ("redeem", -100)]


def test_a_discount_reward_lowers_a_draft_quote_by_its_value(as_admin, admin):
    prog = program(admin)
    m = member(admin, prog)
    with as_user(admin):
        services.points_adjust(actor=admin, member=m, points=200, note="Regalo")
        quote = documents.quote_create(actor=admin, account=m.account, lines=[
            free_line("A", "1", "100.00", tax_rate="0"),
            free_line("B", "2", "50.00", tax_rate="0")])
        other = documents.quote_create(actor=admin, account=AccountFactory(actor=admin),
                                       lines=[free_line("A", "1", "100.00")])
        with pytest.raises(ValidationError) as wrong:
            services.points_redeem(actor=admin, member=m, reward="dto-20", quote=other)
        assert "quote" in wrong.value.message_dict
        entry = services.points_redeem(actor=admin, member=m, reward="dto-20", quote=quote)
    quote.refresh_from_db()
    assert quote.net_amount == Decimal("180.00")  # 200 − 20
    assert entry.note == quote.number and services.balance(m) == 50


def test_adjustments_need_a_reason_and_cannot_overdraw(as_admin, admin):
    prog = program(admin)
    m = member(admin, prog)
    with as_user(admin):
        with pytest.raises(ValidationError) as no_reason:
            services.points_adjust(actor=admin, member=m, points=10, note=" ")
        assert "note" in no_reason.value.message_dict
        with pytest.raises(ValidationError) as overdraw:
            services.points_adjust(actor=admin, member=m, points=-1, note="Error")
        assert "points" in overdraw.value.message_dict
        services.points_bonus(actor=admin, member=m, kind="review", note="Google")
        services.points_bonus(actor=admin, member=m, kind="referral")
    assert ledger(m) == [("adjust", 30), ("adjust", 80)]


def test_a_sales_rep_cannot_adjust_points(as_admin, admin, users):
    from vinculo.core.roles import Role
    from vinculo.core.services import PermissionDeniedError

    m = member(admin, program(admin))
    rep = users[Role.SALES_REP]
    with as_user(rep), pytest.raises(PermissionDeniedError):
        services.points_adjust(actor=rep, member=m, points=10, note="x")
    assert ledger(m) == []


def test_expiry_is_first_in_first_out(as_admin, admin):
    prog = program(admin, expiry_months=1)
    m = member(admin, prog)
    day = dt.date(2026, 1, 1)

    def add(points: int, on: dt.date) -> None:
        LedgerEntry.all_objects.create(organization_id=m.organization_id, member=m,
                                       kind=EntryKind.EARN, points=points, occurred_on=on,
                                       expires_on=on + dt.timedelta(days=30))

    add(100, day)
    add(50, day + dt.timedelta(days=10))
    LedgerEntry.all_objects.create(organization_id=m.organization_id, member=m,
                                   kind=EntryKind.REDEEM, points=-120, occurred_on=day
                                   + dt.timedelta(days=20))
    # day 30: the first 100 are due, and were used by the redemption: nothing expires
    assert services.points_expire(organization_id=m.organization_id,
                                  today=day + dt.timedelta(days=30)) == 0
    assert selectors.expiring(m, today=day + dt.timedelta(days=30)) == [
        {"date": day + dt.timedelta(days=40), "points": 30}]
    # day 40: of the second 50, 20 were used (120 − 100): 30 expire
    services.points_expire(organization_id=m.organization_id, today=day + dt.timedelta(days=40))
    assert ledger(m)[-1] == ("expire", -30)
    assert services.balance(m) == 0
    # running it again expires nothing more
    assert services.points_expire(organization_id=m.organization_id,
                                  today=day + dt.timedelta(days=41)) == 0


def test_tiers_by_spend_in_the_rolling_window(as_admin, admin):
    prog = program(admin, tier_basis="spend", tier_window_days=30, tiers=[
        {"name": "Plata", "threshold": 100, "multiplier": 1},
        {"name": "Oro", "threshold": 250, "multiplier": 2}])
    m = member(admin, prog)
    paid_invoice(admin, m.account, amount="150.00")
    with as_user(admin):
        services.tiers_recompute(program=prog)
    m.refresh_from_db()
    assert m.tier == "Plata"
    paid_invoice(admin, m.account, amount="150.00")
    with as_user(admin):
        services.tiers_recompute(program=prog)
        m.refresh_from_db()
        assert m.tier == "Oro"
        services.tiers_recompute(program=prog, today=timezone.localdate()
                                 + dt.timedelta(days=40))
    m.refresh_from_db()
    assert m.tier == ""


def test_bad_programmes_are_refused_naming_the_part(as_admin, admin):
    from vinculo.loyalty.models import Program

    cases = [
        ({"tiers": [{"name": "Oro", "threshold": "mucho"}]}, "tiers[0].threshold"),
        ({"tiers": [{"name": "Oro", "threshold": 1}, {"name": "oro", "threshold": 2}]},
         "tiers[1].name"),
        ({"rewards": [{"name": "X", "kind": "yate", "points": 1, "value": 1}]},
         "rewards[0].kind"),
        ({"rewards": [{"name": "X", "kind": "coupon", "points": 0, "value": 1}]},
         "rewards[0].points"),
        ({"earn_rules": [{"kind": "category", "category": "nope", "points_per_unit": 1}]},
         "earn_rules[0].category"),
        ({"points_per_unit": "-1"}, "points_per_unit"),
        ({"name": ""}, "name"),
        ({"colour": "red"}, "colour"),
    ]
    for data, key in cases:
        with as_user(admin), pytest.raises(ValidationError) as refused:
            program(admin, **data)
        assert key in refused.value.message_dict, (data, refused.value.message_dict)
    assert Program.all_objects.count() == 0


def test_enrolling_twice_is_refused(as_admin, admin):
    prog = program(admin)
    m = member(admin, prog)
    with pytest.raises(ValidationError) as twice:
        member(admin, prog, m.account)
    assert "account" in twice.value.message_dict


def test_bulk_earning_is_set_based(as_admin, admin, django_assert_max_num_queries):
    prog = program(admin)
    accounts = [AccountFactory(actor=admin) for _ in range(5)]
    for account in accounts:
        member(admin, prog, account)
    invoices = [paid_invoice(admin, account, amount=f"{10 * (i + 1)}.00")
                for i, account in enumerate(accounts * 4)]
    with django_assert_max_num_queries(12):
        written = services.invoices_earn(organization_id=admin.organization_id,
                                         invoice_ids=[i.pk for i in invoices])
    assert written == 20
    total = LedgerEntry.all_objects.aggregate(s=Sum("points"))["s"]
    assert total == sum(int(i.net_amount) for i in invoices)
