"""Tiers by value tier and their service package (given and taken back by the packages app
through ``loyalty_tier.changed``), the free-product and credit-note rewards, and member
statements (opening + movements = closing, against the ledger), through the real services."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone

from tests.catalog.factories import ProductFactory
from tests.loyalty.factories import member, paid_invoice, program
from tests.packages.factories import make_package, recompute
from tests.sales.factories import free_line
from tests.segments.factories import snapshot
from vinculo.billing import services as billing
from vinculo.billing.models import Invoice, InvoiceKind
from vinculo.core import events
from vinculo.loyalty import selectors, services, tiers
from vinculo.loyalty.models import EntryKind, LedgerEntry, Program
from vinculo.packages.models import AccountPackage, ChangeStatus, Decision, PackageChange
from vinculo.sales.documents import services as documents

pytestmark = pytest.mark.django_db

VALUE_TIERS = [{"name": "Oro", "value_tier": "Gold", "multiplier": 2},
               {"name": "Platino", "value_tier": "Platinum", "multiplier": 3}]


# ---- tiers by value tier ----------------------------------------------------------------


def test_tiers_by_value_tier_follow_the_latest_snapshot(as_admin, admin):
    prog = program(admin, tier_basis="value_tier", tiers=VALUE_TIERS)
    assert [t["name"] for t in prog.tiers] == ["Oro", "Platino"]  # lowest first
    gold, iron, none = (member(admin, prog) for _ in range(3))
    recompute({gold.account: "Medium", iron.account: "Low"})
    from vinculo.analytics.models import CustomerSnapshot

    CustomerSnapshot.all_objects.filter(account=gold.account).update(value_tier="Gold")
    # an older snapshot where the gold member was Platinum does not count
    snapshot(gold.account, timezone.localdate() - dt.timedelta(days=30),
             value_tier="Platinum")
    tiers.on_snapshot_recomputed(_occurrence(admin))
    placed = dict(prog.members.values_list("pk", "tier"))
    assert placed == {gold.pk: "Oro", iron.pk: "", none.pk: ""}
    CustomerSnapshot.all_objects.filter(account=gold.account,
                                        as_of=timezone.localdate()).update(value_tier="Platinum")
    assert services.tiers_recompute(program=prog) == 1
    gold.refresh_from_db()
    assert gold.tier == "Platino"


def _occurrence(admin):
    from vinculo.core import events

    return events.Occurrence("snapshot.recomputed", None, admin.organization_id, None)


@pytest.mark.parametrize(("tiers", "key"), [
    ([{"name": "Oro", "threshold": 100}], "tiers[0].value_tier"),
    ([{"name": "Oro", "value_tier": "Diamond"}], "tiers[0].value_tier"),
    ([{"name": "Oro", "value_tier": "Gold"}, {"name": "Otro", "value_tier": "Gold"}],
     "tiers[1].value_tier"),
    ([{"name": "Oro", "value_tier": "Gold",
       "package": "00000000-0000-0000-0000-000000000000"}], "tiers[0].package"),
])
def test_bad_value_tiers_and_packages_are_refused_naming_the_part(as_admin, admin, tiers, key):
    with pytest.raises(ValidationError) as caught:
        program(admin, tier_basis="value_tier", tiers=tiers)
    assert key in caught.value.message_dict
    assert not Program.all_objects.exists()


def test_changing_the_basis_checks_the_stored_tiers_again(as_admin, admin):
    prog = program(admin, tiers=[{"name": "Oro", "threshold": 100}])
    with pytest.raises(ValidationError) as caught:
        services.program_update(actor=admin, program=prog, data={"tier_basis": "value_tier"},
                                expected_version=None)
    assert "tiers[0].value_tier" in caught.value.message_dict
    assert Program.all_objects.get(pk=prog.pk).tier_basis == "points"


# ---- a tier's service package ---------------------------------------------------------


def test_reaching_a_tier_gives_its_package_and_losing_it_hands_back_to_the_rules(
        as_admin, admin, django_capture_on_commit_callbacks):
    gold_package = make_package(admin, name="Oro", rank=5)
    prog = program(admin, tiers=[{"name": "Oro", "threshold": 100, "package":
                                  str(gold_package.uuid)}])
    m = member(admin, prog)
    with django_capture_on_commit_callbacks(execute=True):
        paid_invoice(admin, m.account, amount="150.00")  # 150 points in the window
    m.refresh_from_db()
    assert m.tier == "Oro"
    row = AccountPackage.all_objects.get(account=m.account)
    assert (row.package_id, row.benefit_id) == (gold_package.pk, gold_package.pk)
    change = PackageChange.all_objects.get(account=m.account)
    assert change.decided_by == Decision.LOYALTY and change.to_package_id == gold_package.pk
    assert "Oro" in change.reason and "Club" in change.reason
    # a recompute whose rules give nothing keeps the tier's package (a floor)
    from vinculo.packages import services as packages

    packages.packages_evaluate(organization=admin.organization)
    assert AccountPackage.all_objects.get(account=m.account).package_id == gold_package.pk
    # the points leave the window: the tier and its package go, by the package rules
    with django_capture_on_commit_callbacks(execute=True):
        services.tiers_recompute(program=prog,
                                 today=timezone.localdate() + dt.timedelta(days=400))
    assert not AccountPackage.all_objects.filter(account=m.account).exists()
    last = PackageChange.all_objects.filter(account=m.account).order_by("-id").first()
    assert (last.from_package_id, last.to_package_id, last.decided_by) == (
        gold_package.pk, None, Decision.LOYALTY)


def test_a_package_added_to_a_tier_reaches_the_members_already_in_it(
        as_admin, admin, django_capture_on_commit_callbacks):
    prog = program(admin, tiers=[{"name": "Oro", "threshold": 100}])
    m = member(admin, prog)
    with django_capture_on_commit_callbacks(execute=True):
        paid_invoice(admin, m.account, amount="150.00")
    assert Program.all_objects.get(pk=prog.pk).members.get().tier == "Oro"
    gold_package = make_package(admin, name="Oro", rank=5)
    with django_capture_on_commit_callbacks(execute=True):
        services.program_update(actor=admin, program=prog, expected_version=None, data={
            "tiers": [{"name": "Oro", "threshold": 100, "package": str(gold_package.uuid)}]})
    assert AccountPackage.all_objects.get(account=m.account).package_id == gold_package.pk


def test_an_edit_that_changes_a_tiers_package_and_moves_its_members_out_takes_the_old_one(
        as_admin, admin, django_capture_on_commit_callbacks):
    """One edit gives the tier another package and raises its threshold above the member:
    the member leaves the package it had, not the tier's new one."""
    gold, silver = make_package(admin, name="Oro", rank=5), make_package(admin, name="Plata",
                                                                         rank=3)
    prog = program(admin, tiers=[{"name": "Oro", "threshold": 100, "package": str(gold.uuid)}])
    m = member(admin, prog)
    with django_capture_on_commit_callbacks(execute=True):
        paid_invoice(admin, m.account, amount="150.00")
    assert AccountPackage.all_objects.get(account=m.account).package_id == gold.pk
    with django_capture_on_commit_callbacks(execute=True), events.recording() as told:
        services.program_update(actor=admin, program=prog, expected_version=None, data={
            "tiers": [{"name": "Oro", "threshold": 1000, "package": str(silver.uuid)}]})
    [change] = [o.data for o in told if o.name == "loyalty_tier.changed"]
    assert (change["from"], change["to"], change["package_from"], change["package_to"]) == (
        "Oro", "", str(gold.uuid), None)
    assert not AccountPackage.all_objects.filter(account=m.account).exists()
    last = PackageChange.all_objects.filter(account=m.account).order_by("-id").first()
    assert (last.from_package_id, last.to_package_id) == (gold.pk, None)


def test_losing_the_tier_out_of_a_package_needing_approval_waits_for_a_manager(
        as_admin, admin, django_capture_on_commit_callbacks):
    gold_package = make_package(admin, name="Oro", rank=5, downgrade_needs_approval=True)
    prog = program(admin, tiers=[{"name": "Oro", "threshold": 100, "package":
                                  str(gold_package.uuid)}])
    m = member(admin, prog)
    with django_capture_on_commit_callbacks(execute=True):
        paid_invoice(admin, m.account, amount="150.00")
    assert AccountPackage.all_objects.get(account=m.account).package_id == gold_package.pk
    with django_capture_on_commit_callbacks(execute=True):
        services.tiers_recompute(program=prog,
                                 today=timezone.localdate() + dt.timedelta(days=400))
    assert AccountPackage.all_objects.get(account=m.account).package_id == gold_package.pk
    pending = PackageChange.all_objects.get(account=m.account, status=ChangeStatus.PENDING)
    assert pending.to_package_id is None and pending.decided_by == Decision.LOYALTY


# ---- rewards: a free product, a credit note -------------------------------------------


def test_a_free_product_reward_adds_a_zero_priced_line_to_a_draft_quote(as_admin, admin):
    product = ProductFactory(actor=admin, list_price=Decimal("40.00"))
    prog = program(admin, rewards=[{"key": "regalo", "name": "Producto gratis",
                                    "kind": "free_product", "product": str(product.uuid),
                                    "quantity": 2, "points": 100, "value": 30}])
    m = member(admin, prog)
    services.points_adjust(actor=admin, member=m, points=150, note="Saldo")
    quote = documents.quote_create(actor=admin, account=m.account,
                                   lines=[free_line("A", "1", "100.00", tax_rate="0")])
    with pytest.raises(ValidationError) as no_quote:
        services.points_redeem(actor=admin, member=m, reward="regalo")
    assert "quote" in no_quote.value.message_dict
    assert services.balance(m) == 150  # nothing written
    entry = services.points_redeem(actor=admin, member=m, reward="regalo", quote=quote)
    quote.refresh_from_db()
    lines = list(quote.lines.order_by("position"))
    assert [(line.product_id, line.quantity, line.unit_price) for line in lines[1:]] == [
        (product.pk, Decimal(2), Decimal(0))]
    assert quote.net_amount == Decimal("100.00")
    assert entry.note == quote.number and services.balance(m) == 50


def test_bad_free_product_reward_is_refused_naming_the_part(as_admin, admin):
    with pytest.raises(ValidationError) as caught:
        program(admin, rewards=[{"key": "r", "name": "R", "kind": "free_product",
                                 "product": "nope", "points": 1, "value": 1}])
    assert "rewards[0].product" in caught.value.message_dict


def test_a_credit_note_reward_is_issued_by_billing_and_reverses_no_points(
        as_admin, admin, django_capture_on_commit_callbacks):
    prog = program(admin, rewards=[{"key": "abono", "name": "Abono 15 €",
                                    "kind": "credit_note", "points": 100, "value": 15}])
    m = member(admin, prog)
    with django_capture_on_commit_callbacks(execute=True):
        invoice = paid_invoice(admin, m.account, amount="120.00")  # earns 120
    with pytest.raises(ValidationError) as short:
        services.points_redeem(actor=admin, member=m, reward="abono",
                               invoice=paid_invoice(admin, m.account, amount="10.00"))
    assert "invoice" in short.value.message_dict
    with django_capture_on_commit_callbacks(execute=True):
        entry = services.points_redeem(actor=admin, member=m, reward="abono")
    note = Invoice.all_objects.get(pk=entry.credit_note_id)
    assert note.kind == InvoiceKind.CREDIT_NOTE and note.credited_invoice_id == invoice.pk
    assert note.total_amount == Decimal("-15.00") and note.number == entry.note
    # the credit note's own subscriber took nothing back: 120 earned, 100 redeemed
    assert services.balance(m) == 20
    assert not LedgerEntry.all_objects.filter(member=m, kind=EntryKind.REVERSE).exists()
    # billing's service: never more than is left to credit, always saying why
    for amount, reason, key in (("105.01", "x", "amount"), ("0", "x", "amount"),
                                ("5", " ", "reason")):
        with pytest.raises(ValidationError) as refused:
            billing.credit_note_for_amount(actor=admin, invoice=invoice,
                                           amount=Decimal(amount), reason=reason)
        assert key in refused.value.message_dict
    assert Invoice.all_objects.filter(credited_invoice=invoice).count() == 1


# ---- statements ---------------------------------------------------------------------------


def _history(admin, m):
    """Movements on three dates: before, inside and after the statement's period."""
    today = timezone.localdate()
    for points, days_ago in ((100, 40), (50, 20), (-30, 10), (25, 1)):
        entry = services.points_adjust(actor=admin, member=m, points=points, note="x")
        LedgerEntry.all_objects.filter(pk=entry.pk).update(
            occurred_on=today - dt.timedelta(days=days_ago),
            expires_on=(today + dt.timedelta(days=60 - days_ago)) if points > 0 else None)
    return today


def test_a_statement_adds_up_against_the_ledger(as_admin, admin):
    m = member(admin, program(admin))
    today = _history(admin, m)
    start, end = today - dt.timedelta(days=25), today - dt.timedelta(days=5)
    found = selectors.statement(m, start=start, end=end)
    rows = LedgerEntry.all_objects.filter(member=m)
    assert found["opening"] == rows.filter(occurred_on__lt=start).aggregate(
        s=Sum("points"))["s"] == 100
    assert [r["entry"].points for r in found["movements"]] == [50, -30]
    assert [r["balance"] for r in found["movements"]] == [150, 120]
    assert found["closing"] == found["opening"] + sum(
        r["entry"].points for r in found["movements"]) == rows.filter(
        occurred_on__lte=end).aggregate(s=Sum("points"))["s"]
    # first in, first out as the ledger stood at the end: the 30 used come off the oldest
    # lot (100 → 70); the 25 added after the end are not in it
    assert found["expiring"] == [{"date": today + dt.timedelta(days=20), "points": 70},
                                 {"date": today + dt.timedelta(days=40), "points": 50}]


def test_the_statement_page_and_api(client, api, admin, as_admin):
    m = member(admin, program(admin))
    today = _history(admin, m)
    client.force_login(admin)
    start = (today - dt.timedelta(days=25)).isoformat()
    page = client.get(reverse("loyalty:member_statement", kwargs={"uuid": m.uuid}),
                      {"start": start, "end": today.isoformat()})
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="statement-opening">100<' in html and 'id="statement-closing">145<' in html
    bad = client.get(reverse("loyalty:member_statement", kwargs={"uuid": m.uuid}),
                     {"start": today.isoformat(), "end": start})
    assert bad.status_code == 400 and "statement-opening" not in bad.content.decode()
    url = reverse("loyalty-member-statement", args=[m.uuid])
    body = api.get(url, {"start": start}).json()
    assert (body["opening"], body["closing"]) == (100, 145)
    assert body["closing"] == body["opening"] + sum(row["points"] for row in body["movements"])
    assert [row["balance"] for row in body["movements"]] == [150, 120, 145]
    wrong = api.get(url, {"start": "mañana"})
    assert wrong.status_code == 400 and "start" in wrong.json()
