"""The product's model validation: each recompute compares BG/NBD and MBG/NBD on a holdout of
the organisation's own orders, uses the better one and records which and why; the validation
page shows that comparison and computes one for any date, in English and Spanish."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import numpy as np
import pytest
from django.core.management import call_command
from django.urls import reverse

from tests.analytics.test_product_recompute import AS_OF_1, make_cdnow_orders
from tests.customers.factories import AccountFactory
from vinculo.analytics.models import AnalyticsRun
from vinculo.analytics.services.validation import (
    choose_model,
    default_holdout_from,
    holdout_validation,
)
from vinculo.analytics.stats.holdout import compare_holdout
from vinculo.analytics.stats.summary import customer_summary
from vinculo.core.tenancy import organization_scope
from vinculo.sales.models import OrderStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def history(admin, cdnow_transactions):
    accounts = [AccountFactory(actor=admin, name=f"Cliente {i:03d} SA") for i in range(150)]
    # No cancelled orders: with 10 % of these 150 customers' orders cancelled, no drop-out is
    # visible before July and both fits are degenerate (see the test of that case below).
    rows = make_cdnow_orders(admin, accounts, cdnow_transactions, np.random.default_rng(5),
                             cancelled=0.0)
    call_command("analytics_recompute", "--organization", admin.organization.name,
                 "--as-of", AS_OF_1.isoformat(), stdout=StringIO())
    with organization_scope(admin.organization):
        run = AnalyticsRun.objects.get(as_of=AS_OF_1)
    return admin, rows, run


def _library(rows, holdout_from, as_of):
    """The same comparison from the raw order rows through the pure library."""
    kept = [(a, d, v) for a, d, v, status in rows
            if status != OrderStatus.CANCELLED and d <= as_of]
    ids = np.array([r[0] for r in kept])
    days = np.array([r[1] for r in kept], dtype="datetime64[D]")
    s = customer_summary(ids, days, np.array([r[2] for r in kept]), unit="week",
                         calibration_end=holdout_from - dt.timedelta(days=1),
                         observation_end=as_of)
    return compare_holdout(s.frequency, s.recency, s.T, s.frequency_holdout,
                           s.duration_holdout, models=("bg_nbd", "mbg_nbd"))


def test_recompute_records_the_model_it_used_and_why(history):
    _admin, rows, run = history
    chosen = run.parameters["model"]
    assert chosen["reason"] == "holdout"
    validation = chosen["validation"]
    assert chosen["name"] == validation["best"] in ("bg_nbd", "mbg_nbd")
    assert validation["mae"][chosen["name"]] == min(validation["mae"].values())
    # The snapshots were scored with that model: its fit is stored under its own key.
    key = {"bg_nbd": "bgnbd", "mbg_nbd": "mbgnbd"}[chosen["name"]]
    assert set(run.parameters[key]) >= {"r", "alpha", "a", "b", "log_likelihood"}
    # The automatic holdout is the last third of the history (Jan to Sept 2024: 91 days).
    assert validation["holdout_from"] == "2024-07-02"
    assert validation["as_of"] == AS_OF_1.isoformat()
    # The SQL path gives what the library gives on the raw orders.
    lib = _library(rows, dt.date(2024, 7, 2), AS_OF_1)
    assert validation["buckets"] == lib.buckets
    assert validation["customers"] == lib.customers
    assert validation["actual"] == pytest.approx(lib.actual)
    for model in ("bg_nbd", "mbg_nbd"):
        assert validation["predicted"][model] == pytest.approx(lib.predicted[model], rel=1e-6)
        assert validation["mae"][model] == pytest.approx(lib.mae[model], rel=1e-6)


def test_short_history_keeps_the_default_and_says_so(admin):
    assert default_holdout_from(first_day=dt.date(2024, 9, 1), as_of=AS_OF_1) is None
    assert default_holdout_from(first_day=dt.date(2020, 1, 1), as_of=AS_OF_1) == (
        AS_OF_1 - dt.timedelta(days=181))
    assert choose_model(organization_id=admin.organization.pk, as_of=AS_OF_1,
                        first_day=dt.date(2024, 9, 1)) == {"name": "bg_nbd",
                                                           "reason": "short_history"}
    # No orders at all: the split cannot be made, the default model is kept with the reason.
    chosen = choose_model(organization_id=admin.organization.pk, as_of=AS_OF_1,
                          first_day=dt.date(2024, 1, 1))
    assert chosen["name"] == "bg_nbd" and chosen["reason"] == "validation_failed"
    assert "no orders before" in chosen["error"]


def test_degenerate_fits_keep_the_default_and_say_why(admin, cdnow_transactions):
    """With 10 % of these orders cancelled, the first 150 CDNOW customers show no drop-out
    before July: neither model is identified, so the recompute keeps BG/NBD and says why."""
    accounts = [AccountFactory(actor=admin, name=f"Cliente {i:03d} SA") for i in range(150)]
    make_cdnow_orders(admin, accounts, cdnow_transactions, np.random.default_rng(5))
    chosen = choose_model(organization_id=admin.organization.pk, as_of=AS_OF_1,
                          first_day=dt.date(2024, 1, 1))
    assert chosen["name"] == "bg_nbd" and chosen["reason"] == "validation_failed"
    assert "degenerate" in chosen["error"]
    assert chosen["validation"]["best"] is None


def test_other_organisations_orders_are_not_used(history, other_admin):
    with pytest.raises(ValueError, match="no orders before"):
        holdout_validation(organization_id=other_admin.organization.pk,
                           holdout_from=dt.date(2024, 7, 2), as_of=AS_OF_1)


def _get(client, user, language, **params):
    user.language = language
    user.save(update_fields=["language"])
    client.force_login(user)
    return client.get(reverse("analytics:validation"), params)


@pytest.mark.parametrize(("language", "title", "used", "why"), [
    ("en", "Model validation", "Model used by the last recomputation", "predicted the purchases"),
    ("es", "Validación de modelos", "Modelo usado en el último recálculo", "mejor predijo"),
])
def test_page_shows_the_stored_comparison(history, client, language, title, used, why):
    admin, _rows, run = history
    response = _get(client, admin, language)
    assert response.status_code == 200
    html = response.content.decode()
    assert title in html and used in html and why in html
    name = {"bg_nbd": "BG/NBD", "mbg_nbd": "MBG/NBD"}[run.parameters["model"]["name"]]
    assert f"<strong>{name}</strong>" in html
    assert 'data-figure="figure-validation"' in html and "7+" in html
    figure = response.context["chart"]
    assert [t.get("name") for t in figure["data"]][1:] == ["BG/NBD", "MBG/NBD"]
    assert figure["layout"]["separators"] == (",." if language == "es" else ".,")


def test_dashboard_links_to_the_validation_page(history, page):
    html = page.get(reverse("analytics:dashboard")).content.decode()
    assert reverse("analytics:validation") in html


@pytest.mark.parametrize("language", ["en", "es"])
def test_page_computes_a_comparison_for_a_chosen_date(history, client, language):
    admin, rows, _run = history
    response = _get(client, admin, language, holdout_from="2024-06-01")
    assert response.status_code == 200
    result = response.context["result"]
    assert result["holdout_from"] == "2024-06-01"
    today = dt.date.today()
    lib = _library(rows, dt.date(2024, 6, 1), today)
    assert result["customers"] == lib.customers
    assert result["actual"] == pytest.approx(lib.actual)
    html = response.content.decode()
    assert ("Mean absolute error" if language == "en" else "Error absoluto medio") in html


@pytest.mark.parametrize(("value", "message"), [
    ("junio", "Enter a valid date."),
    ("2999-01-01", "Choose a date in the past"),
    ("2001-01-01", "The history cannot be split at that date"),
])
def test_page_refuses_bad_dates(history, client, value, message):
    admin, _rows, _run = history
    response = _get(client, admin, "en", holdout_from=value)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert "result" not in response.context


def test_page_without_a_recompute_says_what_to_do(page):
    html = page.get(reverse("analytics:validation")).content.decode()
    assert "No recomputation yet" in html and "No comparison to show yet" in html
