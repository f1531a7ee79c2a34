"""The programme's economics (liability, breakage, redemption rate, members against matched
non-members), the pages (programme, member, the 360° panel, the form's errors), the API's
economics and redemption errors, and the segment fields."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.core.factories import as_user
from tests.customers.factories import AccountFactory
from tests.loyalty.factories import member, paid_invoice, program
from tests.segments.factories import snapshot
from vinculo.analytics.models import AnalyticsRun, RunStatus
from vinculo.billing.models import Invoice
from vinculo.loyalty import selectors, services
from vinculo.loyalty.models import EntryKind, LedgerEntry, Program
from vinculo.segments.rules.compiler import check, matching

pytestmark = pytest.mark.django_db


def entry(m, kind, points, on=None, expires=None):
    return LedgerEntry.all_objects.create(
        organization_id=m.organization_id, member=m, kind=kind, points=points,
        occurred_on=on or timezone.localdate(), expires_on=expires)


def test_liability_breakage_and_redemption_rate(as_admin):
    prog = program(as_admin, point_value="0.05")
    m = member(as_admin, prog)
    entry(m, EntryKind.EARN, 1000, expires=timezone.localdate())
    entry(m, EntryKind.REDEEM, -300)
    entry(m, EntryKind.EXPIRE, -100)
    figures = selectors.economics(prog)
    assert figures["outstanding"] == 600
    assert figures["liability"] == Decimal("30.00")
    assert figures["breakage"] == Decimal("0.25")  # 100 expired of 400 that left
    assert figures["expected_breakage"] == Decimal("7.50")
    assert figures["net_liability"] == Decimal("22.50")
    assert figures["redemption_rate"] == Decimal("0.3")


def test_members_are_compared_with_non_members_of_their_segment_before_joining(as_admin):
    today = timezone.localdate()
    before = today - dt.timedelta(days=365)
    AnalyticsRun.all_objects.create(organization=as_admin.organization, as_of=before,
                                    status=RunStatus.DONE)
    AnalyticsRun.all_objects.create(organization=as_admin.organization, as_of=today,
                                    status=RunStatus.DONE)
    prog = program(as_admin)
    loyal = [AccountFactory(actor=as_admin) for _ in range(4)]
    lost = [AccountFactory(actor=as_admin)]
    for account in loyal + lost:
        segment = "Loyal" if account in loyal else "Lost"
        snapshot(account, before, rfm_segment=segment)
        snapshot(account, today, rfm_segment=segment,
                 clv=Decimal("900") if account in loyal[:2] else Decimal("300"))
    # two loyal customers join after the first snapshot; the one lost customer too, with no
    # non-member of its segment to compare with
    for account in (*loyal[:2], lost[0]):
        member(as_admin, prog, account, joined_on=before + dt.timedelta(days=10))
    for account, invoices in ((loyal[0], 3), (loyal[1], 1), (loyal[2], 1)):
        for _ in range(invoices):
            paid_invoice(as_admin, account)
    lift = selectors.lift(prog, today=today)
    assert lift["available"] and lift["matched"] == 2  # the lost member has no comparison
    (row,) = [r for r in lift["rows"] if r["segment"] == "Loyal"]
    years = 365 / 365.25
    assert row["member_frequency"] == pytest.approx(2 / years)  # (3 + 1) / 2
    assert row["other_frequency"] == pytest.approx(0.5 / years)  # (1 + 0) / 2
    assert lift["frequency"] == pytest.approx(1.5 / years)
    assert lift["clv"] == Decimal("600.00")


def test_no_snapshot_no_comparison(as_admin):
    prog = program(as_admin)
    member(as_admin, prog)
    assert selectors.lift(prog)["available"] is False


def test_program_pages_and_member_page(as_admin, page):
    prog = program(as_admin, tiers=[{"name": "Oro", "threshold": 50, "multiplier": 2,
                                     "offers": "Envío gratis"}])
    m = member(as_admin, prog)
    paid_invoice(as_admin, m.account, amount="120.00")
    services.invoices_earn(organization_id=as_admin.organization_id,
                           invoice_ids=list(Invoice.all_objects.values_list("pk", flat=True)))
    listing = page.get(reverse("loyalty:program_list")).content.decode()
    assert prog.name in listing
    detail = page.get(reverse("loyalty:program_detail", args=[prog.uuid])).content.decode()
    assert "Envío gratis" in detail and m.account.name in detail
    assert str(prog.uuid) not in detail.replace(f"/loyalty/programs/{prog.uuid}/", "")
    member_page = page.get(reverse("loyalty:member_detail", args=[m.uuid])).content.decode()
    assert 'id="loyalty-balance">120<' in member_page
    # redeem from the page: a coupon code is shown, the balance falls
    response = page.post(reverse("loyalty:member_detail", args=[m.uuid]),
                         {"action": "redeem", "reward": "cupon-10"}, follow=True)
    assert "FID-" in response.content.decode() and services.balance(m) == 20
    # a short balance is said, nothing written
    response = page.post(reverse("loyalty:member_detail", args=[m.uuid]),
                         {"action": "redeem", "reward": "cupon-10"}, follow=True)
    assert "100" in response.content.decode() and services.balance(m) == 20


def test_the_form_names_the_part_at_fault_and_saves_nothing(as_admin, page):
    response = page.post(reverse("loyalty:program_create"), {
        "name": "Club", "points_per_unit": "1", "point_value": "0.01", "expiry_months": "12",
        "tier_basis": "points", "tier_window_days": "365", "active": "on",
        "tiers": '[{"name": "Oro", "threshold": "mucho"}]', "earn_rules": "", "rewards": "[]"})
    assert response.status_code == 400
    assert "tiers[0].threshold" in response.content.decode()
    assert Program.all_objects.count() == 0
    bad_json = page.post(reverse("loyalty:program_create"), {
        "name": "Club", "points_per_unit": "1", "point_value": "0.01", "expiry_months": "12",
        "tier_basis": "points", "tier_window_days": "365", "tiers": "[{", "earn_rules": "",
        "rewards": ""})
    assert "JSON" in bad_json.content.decode() and Program.all_objects.count() == 0


def test_the_account_panel_shows_tier_balance_expiring_and_enrols(as_admin, page):
    prog = program(as_admin, name="Club Uno")
    other = program(as_admin, name="Club Dos")
    m = member(as_admin, prog)
    m.tier = "Plata"
    m.save()
    soon = timezone.localdate() + dt.timedelta(days=20)
    entry(m, EntryKind.EARN, 75, expires=soon)
    url = reverse("loyalty:account_panel") + f"?record=customers.account:{m.account.uuid}"
    panel = page.get(url).content.decode()
    assert "Club Uno" in panel and "Plata" in panel and "75" in panel
    assert "Enrol in Club Dos" in panel or "Dar de alta en Club Dos" in panel
    page.post(reverse("loyalty:enrol"), {"account": str(m.account.uuid),
                                          "program": str(other.uuid)})
    assert other.members.filter(account=m.account).exists()
    assert selectors.expiring(m) == [{"date": soon, "points": 75}]
    # another record kind, or a malformed key, is a 404
    assert page.get(reverse("loyalty:account_panel") + "?record=sales.order:x").status_code \
        == 404


def test_the_api_redeems_and_names_the_reward_when_short(as_admin, api):
    prog = program(as_admin)
    m = member(as_admin, prog)
    url = reverse("loyalty-member-redeem", args=[m.uuid])
    short = api.post(url, {"reward": "cupon-10"}, format="json")
    assert short.status_code == 400 and "reward" in short.json()
    with as_user(as_admin):
        services.points_adjust(actor=as_admin, member=m, points=100, note="Alta")
    ok = api.post(url, {"reward": "cupon-10"}, format="json")
    assert ok.status_code == 201 and ok.json()["code"].startswith("FID-")
    figures = api.get(reverse("loyalty-program-economics", args=[prog.uuid])).json()
    assert figures["redeemed"] == 100 and figures["outstanding"] == 0


def test_members_and_balances_are_segment_conditions(as_admin):
    prog = program(as_admin)
    rich, poor = member(as_admin, prog), member(as_admin, prog)
    outsider = AccountFactory(actor=as_admin)
    entry(rich, EntryKind.EARN, 500)
    org = as_admin.organization_id

    def select(rule):
        checked = check(rule, subject="accounts", organization_id=org)
        return set(matching(checked, subject="accounts", organization_id=org)
                   .values_list("pk", flat=True))

    is_member = {"match": "all", "conditions": [
        {"field": "loyalty.program", "op": "eq", "value": str(prog.uuid)}]}
    assert select(is_member) == {rich.account_id, poor.account_id}
    not_member = {"match": "all", "conditions": [
        {"field": "loyalty.program", "op": "ne", "value": str(prog.uuid)}]}
    assert outsider.pk in select(not_member) and rich.account_id not in select(not_member)
    assert select({"match": "all", "conditions": [
        {"field": "loyalty.balance", "op": "gte", "value": 100}]}) == {rich.account_id}
    low = select({"match": "all", "conditions": [
        {"field": "loyalty.balance", "op": "lt", "value": 100}]})
    assert poor.account_id in low and outsider.pk in low and rich.account_id not in low


def test_the_economics_are_for_those_who_read_analytics(as_admin, users, page, client):
    """The whole programme's liability and the members' CLV comparison are organisation-wide
    figures: a sales representative sees the programme and its members, not them."""
    from rest_framework.test import APIClient

    prog = program(as_admin)
    url = reverse("loyalty:program_detail", args=[prog.uuid])
    assert "Outstanding points" in page.get(url).content.decode()
    rep = users["sales_rep"]
    client.force_login(rep)
    html = client.get(url).content.decode()
    assert prog.name in html and "Outstanding points" not in html
    api = APIClient()
    api.force_authenticate(rep)
    assert api.get(reverse("loyalty-program-economics", args=[prog.uuid])).status_code == 403
