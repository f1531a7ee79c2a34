"""Analytics pages: dashboard with Plotly served locally, CSV exports, progress bar, cost rates,
the 360° panel, and the nightly command."""

from __future__ import annotations

import csv
import datetime as dt
from decimal import Decimal
from io import StringIO
from pathlib import Path

import numpy as np
import pytest
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.templatetags.static import static
from django.urls import reverse

from tests.analytics.test_product_recompute import AS_OF_1, AS_OF_2, IMMEDIATE, make_cdnow_orders
from tests.customers.factories import AccountFactory
from vinculo.analytics.models import AnalyticsRun, CostRate, CustomerSnapshot, RunStatus
from vinculo.core.tenancy import organization_scope

pytestmark = pytest.mark.django_db


@pytest.fixture
def scored(admin, cdnow_transactions):
    accounts = [AccountFactory(actor=admin, name=f"Cliente {i:02d} SA") for i in range(40)]
    make_cdnow_orders(admin, accounts, cdnow_transactions, np.random.default_rng(3))
    for as_of in (AS_OF_1, AS_OF_2):
        call_command("analytics_recompute", "--organization", admin.organization.name,
                     "--as-of", as_of.isoformat(), stdout=StringIO())
    return admin, accounts


def test_nightly_command_records_runs_and_snapshots(scored):
    admin, _accounts = scored
    with organization_scope(admin.organization):
        runs = list(AnalyticsRun.objects.order_by("as_of").values_list("as_of", "status"))
        assert runs == [(AS_OF_1, RunStatus.DONE), (AS_OF_2, RunStatus.DONE)]
        counts = [CustomerSnapshot.objects.filter(as_of=d).count() for d in (AS_OF_1, AS_OF_2)]
        assert counts[1] >= counts[0] > 30


def test_dashboard_shows_every_figure_with_local_plotly(scored, page):
    html = page.get(reverse("analytics:dashboard")).content.decode()
    assert static("vendor/plotly.min.js") in html
    assert "cdn.plot.ly" not in html and "cdn.jsdelivr" not in html
    assert html.count('class="plotly-figure"') >= 6  # retention, recency, CLV, whale, segm., migr.
    assert static("vinculo/figures.js") in html
    for name in ("retention", "recency", "conversion", "clv", "whale", "segments", "migration",
                 "top_clv", "top_profit", "tiers", "delivery"):
        assert reverse("analytics:export", args=[name]) in html
    assert "Segment migration from Sept. 30, 2024 to Dec. 31, 2024" in html
    assert "Cliente" in html  # top customers link to the accounts


def test_plotly_js_is_a_local_static_file():
    found = finders.find("vendor/plotly.min.js")
    assert found and b"plotly" in Path(found).read_bytes()[:2000].lower()


def test_exports_are_the_figures_data(scored, page):
    admin, _accounts = scored
    body = page.get(reverse("analytics:export", args=["segments"])).content.decode()
    rows = list(csv.reader(StringIO(body)))
    assert rows[0] == ["Segment", "Customers", "CLV", "Revenue", "Profit"]
    with organization_scope(admin.organization):
        n = CustomerSnapshot.objects.filter(as_of=AS_OF_2).count()
    assert sum(int(r[1]) for r in rows[1:]) == n
    body = page.get(reverse("analytics:export", args=["migration"]),
                    {"as_of": AS_OF_2, "from": AS_OF_1}).content.decode()
    matrix = list(csv.reader(StringIO(body)))
    assert matrix[0][0] == f"{AS_OF_1} \\ {AS_OF_2}"
    assert sum(int(r[-1]) for r in matrix[1:]) == n  # row totals: date-1 customers + new
    assert page.get(reverse("analytics:export", args=["nope"])).status_code == 404


def test_recompute_button_queues_a_run_and_the_bar_polls(admin, page, settings,
                                                        django_capture_on_commit_callbacks):
    settings.TASKS = IMMEDIATE
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = page.post(reverse("analytics:run"), HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert 'hx-trigger="every 1s"' in html and "progress-bar" in html
    assert len(callbacks) == 1
    with organization_scope(admin.organization):
        assert AnalyticsRun.objects.get().status == RunStatus.PENDING
    callbacks[0]()  # the task runs: no orders, zero customers, done
    html = page.get(reverse("analytics:run")).content.decode()
    assert "every 1s" not in html and "Last recomputation: 0 customers" in html


def test_cost_rates_page(admin, users, client):
    client.force_login(admin)
    data = {"order": "4,50", "delivery": "2", "invoice": "-1"}
    response = client.post(reverse("analytics:cost_rates"), data)
    assert response.status_code == 400
    assert "Enter a number of zero or more." in response.content.decode()
    with organization_scope(admin.organization):
        assert CostRate.objects.count() == 0  # nothing half-written
    data["invoice"] = "0.75"
    assert client.post(reverse("analytics:cost_rates"), data).status_code == 302
    with organization_scope(admin.organization):
        rates = dict(CostRate.objects.values_list("driver", "rate"))
    assert rates["order"] == Decimal("4.5") and rates["invoice"] == Decimal("0.75")
    client.force_login(users["sales_manager"])  # may look, not change
    assert client.get(reverse("analytics:cost_rates")).status_code == 200
    assert client.post(reverse("analytics:cost_rates"), data).status_code == 403


def test_customer_panel_reads_like_an_income_statement(scored, page):
    admin, accounts = scored
    with organization_scope(admin.organization):
        snap = CustomerSnapshot.objects.filter(account=accounts[0]).order_by("-as_of").first()
    html = page.get(reverse("analytics:customer_panel", args=[accounts[0].uuid])).content.decode()
    order = [html.index(w) for w in ("Revenue", "Cost of goods", "Gross margin", "Cost to serve",
                                     "Profit")]
    assert order == sorted(order)
    assert "P(alive)" in html and "RFM segment" in html
    assert f"Snapshot as of {snap.as_of:%b}" in html or str(snap.as_of.year) in html
    empty = AccountFactory(actor=admin, name="Sin compras SL")
    html = page.get(reverse("analytics:customer_panel", args=[empty.uuid])).content.decode()
    assert "No analytics snapshot for this account yet." in html


@pytest.mark.parametrize(("lang", "clv", "alive"), [
    ("es", "CLV</dt><dd class=\"col-sm-6\">3.844,12\u00a0€ <span class=\"text-body-secondary\">"
           "(2.910–4.800)</span>", "0,73 <span class=\"text-body-secondary\">(0,70–0,75)"),
    ("en", "CLV</dt><dd class=\"col-sm-6\">€3,844.12 <span class=\"text-body-secondary\">"
           "(2,910–4,800)</span>", "0.73 <span class=\"text-body-secondary\">(0.70–0.75)"),
])
def test_customer_panel_shows_the_intervals_in_the_users_locale(scored, page, lang, clv, alive):
    """The recompute stored bounds; here known ones are set so the exact text can be read:
    a wide CLV interval in whole units, P(alive) with two decimals, in the reader's locale."""
    admin, accounts = scored
    with organization_scope(admin.organization):
        snap = CustomerSnapshot.objects.filter(account=accounts[0]).order_by("-as_of").first()
        assert snap.clv_lower <= snap.clv <= snap.clv_upper  # written by the recompute
        CustomerSnapshot.objects.filter(pk=snap.pk).update(
            clv=Decimal("3844.12"), clv_lower=Decimal("2910.40"), clv_upper=Decimal("4800.20"),
            p_alive=0.7266, p_alive_lower=0.6991, p_alive_upper=0.7525)
    page.cookies["django_language"] = lang
    html = page.get(reverse("analytics:customer_panel", args=[accounts[0].uuid])).content.decode()
    html = html.replace("&nbsp;", "\u00a0")
    assert clv in html and alive in html
    note = {"es": "intervalo del 90 %", "en": "the 90 % interval"}[lang]
    assert note in html


def test_customer_panel_without_intervals_shows_the_estimates_alone(scored, page):
    """Snapshots written before the intervals existed (null bounds) read as before."""
    admin, accounts = scored
    with organization_scope(admin.organization):
        CustomerSnapshot.objects.filter(account=accounts[0]).update(
            clv_lower=None, clv_upper=None, p_alive_lower=None, p_alive_upper=None,
            expected_purchases_lower=None, expected_purchases_upper=None)
    html = page.get(reverse("analytics:customer_panel", args=[accounts[0].uuid])).content.decode()
    assert "CLV" in html and "–" not in html and "interval" not in html


def test_dates_outside_the_snapshots_fall_back_to_the_latest(scored, page):
    response = page.get(reverse("analytics:dashboard"), {"as_of": "1999-01-01", "from": "x"})
    assert response.status_code == 200
    assert f'value="{AS_OF_2.isoformat()}" selected' in response.content.decode()
    assert dt.date.today()  # no crash on bad dates
