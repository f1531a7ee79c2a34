"""The package is applied, not only shown: the next ticket's SLA, the prices of quotes and
orders, the payment terms of invoices, the delivery promise, and the included services' cost in
the cost to serve."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from tests.catalog.factories import PriceListFactory, PriceListItemFactory, ProductFactory
from tests.core.factories import as_user
from tests.customers.factories import AccountFactory
from tests.packages.factories import TOP, make_package, recompute
from tests.service.factories import BusinessCalendarFactory, QueueFactory, SlaPolicyFactory
from vinculo.billing import services as billing
from vinculo.core import events
from vinculo.packages import selectors, services
from vinculo.sales.documents import services as documents
from vinculo.service import services as desk

pytestmark = pytest.mark.django_db


def test_a_customer_moved_into_a_package_gets_its_sla_on_the_next_ticket(
        admin, django_capture_on_commit_callbacks):
    calendar = BusinessCalendarFactory(actor=admin)
    standard = SlaPolicyFactory(actor=admin, cal=calendar)
    platinum = SlaPolicyFactory(actor=admin, name="Platino", tier="platinum", cal=calendar,
                                targets={"normal": (15, 120)})
    QueueFactory(actor=admin)
    make_package(admin, name="Premium", rank=30, rule=TOP, service_tier="platinum")
    account = AccountFactory(actor=admin)  # hand-set tier: standard
    with as_user(admin):
        before = desk.ticket_create(actor=admin, data={"subject": "Antes", "account": account})
    assert (before.tier, before.sla_policy) == ("standard", standard)
    run = recompute({account: "High"})
    with django_capture_on_commit_callbacks(execute=True), as_user(admin):
        events.publish("snapshot.recomputed", record=run, actor=None,
                       data={"as_of": run.as_of.isoformat(), "customers": 1})
    with as_user(admin):
        after = desk.ticket_create(actor=admin, data={"subject": "Después", "account": account})
    assert (after.tier, after.sla_policy) == ("platinum", platinum)


def test_quotes_and_orders_take_the_price_list_and_the_delivery_promise(admin):
    product = ProductFactory(actor=admin, list_price="10.00")
    premium_prices = PriceListFactory(actor=admin, name="Premium", segment="premium")
    PriceListItemFactory(actor=admin, price_list=premium_prices, product=product, price="8.00")
    package = make_package(admin, name="Premium", price_list=premium_prices,
                           lead_time_days=3, payment_terms_days=60, partial_deliveries=False)
    member, other = AccountFactory(actor=admin), AccountFactory(actor=admin)
    line = [{"product": product, "quantity": "2"}]
    with as_user(admin):
        services.package_assign(actor=admin, account=member, package=package, reason="Alta")
        quote = documents.quote_create(actor=admin, account=member, lines=line)
        plain = documents.quote_create(actor=admin, account=other, lines=line)
        assert (quote.lines.get().unit_price, plain.lines.get().unit_price) == (
            Decimal("8.00"), Decimal("10.00"))
        order = documents.quote_accept(actor=admin, quote=quote)  # no date: the promise
        assert order.promised_date == timezone.localdate() + dt.timedelta(days=3)
        with pytest.raises(ValidationError) as caught:
            documents.order_create(actor=admin, account=other, lines=line)
        assert "promised_date" in caught.value.message_dict
        # partial deliveries are not allowed for this package
        order_line = order.lines.get()
        with pytest.raises(ValidationError) as caught:
            documents.delivery_create(actor=admin, order=order, lines=[(order_line, "1")])
        assert "lines" in caught.value.message_dict
        documents.delivery_create(actor=admin, order=order, lines=[(order_line, "2")])
        invoice = billing.invoice_create(actor=admin, account=member, lines=line)
        plain_invoice = billing.invoice_create(actor=admin, account=other, lines=line)
        chosen = billing.invoice_create(actor=admin, account=member, lines=line,
                                        payment_terms_days=10)
    assert (invoice.payment_terms_days, plain_invoice.payment_terms_days,
            chosen.payment_terms_days) == (60, 30, 10)


def test_an_inactive_package_promises_nothing(admin):
    package = make_package(admin, name="Premium", service_tier="gold", payment_terms_days=60)
    account = AccountFactory(actor=admin)
    with as_user(admin):
        services.package_assign(actor=admin, account=account, package=package, reason="Alta")
        assert selectors.account_terms(account).service_tier == "gold"
        services.package_update(actor=admin, package=package, data={"active": False},
                                expected_version=package.version)
        assert selectors.account_terms(account) is None


def test_included_services_feed_the_cost_to_serve(admin):
    package = make_package(admin, name="Premium", services_=[
        {"name": "Visita", "monthly_cost": "40"}, {"name": "Línea", "monthly_cost": "20.875"}])
    account = AccountFactory(actor=admin)
    with as_user(admin):
        services.package_assign(actor=admin, account=account, package=package, reason="Alta")
    today = timezone.localdate()
    rows = dict(selectors.included_cost(admin.organization_id, today - dt.timedelta(days=30),
                                        today + dt.timedelta(days=61)))
    # since today: 61 days of (40 + 20.88) a month of 30.4375 days
    assert rows[account.pk] == pytest.approx(float(Decimal("60.88") * 61 / Decimal("30.4375")))
    from vinculo.analytics import drivers

    assert "package_services" in drivers.names()
