"""Integration keys (scopes, expiry, revocation, the organisation, the audit log) and the
webhook API's and pages' refusals: bad input named by field, another organisation's 404."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from tests.core.factories import as_user
from tests.customers.factories import AccountFactory
from vinculo.core.models import AuditEntry, User
from vinculo.integrations import services
from vinculo.integrations.models import IntegrationKey, WebhookSubscription

pytestmark = pytest.mark.django_db


def key_client(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


def make_key(admin, scopes, **extra):
    with as_user(admin):
        return services.integration_key_create(actor=admin, data={
            "name": "ERP", "scopes": scopes, **extra})


def test_a_key_is_shown_once_and_stored_hashed(api):
    response = api.post("/api/integration-keys/", {
        "name": "Almacén", "scopes": {"customers": "read"}}, format="json")
    assert response.status_code == 201
    clear = response.json()["key"]
    assert clear.startswith("vk_")
    key = IntegrationKey.all_objects.get()
    assert key.key_hash == IntegrationKey.hash_key(clear) and clear not in key.key_hash
    listed = api.get("/api/integration-keys/").json()["results"]
    assert listed[0]["key"] is None and listed[0]["prefix"] == clear[:11]
    assert not User.objects.filter(email=key.user.email, is_active=True).exists()


def test_scopes_read_only_gets_403_on_writes_and_read_write_writes(admin):
    _key, read_only = make_key(admin, {"customers": "read"})
    client = key_client(read_only)
    assert client.get("/api/accounts/").status_code == 200
    assert client.post("/api/accounts/", {"name": "No SA"}, format="json").status_code == 403
    assert client.get("/api/opportunities/").status_code == 403  # a domain it was not given
    _key, writer = make_key(admin, {"customers": "write"})
    response = key_client(writer).post("/api/accounts/", {"name": "Integrada SA"},
                                       format="json")
    assert response.status_code == 201, response.json()


def test_the_audit_log_names_the_key(admin):
    key, clear = make_key(admin, {"customers": "write"})
    response = key_client(clear).post("/api/accounts/", {"name": "Auditada SA"}, format="json")
    assert response.status_code == 201
    entry = AuditEntry.all_objects.filter(object_type="customers.account").latest("id")
    assert entry.actor_id == key.user_id
    assert "ERP" in entry.actor_label and key.prefix in entry.actor_label
    key.refresh_from_db()
    assert key.last_used_at is not None


def test_a_key_cannot_reach_keys_webhooks_people_or_personal_tokens(admin):
    _key, clear = make_key(admin, {name: "write" for name in services.scope_domains()})
    client = key_client(clear)
    for path in ("/api/integration-keys/", "/api/webhooks/", "/api/tokens/"):
        assert client.get(path).status_code == 403, path
    # the staff list is read under customers.view (pickers); managing people is core's
    assert client.post("/api/users/", {"email": "x@acme.test", "role": "admin"},
                       format="json").status_code == 403
    assert client.post("/api/integration-keys/", {"name": "x", "scopes": {
        "customers": "write"}}, format="json").status_code == 403
    assert "core" not in services.scope_domains()


def test_expired_and_revoked_keys_get_401(admin):
    key, clear = make_key(admin, {"customers": "read"},
                          expires_at=timezone.now() + dt.timedelta(hours=1))
    client = key_client(clear)
    assert client.get("/api/accounts/").status_code == 200
    IntegrationKey.all_objects.filter(pk=key.pk).update(
        expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert client.get("/api/accounts/").status_code == 401
    key2, clear2 = make_key(admin, {"customers": "read"})
    with as_user(admin):
        services.integration_key_revoke(actor=admin, key=key2)
    assert key_client(clear2).get("/api/accounts/").status_code == 401
    assert key_client("vk_madeup").get("/api/accounts/").status_code == 401


def test_a_key_sees_only_its_organisation(admin, other_admin):
    with as_user(other_admin):
        foreign = AccountFactory(actor=other_admin, name="Ajena SA")
    _key, clear = make_key(admin, {"customers": "write"})
    client = key_client(clear)
    assert client.get(f"/api/accounts/{foreign.uuid}/").status_code == 404
    assert "Ajena" not in client.get("/api/accounts/").content.decode()


@pytest.mark.parametrize(("payload", "field"), [
    ({"name": "x", "url": "not a url", "events": ["account.created"]}, "url"),
    ({"name": "x", "url": "ftp://example.com/", "events": ["account.created"]}, "url"),
    ({"name": "x", "url": "https://example.com/", "events": ["nope.never"]}, "events"),
    ({"name": "x", "url": "https://example.com/", "events": []}, "events"),
    ({"url": "https://example.com/", "events": ["account.created"]}, "name"),
])
def test_bad_subscription_input_is_a_400_naming_the_field(api, payload, field, settings):
    settings.VINCULO_WEBHOOK_ALLOW_PRIVATE = True  # the field errors do not hang on DNS
    response = api.post("/api/webhooks/", payload, format="json")
    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert not WebhookSubscription.all_objects.exists()


def test_bad_key_input_is_a_400_naming_the_field(api):
    for payload, field in (({"name": "x", "scopes": {"core": "write"}}, "scopes"),
                           ({"name": "x", "scopes": {"customers": "admin"}}, "scopes"),
                           ({"name": "x", "scopes": {}}, "scopes"),
                           ({"name": "x", "scopes": {"customers": "read"},
                             "expires_at": "2001-01-01T00:00:00Z"}, "expires_at")):
        response = api.post("/api/integration-keys/", payload, format="json")
        assert response.status_code == 400 and field in response.json(), response.json()
    assert not IntegrationKey.all_objects.exists()


def test_the_page_names_the_bad_field(page):
    response = page.post("/integrations/webhooks/new/", {
        "name": "x", "url": "http://10.0.0.7/", "events": ["account.created"]})
    assert response.status_code == 400
    assert "internal network" in response.content.decode()
    assert not WebhookSubscription.all_objects.exists()


def test_the_secret_is_shown_once_on_the_page(page, settings):
    settings.VINCULO_WEBHOOK_ALLOW_PRIVATE = True
    response = page.post("/integrations/webhooks/new/", {
        "name": "CRM", "url": "http://127.0.0.1:9/", "events": ["account.created"]})
    body = response.content.decode()
    assert response.status_code == 200 and "whsec_" in body
    subscription = WebhookSubscription.all_objects.get()
    assert "whsec_" not in subscription.secret  # stored encrypted
    assert "whsec_" not in page.get(f"/integrations/webhooks/{subscription.uuid}/").content.decode()


def test_only_administrators_manage_integrations(users, client):
    from vinculo.core.roles import Role

    client.force_login(users[Role.SALES_MANAGER])
    assert client.get("/integrations/webhooks/").status_code == 403
    assert client.get("/integrations/keys/").status_code == 403


def test_another_organisation_gets_404(admin, other_admin, client, settings):
    from tests.conftest import token_client

    settings.VINCULO_WEBHOOK_ALLOW_PRIVATE = True
    with as_user(admin):
        subscription, _ = services.subscription_create(actor=admin, data={
            "name": "A", "url": "http://127.0.0.1:9/", "events": ["account.created"]})
        row = services.subscription_ping(actor=admin, subscription=subscription)
    key, _clear = make_key(admin, {"customers": "read"})
    other = token_client(other_admin)
    for url in (f"/api/webhooks/{subscription.uuid}/", f"/api/webhook-deliveries/{row.uuid}/",
                f"/api/integration-keys/{key.uuid}/"):
        assert other.get(url).status_code == 404
        assert other.delete(url).status_code in (404, 405)
    assert other.get("/api/webhooks/").json()["results"] == []
    assert other.get("/api/webhook-deliveries/").json()["results"] == []
    client.force_login(other_admin)
    assert client.get(f"/integrations/webhooks/{subscription.uuid}/").status_code == 404
    assert client.post(f"/integrations/keys/{key.uuid}/revoke/").status_code == 404
    assert client.post(f"/integrations/deliveries/{row.uuid}/replay/").status_code == 404
    key.refresh_from_db()
    assert key.revoked_at is None
