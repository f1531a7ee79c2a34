"""The measures per package, each a SQL aggregate, against an independent count in Python of
the fixture data that made the rows (seeded, three packages' customers and an outsider)."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

import pytest
from django.utils import timezone

from tests.core.factories import as_user
from tests.customers.factories import AccountFactory
from tests.packages.factories import make_package, recompute
from vinculo.analytics.models import CustomerSnapshot
from vinculo.billing.models import Invoice, ReturnAuthorization
from vinculo.packages import measures, services
from vinculo.packages.models import PackageChange
from vinculo.sales.models import Delivery, Order, OrderLine
from vinculo.service.models import Queue, Survey, Ticket

pytestmark = pytest.mark.django_db


def _pct(part, whole):
    return round(100 * part / whole, 1) if whole else None


def test_measures_match_an_independent_count(admin):
    rng = random.Random(12)
    today = timezone.localdate()
    start, end = today - dt.timedelta(days=60), today
    gold = make_package(admin, name="Oro", rank=30)
    silver = make_package(admin, name="Plata", rank=20)
    org = admin.organization
    accounts = {gold: [AccountFactory(actor=admin) for _ in range(3)],
                silver: [AccountFactory(actor=admin) for _ in range(2)]}
    outsider = AccountFactory(actor=admin)
    with as_user(admin):
        for package, members in accounts.items():
            for account in members:
                services.package_assign(actor=admin, account=account, package=package,
                                        reason="Alta")
    # They have had their packages since before anything below happened.
    PackageChange.all_objects.update(on=today - dt.timedelta(days=200))
    queue = Queue.all_objects.create(organization=org, name="General")
    expected = {}
    counter = iter(range(1, 10_000))
    snapshots = {}
    for package, members in [*accounts.items(), (None, [outsider])]:
        e = dict(due=0, on_time=0, filled=0, ordered=Decimal(0), delivered=Decimal(0),
                 orders=0, complaints=0, met=0, judged=0, csat=[], promoters=0,
                 detractors=0, nps_n=0, returns=0, invoices=0, credit_notes=0,
                 revenue=Decimal(0), cost=Decimal(0), profit=Decimal(0))
        for account in members:
            for _ in range(rng.randint(2, 6)):
                ordered_on = today - dt.timedelta(days=rng.randint(0, 90))
                promised = ordered_on + dt.timedelta(days=rng.randint(1, 20))
                delivered = rng.random() < 0.7
                late = rng.random() < 0.3
                two = rng.random() < 0.3
                qty, got = Decimal(rng.randint(1, 5)), Decimal(0)
                delivered_on = promised + dt.timedelta(days=3 if late else -1)
                if delivered:
                    got = qty
                elif rng.random() < 0.5:
                    got = qty - 1
                status = "delivered" if delivered else ("partial" if got else "open")
                if delivered_on > today and delivered:
                    delivered_on = today
                order = Order.all_objects.create(
                    organization=org, account=account, number=f"SO-{next(counter)}",
                    ordered_on=ordered_on, promised_date=promised, status=status,
                    delivered_on=delivered_on if delivered else None)
                OrderLine.all_objects.create(organization=org, order=order, description="x",
                                             quantity=qty, unit_price=Decimal(10),
                                             delivered_quantity=got)
                deliveries = (2 if two else 1) if got else 0
                for _d in range(deliveries):
                    Delivery.all_objects.create(organization=org, order=order,
                                                number=f"DN-{next(counter)}",
                                                delivered_on=ordered_on)
                if start < promised <= end:
                    e["due"] += 1
                    e["ordered"] += qty
                    e["delivered"] += got
                    if delivered and delivered_on <= promised:
                        e["on_time"] += 1
                    if delivered and deliveries == 1:
                        e["filled"] += 1
                if start < ordered_on <= end:
                    e["orders"] += 1
                if rng.random() < 0.4:
                    requested = today - dt.timedelta(days=rng.randint(0, 90))
                    ReturnAuthorization.all_objects.create(
                        organization=org, account=account, order=order, reason="roto",
                        number=f"RMA-{next(counter)}", requested_on=requested)
                    e["returns"] += start < requested <= end
            for _ in range(rng.randint(1, 5)):
                created = today - dt.timedelta(days=rng.randint(0, 90))
                complaint = rng.random() < 0.4
                state = rng.choice(["met", "breached", "running"])
                resolved = state != "running"
                ticket = Ticket.all_objects.create(
                    organization=org, number=f"TK-{next(counter)}", subject="s", queue=queue,
                    account=account, type="complaint" if complaint else "request",
                    resolution_state=state,
                    resolved_at=timezone.now() if resolved else None)
                Ticket.all_objects.filter(pk=ticket.pk).update(
                    created_at=dt.datetime.combine(created, dt.time(12), tzinfo=dt.UTC))
                if start < created <= end:
                    e["complaints"] += complaint
                    e["met"] += state == "met"
                    e["judged"] += resolved
                if resolved and rng.random() < 0.7:
                    answered = today - dt.timedelta(days=rng.randint(0, 90))
                    csat, nps = rng.randint(1, 5), rng.choice([None, *range(11)])
                    Survey.all_objects.create(
                        organization=org, ticket=ticket, csat=csat, nps=nps,
                        answered_at=dt.datetime.combine(answered, dt.time(12), tzinfo=dt.UTC))
                    if start < answered <= end:
                        e["csat"].append(csat)
                        if nps is not None:
                            e["nps_n"] += 1
                            e["promoters"] += nps >= 9
                            e["detractors"] += nps <= 6
            for _ in range(rng.randint(1, 4)):
                issued = today - dt.timedelta(days=rng.randint(0, 90))
                invoice = Invoice.all_objects.create(
                    organization=org, account=account, kind="invoice", series="F",
                    number=f"F-{next(counter)}", status="issued", issue_date=issued,
                    total_amount=Decimal(100))
                e["invoices"] += start < issued <= end
                if rng.random() < 0.3:
                    Invoice.all_objects.create(
                        organization=org, account=account, kind="credit_note", series="R",
                        number=f"R-{next(counter)}", status="issued", issue_date=issued,
                        credited_invoice=invoice, total_amount=Decimal(-10))
                    e["credit_notes"] += start < issued <= end
            snapshots[account] = "Medium"
        if package is not None:
            expected[package.pk] = e
    recompute(snapshots)
    for package, members in accounts.items():
        for account in members:
            revenue, profit = Decimal(rng.randint(100, 900)), Decimal(rng.randint(-50, 400))
            CustomerSnapshot.all_objects.filter(account=account).update(
                revenue=revenue, profit=profit, cost_to_serve=Decimal(25))
            expected[package.pk]["revenue"] += revenue
            expected[package.pk]["profit"] += profit
            expected[package.pk]["cost"] += 25

    with as_user(admin):
        found = measures.measures(start=start, end=end)
    for package, members in accounts.items():
        e, got = expected[package.pk], found[package.pk]
        n = len(members)
        assert got["customers"] == n
        assert got["orders_due"] == e["due"]
        assert got["on_time_rate"] == _pct(e["on_time"], e["due"])
        assert got["order_fill_rate"] == _pct(e["filled"], e["due"])
        assert got["fill_rate"] == _pct(float(e["delivered"]), float(e["ordered"]))
        assert got["sla_compliance"] == _pct(e["met"], e["judged"])
        assert got["csat"] == (round(sum(e["csat"]) / len(e["csat"]), 2) if e["csat"] else None)
        assert got["nps"] == (round(100.0 * (e["promoters"] - e["detractors"]) / e["nps_n"], 1)
                              if e["nps_n"] else None)
        assert got["complaints_per_100_orders"] == _pct(e["complaints"], e["orders"])
        assert got["return_rate"] == _pct(e["returns"], e["orders"])
        assert got["credit_notes_per_100_invoices"] == _pct(e["credit_notes"], e["invoices"])
        assert got["revenue_per_customer"] == e["revenue"] / n
        assert got["cost_to_serve_per_customer"] == e["cost"] / n
        assert got["profit_per_customer"] == e["profit"] / n


def test_the_migration_matrix_counts_moves_in_the_period(admin):
    gold = make_package(admin, name="Oro", rank=30)
    silver = make_package(admin, name="Plata", rank=20)
    today = timezone.localdate()
    moves = [(None, gold, 5), (gold, silver, 10), (gold, silver, 20), (silver, None, 30),
             (silver, gold, 200)]  # the last one is outside the period
    for before, after, days_ago in moves:
        account = AccountFactory(actor=admin)
        PackageChange.all_objects.create(
            organization=admin.organization, account=account, from_package=before,
            to_package=after, on=today - dt.timedelta(days=days_ago), decided_by="rule")
    PackageChange.all_objects.create(  # pending: not a move
        organization=admin.organization, account=AccountFactory(actor=admin),
        from_package=gold, to_package=None, on=today, decided_by="rule", status="pending")
    with as_user(admin):
        matrix = measures.migration_matrix(start=today - dt.timedelta(days=90), end=today)
    assert matrix == {(None, gold.pk): 1, (gold.pk, silver.pk): 2, (silver.pk, None): 1}


def test_the_measures_are_for_those_who_read_analytics(admin, users, client):
    """Revenue, cost to serve and profit of every package's customers are organisation-wide
    money: the list shows the promises to everyone, the measures to analytics' readers."""
    from rest_framework.test import APIClient

    make_package(admin, name="Oro", rank=2)
    for user, sees in ((admin, True), (users["sales_rep"], False)):
        client.force_login(user)
        html = client.get("/packages/").content.decode()
        assert "Oro" in html
        assert ("Does each package keep its promise?" in html) is sees
        api = APIClient()
        api.force_authenticate(user)
        for path in ("/api/packages/measures/", "/api/packages/migrations/"):
            assert api.get(path).status_code == (200 if sees else 403)


def test_a_customer_who_moved_counts_for_the_package_of_the_day(admin):
    """Measured per package, a record counts for the package its customer had when the promise
    was made: a customer who moved from Plata to Oro leaves their Plata orders, tickets and
    invoices to Plata, and counts as a customer of both in the period (once each, however
    often they moved back and forth)."""
    today = timezone.localdate()
    org = admin.organization
    gold, silver = make_package(admin, name="Oro", rank=30), make_package(admin, name="Plata")
    moved, stayed, back = (AccountFactory(actor=admin) for _ in range(3))

    def change(account, before, after, days_ago):
        PackageChange.all_objects.create(
            organization=org, account=account, from_package=before, to_package=after,
            on=today - dt.timedelta(days=days_ago), decided_by="rule")
    change(moved, None, silver, 200)
    change(moved, silver, gold, 30)
    change(stayed, None, gold, 200)
    change(back, None, gold, 200)
    change(back, gold, silver, 20)
    change(back, silver, gold, 10)
    queue = Queue.all_objects.create(organization=org, name="General")
    n = iter(range(1, 100))

    def order(days_ago, late):
        placed = today - dt.timedelta(days=days_ago)
        promised = placed + dt.timedelta(days=3)
        Order.all_objects.create(
            organization=org, account=moved, number=f"SO-{next(n)}", ordered_on=placed,
            promised_date=promised, status="delivered",
            delivered_on=promised + dt.timedelta(days=2 if late else 0))

    def ticket_and_invoice(days_ago, credited):
        day = today - dt.timedelta(days=days_ago)
        ticket = Ticket.all_objects.create(organization=org, number=f"TK-{next(n)}",
                                           subject="s", queue=queue, account=moved,
                                           type="complaint")
        Ticket.all_objects.filter(pk=ticket.pk).update(
            created_at=dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC))
        invoice = Invoice.all_objects.create(organization=org, account=moved, kind="invoice",
                                             series="F", number=f"F-{next(n)}",
                                             status="issued", issue_date=day)
        if credited:
            Invoice.all_objects.create(organization=org, account=moved, kind="credit_note",
                                       series="R", number=f"R-{next(n)}", status="issued",
                                       issue_date=day, credited_invoice=invoice)
    order(50, late=True)  # placed under Plata's promise, delivered late
    order(10, late=False)  # placed under Oro's
    ticket_and_invoice(40, credited=True)
    ticket_and_invoice(5, credited=False)
    recompute({moved: "High", stayed: "High", back: "High"})
    CustomerSnapshot.all_objects.filter(account=moved).update(revenue=Decimal(900))
    with as_user(admin):
        found = measures.measures(start=today - dt.timedelta(days=60), end=today)
    assert (found[silver.pk]["customers"], found[gold.pk]["customers"]) == (2, 3)
    assert (found[silver.pk]["on_time_rate"], found[gold.pk]["on_time_rate"]) == (0.0, 100.0)
    assert (found[silver.pk]["complaints_per_100_orders"],
            found[gold.pk]["complaints_per_100_orders"]) == (100.0, 100.0)
    assert (found[silver.pk]["credit_notes_per_100_invoices"],
            found[gold.pk]["credit_notes_per_100_invoices"]) == (100.0, 0.0)
    # Today's snapshot counts for today's package: all three are in Oro now (900, 300, 300).
    assert found[gold.pk]["revenue_per_customer"] == Decimal(500)
    assert found[silver.pk]["revenue_per_customer"] is None
