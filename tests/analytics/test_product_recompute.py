"""Snapshots: aggregate SQL summary, the recompute task, P&L, migration, API, roles, tenancy."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np
import pytest
from django.db.models import Count
from django.urls import reverse

from tests.conftest import make_user, token_client
from tests.customers.factories import AccountFactory
from vinculo.analytics import services
from vinculo.analytics.models import AnalyticsRun, CostRate, CustomerSnapshot, RunStatus
from vinculo.analytics.stats.summary import customer_summary
from vinculo.core.roles import Role
from vinculo.core.tenancy import organization_scope
from vinculo.sales.models import Order, OrderStatus

pytestmark = pytest.mark.django_db

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
START = dt.date(2024, 1, 1)
AS_OF_1 = dt.date(2024, 9, 30)
AS_OF_2 = dt.date(2024, 12, 31)


def make_orders(user, accounts, rng, *, n_orders=300, days=365, cancelled=0.1):
    """Random orders from heterogeneous customers (BG/NBD-like: each has a purchase rate and
    may drop out), several on one day for some, some cancelled; returned as plain rows."""
    org = user.organization
    rows = []
    orders = []
    rate = rng.gamma(0.8, 1 / 40, size=len(accounts))  # purchases per day
    life = rng.exponential(days / 2, size=len(accounts))  # days until the customer drops out
    start = rng.integers(0, max(days // 2, 1), size=len(accounts))
    k = 0
    while k < n_orders:
        i = int(rng.integers(len(accounts)))
        if rng.random() > rate[i] * 40:
            continue
        day = START + dt.timedelta(days=int(start[i] + min(rng.exponential(1 / max(rate[i],
                                                                                  1e-3)) * 3,
                                                         life[i], days - 1 - start[i])))
        account = accounts[i]
        amount = Decimal(int(rng.integers(100, 50000))) / 100
        status = OrderStatus.CANCELLED if rng.random() < cancelled else OrderStatus.DELIVERED
        orders.append(Order(organization=org, account=account, number=f"P-{k:06d}",
                            ordered_on=day, promised_date=day + dt.timedelta(days=3),
                            delivered_on=day + dt.timedelta(days=int(rng.integers(0, 6))),
                            status=status, net_amount=amount, total_amount=amount * 2))
        rows.append((account.pk, day, float(amount), status))
        k += 1
    with organization_scope(org):
        Order.objects.bulk_create(orders)
    return rows


def make_cdnow_orders(user, accounts, cdnow_transactions, rng, *, cancelled=0.1):
    """The first CDNOW customers' purchases, moved 27 years ahead (1997 → 2024), as orders."""
    ids, dates, amounts = cdnow_transactions
    org = user.organization
    orders, rows = [], []
    for k in np.flatnonzero(ids <= len(accounts)).tolist():
        account = accounts[int(ids[k]) - 1]
        day = dates[k].astype(dt.date)
        day = day.replace(year=day.year + 27)
        amount = Decimal(str(amounts[k])).quantize(Decimal("0.01"))
        status = OrderStatus.CANCELLED if rng.random() < cancelled else OrderStatus.DELIVERED
        orders.append(Order(organization=org, account=account, number=f"C-{k:06d}",
                            ordered_on=day, promised_date=day + dt.timedelta(days=3),
                            delivered_on=day + dt.timedelta(days=int(rng.integers(0, 6))),
                            status=status, net_amount=amount, total_amount=amount))
        rows.append((account.pk, day, float(amount), status))
    with organization_scope(org):
        Order.objects.bulk_create(orders)
    return rows


@pytest.fixture
def shop(admin, cdnow_transactions):
    rng = np.random.default_rng(7)
    accounts = [AccountFactory(actor=admin, name=f"Cliente {i:02d} SA") for i in range(40)]
    rows = make_cdnow_orders(admin, accounts, cdnow_transactions, rng)
    return admin, accounts, rows


def reference_summary(rows, as_of):
    keep = [r for r in rows if r[3] != OrderStatus.CANCELLED and r[1] <= as_of]
    ids = np.array([r[0] for r in keep])
    dates = np.array([r[1] for r in keep], dtype="datetime64[D]")
    amounts = np.array([r[2] for r in keep])
    return customer_summary(ids, dates, amounts, unit="week", calibration_end=as_of,
                            observation_end=as_of)


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_sql_summary_equals_the_library_summary(admin, seed):
    """Property: the database path and the NumPy path agree on random order histories."""
    rng = np.random.default_rng(seed)
    accounts = [AccountFactory(actor=admin, name=f"Prop {seed}-{i}") for i in range(12)]
    rows = make_orders(admin, accounts, rng, n_orders=int(rng.integers(5, 120)),
                       days=int(rng.integers(10, 400)))
    as_of = START + dt.timedelta(days=int(rng.integers(5, 400)))
    with organization_scope(admin.organization):
        sql = services.customer_summary_sql(organization_id=admin.organization_id, as_of=as_of)
    ref = reference_summary(rows, as_of)
    model = sql.for_model(as_of)
    assert sql.account.tolist() == ref.customer.tolist()
    assert model["frequency"].tolist() == ref.frequency.tolist()
    np.testing.assert_allclose(model["recency"], ref.recency, rtol=0, atol=1e-12)
    np.testing.assert_allclose(model["T"], ref.T, rtol=0, atol=1e-12)
    np.testing.assert_allclose(model["monetary"], ref.monetary_value, rtol=1e-12, atol=1e-9)
    assert [str(d) for d in ref.first_purchase] == [
        str(np.datetime64(int(d), "D")) for d in sql.first_day]
    # Orders (not days) in the P&L window, the "order" cost driver counted in the same query.
    start = as_of - dt.timedelta(days=90)
    with organization_scope(admin.organization):
        windowed = services.customer_summary_sql(organization_id=admin.organization_id,
                                                 as_of=as_of, window_start=start)
    in_window = [r[0] for r in rows
                 if r[3] != OrderStatus.CANCELLED and start < r[1] <= as_of]
    assert windowed.orders.tolist() == [in_window.count(a) for a in sql.account.tolist()]


@pytest.mark.django_db(transaction=True)  # the real worker commits and closes connections
def test_recompute_task_end_to_end_to_the_api(shop, task_queue):
    admin, accounts, rows = shop
    with organization_scope(admin.organization):
        CostRate.objects.create(organization=admin.organization, driver="order", rate=Decimal(5))
        CostRate.objects.create(organization=admin.organization, driver="delivery",
                                rate=Decimal("2.5"))
        run = services.analytics_run_start(organization=admin.organization, as_of=AS_OF_2,
                                           actor=admin)
        assert run.status == RunStatus.PENDING  # queued for a worker
        task_queue.run()
        run.refresh_from_db()
        assert run.status == RunStatus.DONE, run.error
        assert run.progress == 100
        ref = reference_summary(rows, AS_OF_2)
        assert run.customers == len(ref) == CustomerSnapshot.objects.filter(as_of=AS_OF_2).count()
        assert set(run.parameters["bgnbd"]) >= {"r", "alpha", "a", "b", "log_likelihood"}

        snap = CustomerSnapshot.objects.get(account=accounts[0], as_of=AS_OF_2)
        mine = [r for r in rows if r[0] == accounts[0].pk and r[3] != OrderStatus.CANCELLED
                and r[1] > AS_OF_2 - dt.timedelta(days=365) and r[1] <= AS_OF_2]
        revenue = sum(Decimal(str(r[2])) for r in mine)
        assert snap.revenue == revenue
        # Cost to serve: 5 per order + 2.5 per delivery (none recorded here) = 5 per order
        assert snap.cost_to_serve == Decimal(5) * len(mine)
        assert snap.cost_breakdown == ({"order": 5.0 * len(mine)} if mine else {})
        assert snap.profit == snap.revenue - snap.cost_of_goods - snap.cost_to_serve
        assert 0 <= snap.p_alive <= 1
        assert snap.clv is not None and snap.clv >= 0
        assert 1 <= snap.r_score <= 5 and snap.rfm_segment

    api = token_client(admin)
    body = api.get(f"/api/analytics/accounts/{accounts[0].uuid}/").json()
    assert body["snapshots"][0]["as_of"] == AS_OF_2.isoformat()
    assert Decimal(body["snapshots"][0]["profit"]) == snap.profit
    segments = api.get("/api/analytics/segments/").json()
    assert sum(s["customers"] for s in segments["segments"]) == run.customers
    whale = api.get("/api/analytics/whale-curve/").json()
    assert whale["points"][0] == {"share": 0.0, "profit_pct": 0.0}
    assert whale["points"][-1]["profit_pct"] == pytest.approx(100.0)
    latest = api.get("/api/analytics/runs/latest/").json()
    assert latest["status"] == "done" and latest["id"] == str(run.uuid)


def test_recompute_stores_interval_bounds_and_the_api_returns_them(shop, settings,
                                                                    django_capture_on_commit_callbacks):
    """Every scored snapshot holds lower <= estimate <= upper for P(alive), expected purchases
    and CLV, the run records the parameters' standard errors, and the API returns the bounds."""
    settings.TASKS = IMMEDIATE
    admin, _accounts, _rows = shop
    with organization_scope(admin.organization):
        with django_capture_on_commit_callbacks(execute=True):
            run = services.analytics_run_start(organization=admin.organization, as_of=AS_OF_2,
                                               actor=admin)
        run.refresh_from_db()
        assert run.status == RunStatus.DONE, run.error
        bg = run.parameters["bgnbd"]
        assert bg["interval_level"] == 0.9 and bg["identified"] is True
        assert set(bg["standard_errors"]) == {"r", "alpha", "a", "b"}
        assert all(v > 0 for v in bg["standard_errors"].values())
        assert set(run.parameters["gamma_gamma"]["standard_errors"]) == {"p", "q", "gamma"}
        snaps = list(CustomerSnapshot.objects.filter(as_of=AS_OF_2))
        assert snaps
        for s in snaps:
            for name in ("p_alive", "expected_purchases", "clv"):
                lower, value, upper = (getattr(s, name + k) for k in ("_lower", "", "_upper"))
                assert lower is not None and upper is not None, name
                assert lower <= value <= upper, (name, lower, value, upper)
            assert 0 <= s.p_alive_lower <= s.p_alive_upper <= 1
        # A customer with repeat purchases has a genuine interval around its CLV.
        repeat = next(s for s in snaps if s.frequency > 0 and s.clv > 0)
        assert repeat.clv_lower < repeat.clv < repeat.clv_upper

    body = token_client(admin).get(f"/api/analytics/accounts/{repeat.account.uuid}/").json()
    latest = body["snapshots"][0]
    assert Decimal(latest["clv_lower"]) == repeat.clv_lower
    assert Decimal(latest["clv_upper"]) == repeat.clv_upper
    assert latest["p_alive_lower"] == pytest.approx(repeat.p_alive_lower)
    assert latest["expected_purchases_upper"] == pytest.approx(repeat.expected_purchases_upper)


def test_rerun_same_day_upserts_and_older_snapshots_are_kept(shop):
    admin, accounts, rows = shop
    org = admin.organization
    with organization_scope(org):
        services.recompute(organization=org, as_of=AS_OF_1)
        first = dict(CustomerSnapshot.objects.filter(as_of=AS_OF_1)
                     .values_list("account_id", "clv"))
        services.recompute(organization=org, as_of=AS_OF_2)
        services.recompute(organization=org, as_of=AS_OF_2)
        assert CustomerSnapshot.objects.filter(as_of=AS_OF_2).count() == len(
            reference_summary(rows, AS_OF_2))
        assert dict(CustomerSnapshot.objects.filter(as_of=AS_OF_1)
                    .values_list("account_id", "clv")) == first
        # Cancel every order of one account: the rerun drops its row for that date.
        Order.objects.filter(account=accounts[1]).update(status=OrderStatus.CANCELLED)
        services.recompute(organization=org, as_of=AS_OF_2)
        assert not CustomerSnapshot.objects.filter(as_of=AS_OF_2, account=accounts[1]).exists()


def test_migration_conserves_customers(shop, settings):
    admin, _accounts, _rows = shop
    org = admin.organization
    with organization_scope(org):
        for as_of in (AS_OF_1, AS_OF_2):
            AnalyticsRun.objects.create(organization=org, as_of=as_of, status=RunStatus.DONE)
            services.recompute(organization=org, as_of=as_of)
        n1 = CustomerSnapshot.objects.filter(as_of=AS_OF_1).count()
        n2 = CustomerSnapshot.objects.filter(as_of=AS_OF_2).count()
    body = token_client(admin).get(
        f"/api/analytics/migration/?from={AS_OF_1}&to={AS_OF_2}").json()
    counts = np.array(body["counts"])
    assert body["rows"][-1] == "(new)" and body["columns"][-1] == "(gone)"
    assert counts[:-1].sum() == n1  # every date-1 customer is in exactly one row
    assert counts[:, :-1].sum() == n2  # every date-2 customer is in exactly one column
    assert counts[-1].sum() == n2 - n1  # no one is gone: nobody's history disappears
    assert counts[:, -1].sum() == 0
    with organization_scope(org):
        by_segment = dict(CustomerSnapshot.objects.filter(as_of=AS_OF_1).order_by()
                          .values_list("rfm_segment").annotate(n=Count("id")))
    for label, row in zip(body["rows"][:-1], counts[:-1], strict=True):
        assert row.sum() == by_segment.get(label, 0)


def test_cost_of_goods_from_order_lines_and_product_cost(admin):
    from vinculo.catalog.models import Product
    from vinculo.sales.models import OrderLine

    account = AccountFactory(actor=admin, name="Coste SL")
    org = admin.organization
    with organization_scope(org):
        product = Product.objects.filter().first()
        if product is None:
            from tests.catalog.factories import catalog_records

            product = next(v for k, v in catalog_records(admin).items()
                           if k.__name__ == "Product")
        Product.objects.filter(pk=product.pk).update(cost_price=Decimal("4.00"))
        for k, day in enumerate((dt.date(2024, 3, 1), dt.date(2024, 6, 1))):
            order = Order.objects.create(organization=org, account=account, number=f"C-{k}",
                                         ordered_on=day, promised_date=day,
                                         net_amount=Decimal(100), total_amount=Decimal(121))
            OrderLine.objects.create(organization=org, order=order, product=product,
                                     description="x", quantity=Decimal(3),
                                     unit_price=Decimal("33.34"), net_amount=Decimal(100))
        services.recompute(organization=org, as_of=AS_OF_2)
        snap = CustomerSnapshot.objects.get(account=account)
    assert snap.revenue == Decimal(200)
    assert snap.cost_of_goods == Decimal(24)  # 2 orders × 3 units × 4.00
    assert snap.profit == Decimal(176)
    assert snap.frequency == 1 and snap.monetary == Decimal(100)


ALLOWED = {Role.ADMIN, Role.SALES_MANAGER, Role.ANALYST}


def test_roles_and_other_organisations(shop, users, other_admin, client):
    admin, accounts, _rows = shop
    with organization_scope(admin.organization):
        services.recompute(organization=admin.organization, as_of=AS_OF_2)
    urls = ["/api/analytics/segments/", "/api/analytics/whale-curve/",
            f"/api/analytics/accounts/{accounts[0].uuid}/", "/api/analytics/migration/"]
    pages = [reverse("analytics:dashboard"), reverse("analytics:export", args=["segments"]),
             reverse("analytics:customer_panel", args=[accounts[0].uuid])]
    for role in Role.values:
        user = users[role]
        api = token_client(user)
        client.force_login(user)
        expected = 200 if role in ALLOWED else 403
        for url in urls:
            assert api.get(url).status_code == expected, (role, url)
        for url in pages:
            assert client.get(url).status_code == expected, (role, url)
    # another organisation's account is a 404, and its lists show nothing of ours
    api = token_client(other_admin)
    assert api.get(f"/api/analytics/accounts/{accounts[0].uuid}/").status_code == 404
    assert api.get("/api/analytics/segments/").json()["segments"] == []
    client.force_login(other_admin)
    assert client.get(reverse("analytics:customer_panel",
                              args=[accounts[0].uuid])).status_code == 404
    assert "Cliente" not in client.get(reverse("analytics:dashboard")).content.decode()


def test_writes_are_refused_to_roles_without_permission(users, settings,
                                                        django_capture_on_commit_callbacks):
    settings.TASKS = IMMEDIATE
    viewer = make_user(users[Role.ADMIN].organization, Role.READ_ONLY, "ro2@acme.test")
    from vinculo.core.services import PermissionDeniedError

    with organization_scope(viewer.organization):
        with django_capture_on_commit_callbacks(execute=True) as callbacks, \
                pytest.raises(PermissionDeniedError):
            services.analytics_run_start(organization=viewer.organization, actor=viewer)
        assert callbacks == []
        assert AnalyticsRun.objects.count() == 0
        with pytest.raises(PermissionDeniedError):
            services.cost_rate_update(organization=viewer.organization, driver="order",
                                      rate=Decimal(1), actor=users[Role.SALES_MANAGER])
        assert CostRate.objects.count() == 0


def test_first_day_total_is_that_days_sum_whatever_the_amounts(admin):
    """The first purchase day's total (packed with its day into one integer in the query) is
    the sum of that day's orders, also when later days are smaller or an order is negative."""
    account = AccountFactory(actor=admin, name="Primer Día SL")
    org = admin.organization
    orders = [(dt.date(2024, 3, 1), "300.00"), (dt.date(2024, 3, 1), "5.25"),
              (dt.date(2024, 3, 1), "-50.00"), (dt.date(2024, 4, 1), "1.00"),
              (dt.date(2024, 5, 1), "1000.00"), (dt.date(2024, 5, 1), "0.75")]
    with organization_scope(org):
        for k, (day, amount) in enumerate(orders):
            Order.objects.create(organization=org, account=account, number=f"D-{k}",
                                 ordered_on=day, promised_date=day, net_amount=Decimal(amount),
                                 total_amount=Decimal(amount), status=OrderStatus.DELIVERED)
        sql = services.customer_summary_sql(organization_id=org.pk, as_of=AS_OF_2,
                                            window_start=dt.date(2024, 3, 31))
    assert sql.first_amount.tolist() == [255.25]
    assert sql.total.tolist() == [1257.0]
    assert sql.days.tolist() == [3] and sql.orders.tolist() == [3]
    assert sql.revenue.tolist() == [1001.75]
    assert sql.for_model(AS_OF_2)["monetary"].tolist() == [(1257.0 - 255.25) / 2]


def test_credit_notes_are_netted_on_the_day_of_the_order_they_credit(admin):
    """Returns reach the summary as credit notes (an RMA resolved by credit issues one): a
    fully credited order's day is no purchase, a partial credit lowers the day's amount, and
    credit notes still in draft or issued after the date do not count."""
    from vinculo.billing.models import Invoice, InvoiceKind, InvoiceStatus

    account = AccountFactory(actor=admin, name="Devoluciones SL")
    org = admin.organization
    days = [dt.date(2024, 3, 1), dt.date(2024, 4, 1), dt.date(2024, 5, 1), dt.date(2024, 6, 1)]
    with organization_scope(org):
        orders = [Order.objects.create(organization=org, account=account, number=f"C-{k}",
                                       ordered_on=day, promised_date=day,
                                       net_amount=Decimal("100.00"),
                                       total_amount=Decimal("121.00"),
                                       status=OrderStatus.DELIVERED)
                  for k, day in enumerate(days)]

        def credit(k, order, amount, *, issued_on, status=InvoiceStatus.ISSUED):
            invoice = Invoice.objects.create(
                organization=org, account=account, order=order, kind=InvoiceKind.INVOICE,
                number=f"F-{k}", status=InvoiceStatus.ISSUED, issue_date=order.ordered_on,
                net_amount=order.net_amount, total_amount=order.total_amount)
            return Invoice.objects.create(
                organization=org, account=account, order=order, credited_invoice=invoice,
                kind=InvoiceKind.CREDIT_NOTE, number=f"R-{k}" if status != "draft" else "",
                status=status, issue_date=issued_on if status != "draft" else None,
                net_amount=Decimal(amount), total_amount=Decimal(amount))

        credit(1, orders[1], "-100.00", issued_on=dt.date(2024, 4, 20))  # fully returned
        credit(2, orders[2], "-40.00", issued_on=dt.date(2024, 5, 3))    # partly returned
        credit(3, orders[3], "-100.00", issued_on=dt.date(2025, 1, 5))   # after the date
        credit(4, orders[0], "-100.00", issued_on=None, status=InvoiceStatus.DRAFT)
        sql = services.customer_summary_sql(organization_id=org.pk, as_of=AS_OF_2)
    assert sql.days.tolist() == [3]  # 1 March, 1 May (60 net), 1 June
    assert sql.total.tolist() == [260.0]
    assert sql.first_amount.tolist() == [100.0]
    assert sql.orders.tolist() == [3]
    model = sql.for_model(AS_OF_2)
    assert model["frequency"].tolist() == [2]
    assert model["monetary"].tolist() == [80.0]  # (60 + 100) / 2
