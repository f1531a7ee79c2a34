"""The recompute fits BG/NBD with the accounts' attributes and the analytics page shows
"What drives purchasing and drop-out" (issue 16): known effects of the acquisition channel
are recovered from orders drawn with them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np
import pytest
from django.urls import reverse

from vinculo.analytics import services
from vinculo.analytics.models import AnalyticsRun
from vinculo.analytics.stats.simulate import simulate_bgnbd_covariates
from vinculo.core.tenancy import organization_scope
from vinculo.customers.models import Account
from vinculo.sales.models import Order, OrderStatus

pytestmark = pytest.mark.django_db

START, AS_OF = dt.date(2024, 1, 1), dt.date(2024, 12, 30)


def drawn_orders(org, n=1500, seed=3):
    """Accounts from the web (reference), referrals (buy e^0.8 as often) and events (leave
    sooner: a × e^1.0); industry empty for all (skipped: one level)."""
    rng = np.random.default_rng(seed)
    source = rng.choice(["web", "referral", "event"], n, p=[0.5, 0.3, 0.2])
    accounts = Account.all_objects.bulk_create(
        [Account(organization=org, name=f"Cliente {i}", source=source[i]) for i in range(n)])
    z = np.column_stack([source == "referral", source == "event"]).astype(float)
    first = rng.integers(0, 120, n)
    T = (AS_OF - START).days - first
    x, tx, _ = simulate_bgnbd_covariates(z, 0.5, 60.0, 0.8, 2.5, T.astype(float),
                                         purchase_effects=[0.8, 0.0], a_effects=[0.0, 1.0],
                                         rng=rng)
    orders = []
    for i in range(n):
        days = [0.0] if not x[i] else np.r_[0.0, np.sort(rng.random(int(x[i]) - 1) * tx[i]),
                                            tx[i]]
        for t in sorted({int(np.rint(d)) for d in days}):
            day = START + dt.timedelta(days=int(first[i]) + t)
            orders.append(Order(organization=org, account=accounts[i], number=f"D-{len(orders)}",
                                ordered_on=day, promised_date=day, delivered_on=day,
                                status=OrderStatus.DELIVERED, net_amount=Decimal("50"),
                                total_amount=Decimal("60")))
    with organization_scope(org):
        Order.objects.bulk_create(orders, batch_size=2000)


def test_recompute_recovers_the_channel_effects_and_the_page_shows_them(admin, client):
    drawn_orders(admin.organization)
    run = AnalyticsRun.all_objects.create(organization=admin.organization, as_of=AS_OF,
                                          requested_by=admin)
    run = services.analytics_run_execute(run=run)
    cov = run.parameters["covariates"]  # as stored: JSON
    assert cov["attributes"] == ["source"] and set(cov["skipped"]) == {"industry", "size"}
    assert cov["reference"] == {"source": "web"}
    rows = {(e["key"], e["process"]): e for e in cov["effects"]}
    truth = {("source=referral", "purchase"): 0.8, ("source=event", "dropout_a"): 1.0}
    assert len(rows) == 6
    for key, row in rows.items():
        assert abs(row["coefficient"] - truth.get(key, 0.0)) < 3 * row["standard_error"], key
    assert rows[("source=referral", "purchase")]["interval"][0] > 1.5
    assert cov["mean_dropout"]["source=event"] > cov["mean_dropout"]["reference"]

    admin.language = "es"
    admin.save(update_fields=["language"])
    client.force_login(admin)
    html = client.get(reverse("analytics:dashboard"), HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "Qué impulsa la compra y el abandono" in html
    assert "Recomendación" in html and "comparado con «Sitio web»" in html
    assert "tasa de compra" in html
