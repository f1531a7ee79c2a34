"""The generic API and page suites for webhook subscriptions, their delivery log and
integration keys (administrators only; the suites derive the other roles' 403 from roles.py)."""

from __future__ import annotations

import itertools

import pytest

from tests.core.factories import as_user
from tests.generic import Api, ApiSuite, Call, Page, PageSuite
from vinculo.integrations import services

MANAGE = "integrations.manage"
_n = itertools.count(1)
URL = "http://127.0.0.1:9/hook"  # nothing is sent: no worker runs in these tests


@pytest.fixture(autouse=True)
def _local_targets(settings):
    """The administrator's allowance for a loopback target, stated here."""
    settings.VINCULO_WEBHOOK_ALLOW_PRIVATE = True


def subscription(admin, owner):
    with as_user(admin):
        row, _secret = services.subscription_create(actor=admin, data={
            "name": f"ERP {next(_n)}", "url": URL, "events": ["account.created"]})
    return row


def delivery(admin, owner):
    with as_user(admin):
        return services.subscription_ping(actor=admin, subscription=subscription(admin, owner))


def key(admin, owner):
    with as_user(admin):
        row, _clear = services.integration_key_create(actor=admin, data={
            "name": f"Clave {next(_n)}", "scopes": {"customers": "read"}})
    return row


class TestWebhookApi(ApiSuite):
    api = Api("webhook", "integrations", subscription, delete=True,
              create=lambda admin, user: {"name": "Almacén", "url": URL,
                                          "events": ["invoice.paid", "order.created"]},
              update=lambda record: {"events": ["ticket.created"]},
              calls=(Call("pause", MANAGE, audit_rows=1),
                     Call("rotate-secret", MANAGE, audit_rows=1),
                     Call("ping", MANAGE, ok=202, audit_rows=0)))


class TestWebhookDeliveryApi(ApiSuite):
    api = Api("webhookdelivery", "integrations", delivery, versioned=False,
              calls=(Call("replay", MANAGE, ok=202, audit_rows=0),))


class TestIntegrationKeyApi(ApiSuite):
    api = Api("integrationkey", "integrations", key, versioned=False, delete=True,
              delete_status=200,
              create=lambda admin, user: {"name": "Almacén", "scopes": {"sales": "write"}})


class TestWebhookPages(PageSuite):
    page = Page("webhook", "integrations", subscription, list="integrations:webhook_list",
                detail="integrations:webhook", create="integrations:webhook_create",
                permissions={"list": MANAGE, "detail": MANAGE, "create": MANAGE})


class TestKeyPages(PageSuite):
    page = Page("integrationkey", "integrations", key, list="integrations:key_list",
                permissions={"list": MANAGE}, marker=lambda record: record.prefix)
