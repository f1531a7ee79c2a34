"""The record-panels extension point: record pages show the boxes other apps contribute,
for the models each names and the roles holding its permission, at no query's cost."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.customers.factories import AccountFactory
from tests.sales.factories import OrderFactory
from vinculo.core import record_panels
from vinculo.core.roles import PERMISSIONS

pytestmark = pytest.mark.django_db


def test_panels_follow_the_model_and_the_role(admin, monkeypatch):
    account = AccountFactory(actor=admin)
    with CaptureQueriesContext(connection) as queries:
        panels = record_panels.for_record(admin, account)
    # contracts and marketing's suggested actions first (order 5, then by key), the service
    # package (6), loyalty (7), then files, comments and the portal's
    assert [p["key"] for p in panels] == ["contracts", "suggestions", "service_package",
                                          "loyalty", "files", "comments", "portal"]
    assert panels[4]["url"].endswith(f"?record=customers.account%3A{account.uuid}")
    assert len(queries) == 0
    # a model no panel names gets none
    from vinculo.billing.models import Invoice

    assert record_panels.for_record(admin, Invoice(uuid=account.uuid)) == []
    # a role without the panel's permission does not get it
    monkeypatch.setitem(PERMISSIONS, "comments.view", frozenset())
    assert [p["key"] for p in record_panels.for_record(admin, account)] == [
        "contracts", "suggestions", "service_package", "loyalty", "files", "portal"]


def test_the_order_page_draws_them(client, admin):
    order = OrderFactory(actor=admin)
    client.force_login(admin)
    page = client.get(f"/sales/orders/{order.uuid}/").content.decode()
    assert 'id="panel-files"' in page and 'id="panel-comments"' in page
