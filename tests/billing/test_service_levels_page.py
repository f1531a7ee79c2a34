"""The service-levels page a page at a time, sorted by any column (it had every account-month
on one page: ~1,900 rows, 64,000 px)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse

from tests.customers.factories import AccountFactory
from tests.sales.factories import DeliveryFactory, OrderFactory

pytestmark = pytest.mark.django_db

URL = reverse("billing:service_levels")


@pytest.fixture
def levels(as_admin):
    """Seven accounts with one order due each; the first three delivered on time."""
    promised = dt.date.today() - dt.timedelta(days=40)
    for i in range(7):
        account = AccountFactory(actor=as_admin, name=f"Cliente {i} SL")
        order = OrderFactory(actor=as_admin, account=account, ordered_on=promised,
                             promised=promised)
        if i < 3:
            DeliveryFactory(actor=as_admin, order=order, delivered_on=promised)
    return as_admin


def names(response) -> list[str]:
    return re.findall(r"<tr><td>(Cliente \d SL)</td>", response.content.decode())


def test_pages_and_sorts_by_any_column(levels, client):
    client.force_login(levels)
    first = client.get(URL, {"page_size": 3})
    assert names(first) == ["Cliente 0 SL", "Cliente 1 SL", "Cliente 2 SL"]
    assert "page=2" in first.content.decode()  # a next page
    third = client.get(URL, {"page_size": 3, "page": 3})
    assert names(third) == ["Cliente 6 SL"]
    by_name = client.get(URL, {"sort": "-account__name", "page_size": 3})
    assert names(by_name) == ["Cliente 6 SL", "Cliente 5 SL", "Cliente 4 SL"]
    # the rate columns sort in the database: undelivered first, ties by name
    worst = client.get(URL, {"sort": "order_fill_rate", "page_size": 5})
    assert names(worst) == ["Cliente 3 SL", "Cliente 4 SL", "Cliente 5 SL", "Cliente 6 SL",
                            "Cliente 0 SL"]
    best = client.get(URL, {"sort": "-on_time_rate", "page_size": 2})
    assert names(best) == ["Cliente 0 SL", "Cliente 1 SL"]
    searched = client.get(URL, {"q": "Cliente 5"})
    assert names(searched) == ["Cliente 5 SL"]


def test_bad_sort_is_ignored_and_a_huge_page_is_a_404(levels, client):
    client.force_login(levels)
    response = client.get(URL, {"sort": "account__owner__password", "page_size": 2})
    assert response.status_code == 200
    assert names(response) == ["Cliente 0 SL", "Cliente 1 SL"]  # the default order
    assert client.get(URL, {"page": "99999999999999999999"}).status_code == 404
    assert client.get(URL, {"page": str(2**63)}).status_code == 404
    assert client.get(URL, {"page": "-1"}).status_code == 404


def test_by_month_and_by_segment(levels, client):
    client.force_login(levels)
    html = client.get(URL, {"by": "month"}).content.decode()
    rows = re.findall(r"<tr><td class=\"text-nowrap\">[^<]+</td><td class=\"text-end\">(\d+)<",
                      html)
    assert rows == ["7"]  # one month, seven orders due
    assert client.get(URL, {"by": "segment", "sort": "-due"}).status_code == 200
    htmx = client.get(URL, {"page_size": 2}, HTTP_HX_REQUEST="true").content.decode()
    assert "<h1" not in htmx and "Cliente 0 SL" in htmx  # the table alone for htmx
