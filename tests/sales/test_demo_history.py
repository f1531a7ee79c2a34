"""The demo's sales history: consistent documents and a buy-till-you-die purchase pattern."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest
from django.core.management import call_command
from django.db.models import Count, Sum

from vinculo.core.models import DocumentSequence, Organization
from vinculo.core.tenancy import organization_scope
from vinculo.sales.models import Delivery, DeliveryLine, Opportunity, Order, OrderLine


@pytest.fixture
def demo(db):
    call_command("demo", "--customers", "600", "--seed", "3", "--no-progress", stdout=None)
    org = Organization.objects.get(name="Vínculo Demo")
    with organization_scope(org):
        yield org


def test_orders_lines_and_deliveries_add_up(demo):
    orders = Order.objects.all()
    assert orders.count() > 300
    for order in orders.prefetch_related("lines")[:200]:
        lines = list(order.lines.all())
        assert order.net_amount == sum(line.net_amount for line in lines)
        assert order.total_amount == order.net_amount + order.tax_amount
        for line in lines:
            assert line.net_amount == (line.quantity * line.unit_price).quantize(Decimal("0.01"))
    delivered = {row["order_line"]: row["q"] for row in
                 DeliveryLine.objects.values("order_line").annotate(q=Sum("quantity"))}
    for line in OrderLine.objects.all():
        assert delivered.get(line.pk, 0) == line.delivered_quantity
    # some late, some partial, most on time
    done = Order.objects.filter(status="delivered")
    late = sum(1 for o in done if o.delivered_on > o.promised_date)
    partial = Delivery.objects.values("order").annotate(n=Count("id")).filter(n__gt=1).count()
    assert 0 < late < done.count() * 0.4
    assert partial > 0
    # numbering continues after the demo's documents
    year = max(orders.values_list("ordered_on__year", flat=True))
    last = orders.filter(ordered_on__year=year).count()
    assert DocumentSequence.objects.get(organization=demo, key=f"SO-{year}").last_number == last


def test_purchases_follow_a_buy_till_you_die_pattern(demo):
    per_account = np.array(list(Order.objects.values("account").annotate(n=Count("id"))
                                .values_list("n", flat=True)))
    assert per_account.min() >= 1
    # heterogeneous rates: many one-off buyers and a long tail of frequent ones
    assert (per_account == 1).mean() > 0.2
    assert per_account.max() >= 10 * np.median(per_account)


def test_the_board_has_open_opportunities(demo):
    assert Opportunity.objects.filter(status="open").count() >= 20
    assert Opportunity.objects.filter(status="won").exists()


def test_invoices_payments_and_returns_are_consistent(demo):
    from vinculo.billing import selectors as billing_selectors
    from vinculo.billing.models import Invoice, Payment, ReturnAuthorization

    invoices = Invoice.objects.all()
    assert invoices.count() == Order.objects.filter(status="delivered").count()
    assert not invoices.filter(status="draft").exists()
    for invoice in invoices.select_related("order")[:200]:
        assert invoice.total_amount == invoice.order.total_amount
        assert invoice.total_amount == sum(line.total_amount for line in invoice.lines.all())
    paid = set(Payment.objects.values_list("invoice_id", flat=True))
    assert paid == set(invoices.filter(status="paid").values_list("id", flat=True))
    assert invoices.filter(status="issued").exists()  # some still open: aging has content
    assert ReturnAuthorization.objects.exists()
    admin = demo.users.filter(role="admin").first()
    report = billing_selectors.aging(user=admin)
    outstanding = sum(i.total_amount for i in invoices.filter(status="issued"))
    assert report["totals"]["EUR"]["total"] == outstanding


def test_buyers_are_customers_and_have_snapshots_of_two_dates(demo):
    from vinculo.analytics.models import CustomerSnapshot
    from vinculo.analytics.selectors import snapshot_dates
    from vinculo.customers.models import Account

    buyers = set(Order.objects.values_list("account_id", flat=True))
    assert set(Account.objects.filter(pk__in=buyers).values_list("lifecycle_stage", flat=True)) \
        == {"customer"}
    dates = snapshot_dates()  # two, so the segment migration has something to compare
    assert len(dates) == 2 and (dates[0] - dates[1]).days == 91
    snapshots = CustomerSnapshot.objects.filter(account_id__in=buyers, as_of=dates[0])
    assert snapshots.count() == len(buyers)
    assert snapshots.filter(clv__gt=0).exists()
    mean_order = Order.objects.aggregate(m=Sum("net_amount"))["m"] / Order.objects.count()
    assert Decimal(100) < mean_order < Decimal(1000)  # B2B-sized orders


def test_demo_funnel_has_a_source_for_every_opportunity_and_leads_that_became_some(demo):
    from vinculo.core.models import User
    from vinculo.sales.selectors import conversion_funnel

    admin = User.objects.get(email="admin@demo.vinculo.test")
    rows = conversion_funnel(user=admin)
    assert all(row["key"] for row in rows if row["opportunities"])  # none under "—"
    assert sum(row["from_leads"] for row in rows) > 0
    assert any((row["lead_to_opportunity"] or 0) > 0 for row in rows)


def test_every_opportunity_owner_can_open_its_account(demo):
    """A representative quotes their opportunity from its account: the demo gives each
    opportunity to whoever may see its account (its owner or team), never to someone the
    account's record rule hides it from (a walk found 18 of 25 such)."""
    from vinculo.core.models import User
    from vinculo.customers.models import Account

    with organization_scope(demo):
        for opportunity in Opportunity.objects.select_related("owner", "account"):
            owner = User.objects.get(pk=opportunity.owner_id)
            if owner.is_owner_scoped:
                assert Account.objects.restrict(owner).filter(
                    pk=opportunity.account_id).exists(), opportunity
