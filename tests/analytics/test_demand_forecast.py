"""Demand forecast in the product: the monthly series from order lines, the method chosen per
series, the page with its chart and CSV, the API, roles and other organisations."""

from __future__ import annotations

import csv
import datetime as dt
from decimal import Decimal
from io import StringIO

import numpy as np
import pytest
from django.templatetags.static import static
from django.urls import reverse

from tests.catalog.factories import ProductFactory
from tests.conftest import token_client
from tests.core.factories import as_user
from tests.customers.factories import AccountFactory
from tests.sales.factories import free_line
from vinculo.analytics import demand
from vinculo.analytics.stats.forecast import METHODS, backtest_mase, croston, seasonal_naive
from vinculo.core.roles import Role, role_has
from vinculo.core.tenancy import organization_scope
from vinculo.sales.documents import services as documents
from vinculo.sales.models import OrderLine, OrderStatus

pytestmark = pytest.mark.django_db

AS_OF = dt.date(2024, 12, 31)
FIRST = dt.date(2023, 1, 1)  # the 24-month window: 2023-01 … 2024-12


def _order(user, account, day, lines):
    with as_user(user):
        return documents.order_create(actor=user, account=account, lines=lines,
                                      promised_date=day + dt.timedelta(days=5), ordered_on=day)


def _month_index(day: dt.date) -> int:
    return (day.year - FIRST.year) * 12 + day.month - FIRST.month


@pytest.fixture
def shop(admin, other_admin):
    """Four products over two years of orders, plus noise that must not count.

    * Harina: every month, steady with noise (no season: smoothing beats last year's value).
    * Aceite: every month, more in summer, sometimes two lines in a month.
    * Vinagre: intermittent (every third month), one cancelled order.
    * Sal: sold exactly once.
    * Pimienta: sold only before the window and after the as-of date (left out).
    Free-text lines have no product. Globex sells "Azafrán Secreto".
    """
    harina = ProductFactory(actor=admin, name="Harina de trigo", list_price="1.20")
    aceite = ProductFactory(actor=admin, name="Aceite de oliva 5 l", list_price="42.50")
    vinagre = ProductFactory(actor=admin, name="Vinagre de Jerez", list_price="3.10")
    sal = ProductFactory(actor=admin, name="Sal de Añana", list_price="2.00")
    pimienta = ProductFactory(actor=admin, name="Pimienta negra", list_price="5.00")
    big = AccountFactory(actor=admin, name="Ultramarinos Grandes SA")
    small = AccountFactory(actor=admin, name="Colmado Pequeño SL")
    rng = np.random.default_rng(7)
    for k in range(24):
        month = dt.date(2023 + k // 12, k % 12 + 1, 1)
        summer = month.month in (6, 7, 8)
        qty = int(10 + 8 * summer + rng.integers(0, 4))
        lines = [{"product": aceite, "quantity": Decimal(qty)},
                 {"product": harina, "quantity": Decimal(int(20 + rng.integers(-6, 7)))},
                 free_line("Transporte", "1", "15.00")]
        if k % 3 == 0:
            lines.append({"product": vinagre, "quantity": Decimal(int(rng.integers(2, 9)))})
        _order(admin, big, month + dt.timedelta(days=int(rng.integers(0, 27))), lines)
        if k % 5 == 2:  # a second Aceite line in the same month, from another customer
            _order(admin, small, month + dt.timedelta(days=27),
                   [{"product": aceite, "quantity": Decimal("2.5")}])
    _order(admin, small, dt.date(2024, 3, 14), [{"product": sal, "quantity": Decimal(7)}])
    cancelled = _order(admin, small, dt.date(2024, 5, 3),
                       [{"product": vinagre, "quantity": Decimal(500)}])
    with as_user(admin):
        documents.order_cancel(actor=admin, order=cancelled)
    _order(admin, small, dt.date(2022, 12, 31), [{"product": pimienta, "quantity": Decimal(3)}])
    _order(admin, small, dt.date(2025, 1, 1), [{"product": pimienta, "quantity": Decimal(4)},
                                               {"product": aceite, "quantity": Decimal(99)}])
    secret = ProductFactory(actor=other_admin, name="Azafrán Secreto", list_price="90.00")
    _order(other_admin, AccountFactory(actor=other_admin, name="Cliente Secreto SA"),
           dt.date(2024, 6, 1), [{"product": secret, "quantity": Decimal(1000)}])
    return {"harina": harina, "aceite": aceite, "vinagre": vinagre, "sal": sal,
            "pimienta": pimienta, "big": big, "small": small}


def _expected_matrix(user, products):
    """Quantities by product and month straight from the order lines, in Python."""
    out = {p.pk: np.zeros(24) for p in products}
    with organization_scope(user.organization):
        for line in OrderLine.objects.select_related("order"):
            day = line.order.ordered_on
            if (line.product_id in out and line.order.status != OrderStatus.CANCELLED
                    and FIRST <= day <= AS_OF):
                out[line.product_id][_month_index(day)] += float(line.quantity)
    return out


def test_matrix_is_the_order_lines_by_month_with_zero_months(shop, admin):
    with organization_scope(admin.organization):
        ids, matrix, months = demand.product_demand_matrix(AS_OF)
    assert months[0] == FIRST and months[-1] == dt.date(2024, 12, 1) and len(months) == 24
    rows = {name: matrix[i] for i, (_uuid, _code, name) in enumerate(ids)}
    assert set(rows) == {"Harina de trigo", "Aceite de oliva 5 l", "Vinagre de Jerez",
                         "Sal de Añana"}
    expected = _expected_matrix(admin, [shop[k] for k in ("harina", "aceite", "vinagre", "sal")])
    for key in ("harina", "aceite", "vinagre", "sal"):
        np.testing.assert_allclose(rows[shop[key].name], expected[shop[key].pk])
    assert (rows["Vinagre de Jerez"] == 0).sum() == 16  # 8 selling months of 24
    sal = rows["Sal de Añana"]
    assert sal[_month_index(dt.date(2024, 3, 1))] == 7 and sal.sum() == 7  # sold once
    assert rows["Vinagre de Jerez"].max() < 500  # the cancelled order is left out


def test_method_is_the_lowest_backtest_mase_recomputed_independently(shop, admin):
    with organization_scope(admin.organization):
        result = demand.product_forecast(as_of=AS_OF)
    assert result.season_length == 12  # 24 months of history
    assert result.future == [dt.date(2025, 1, 1), dt.date(2025, 2, 1), dt.date(2025, 3, 1)]
    assert [s.name for s in result.series] == ["Harina de trigo", "Aceite de oliva 5 l",
                                               "Vinagre de Jerez", "Sal de Añana"]  # biggest
    keys = ("harina", "aceite", "vinagre", "sal")
    expected = _expected_matrix(admin, [shop[k] for k in keys])
    by_name = {shop[k].name: shop[k].pk for k in keys}
    for series in result.series:
        y = expected[by_name[series.name]]
        scores = {m: float(v[0]) for m, v in backtest_mase(y, 3, season_length=12).items()}
        table = [scores[m] if np.isfinite(scores[m]) else np.inf for m in METHODS]
        best = METHODS[int(np.argmin(table))]
        assert series.method == best, (series.name, scores)
        for m in METHODS:
            got = series.candidates[m]
            assert (got is None and not np.isfinite(scores[m])) or got == pytest.approx(
                scores[m])
        if series.method == "seasonal_naive":
            np.testing.assert_allclose(series.forecast, seasonal_naive(y, 3, 12))
        elif series.method == "sba":
            np.testing.assert_allclose(series.forecast, croston(y, 3, sba=True))
    assert {s.method for s in result.series} == {"sba", "seasonal_naive"}
    aceite = result.series[1]
    assert aceite.mase is not None and aceite.mase == pytest.approx(min(
        v for v in aceite.candidates.values() if v is not None))
    assert shop["pimienta"].name not in {s.name for s in result.series}


def test_top_customers_are_ranked_by_revenue_with_monthly_amounts(shop, admin):
    with organization_scope(admin.organization):
        result = demand.customer_forecast(as_of=AS_OF)
        lines = list(OrderLine.objects.select_related("order")
                     .exclude(order__status=OrderStatus.CANCELLED)
                     .filter(order__ordered_on__gte=FIRST, order__ordered_on__lte=AS_OF,
                             order__account=shop["big"]))
    assert [s.name for s in result.series] == ["Ultramarinos Grandes SA", "Colmado Pequeño SL"]
    expected = np.zeros(24)
    for line in lines:
        expected[_month_index(line.order.ordered_on)] += float(line.net_amount)
    np.testing.assert_allclose(result.series[0].history, expected)
    assert "Cliente Secreto SA" not in {s.name for s in result.series}


def test_season_length_is_one_with_less_than_two_years_and_window_ends_on_complete_month():
    assert demand.window(dt.date(2024, 12, 30), 2) == [dt.date(2024, 10, 1),
                                                       dt.date(2024, 11, 1)]
    assert demand.window(dt.date(2024, 2, 29), 1) == [dt.date(2024, 2, 1)]
    short = np.zeros((2, 24))
    short[0, 5:] = 1  # first demand in month 6: 19 months of history
    assert demand.season_length_for(short) == 1
    short[1, 0] = 1
    assert demand.season_length_for(short) == 12


def _csv(response) -> list[list[str]]:
    return list(csv.reader(StringIO(response.content.decode())))


def test_page_shows_table_and_chart_with_local_plotly_and_csv_holds_the_data(shop, admin,
                                                                            page):
    url = reverse("analytics:forecast")
    html = page.get(url, {"as_of": AS_OF.isoformat()}).content.decode()
    assert static("vendor/plotly.min.js") in html and "cdn.plot.ly" not in html
    assert html.count("data-plotly-figure") == 1
    assert shop["aceite"].full_code in html and "Vinagre de Jerez" in html
    assert "MASE &lt; 1: better than repeating last season" in html
    title = html.split("data-plotly-figure")[0].rsplit("<h2", 1)[1]
    assert "Harina de trigo" in title  # the biggest product by default
    assert "Azafrán Secreto" not in html
    assert reverse("analytics:dashboard") in html
    with organization_scope(admin.organization):
        result = demand.product_forecast(as_of=AS_OF)
    export = reverse("analytics:export", args=["forecast_products"])
    assert export in html
    rows = _csv(page.get(export, {"as_of": AS_OF.isoformat()}))
    assert rows[0][:5] == ["Code", "Name", "Forecast method", "MASE", "2023-01"]
    assert rows[0][-3:] == ["2025-01 (forecast)", "2025-02 (forecast)", "2025-03 (forecast)"]
    assert [r[1] for r in rows[1:]] == [s.name for s in result.series]
    for row, series in zip(rows[1:], result.series, strict=True):
        assert [float(v) for v in row[4:28]] == pytest.approx(series.history)
        assert [float(v) for v in row[28:]] == pytest.approx(series.forecast, abs=0.001)
    # the chart follows the chosen product; the customers tab shows the top accounts
    sal = page.get(url, {"as_of": AS_OF.isoformat(), "product": str(shop["sal"].uuid)})
    assert "Sal de Añana" in sal.content.decode().split("data-plotly-figure")[0].rsplit("<h2", 1)[1]
    html = page.get(url, {"as_of": AS_OF.isoformat(), "tab": "customers"}).content.decode()
    assert "Ultramarinos Grandes SA" in html and html.count("data-plotly-figure") == 1
    assert reverse("analytics:export", args=["forecast_customers"]) in html
    dashboard = page.get(reverse("analytics:dashboard")).content.decode()
    assert url in dashboard


def test_api_returns_the_forecast_and_names_bad_parameters(shop, api):
    body = api.get("/api/analytics/forecast/", {"as_of": AS_OF.isoformat(),
                                                 "horizon": 2}).json()
    assert body["horizon"] == 2 and body["products"]["season_length"] == 12
    assert body["future"] == ["2025-01-01", "2025-02-01"]
    first = body["products"]["series"][0]
    assert first["name"] == "Harina de trigo" and len(first["forecast"]) == 2
    assert len(first["history"]) == 24 and set(first["candidates"]) == set(METHODS)
    assert first["mase"] == first["candidates"][first["method"]]
    assert body["customers"]["series"][0]["name"] == "Ultramarinos Grandes SA"
    for value in ("0", "25", "tres", "1.5"):
        response = api.get("/api/analytics/forecast/", {"horizon": value})
        assert response.status_code == 400 and "horizon" in response.json(), value
    response = api.get("/api/analytics/forecast/", {"as_of": "2024-13-01"})
    assert response.status_code == 400 and "as_of" in response.json()


def test_bad_horizon_on_the_page_is_a_400_naming_it(admin, page):
    response = page.get(reverse("analytics:forecast"), {"horizon": "99"})
    assert response.status_code == 400 and "horizon" in response.content.decode()
    response = page.get(reverse("analytics:export", args=["forecast_products"]),
                        {"horizon": "x"})
    assert response.status_code == 400 and b"horizon" in response.content


def test_other_organisations_and_roles_without_analytics_view(shop, users, other_admin,
                                                              client):
    url = reverse("analytics:forecast")
    api = token_client(other_admin)
    body = api.get("/api/analytics/forecast/", {"as_of": AS_OF.isoformat()}).json()
    assert [p["name"] for p in body["products"]["series"]] == ["Azafrán Secreto"]
    assert [c["name"] for c in body["customers"]["series"]] == ["Cliente Secreto SA"]
    client.force_login(other_admin)
    html = client.get(url, {"as_of": AS_OF.isoformat()}).content.decode()
    assert "Azafrán Secreto" in html and "Aceite" not in html and "Ultramarinos" not in html
    csv_rows = _csv(client.get(reverse("analytics:export", args=["forecast_products"]),
                               {"as_of": AS_OF.isoformat()}))
    assert [r[1] for r in csv_rows[1:]] == ["Azafrán Secreto"]
    assert not role_has(Role.SALES_REP, "analytics.view")
    for role in Role.values:
        expected = 200 if role_has(role, "analytics.view") else 403
        client.force_login(users[role])
        assert client.get(url).status_code == expected, role
        assert token_client(users[role]).get(
            "/api/analytics/forecast/").status_code == expected, role


