"""Log in and out, password reset through a real SMTP server, argon2, throttling, API tokens."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.hashers import identify_hasher

from tests.conftest import IMMEDIATE_TASKS, PASSWORD, make_user
from tests.smtp import smtp_server
from vinculo import settings as project_settings
from vinculo.core.models import ApiToken


def test_argon2_is_the_production_hasher():
    assert project_settings.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")


@pytest.mark.django_db
def test_passwords_are_stored_with_argon2(org, settings):
    settings.PASSWORD_HASHERS = project_settings.PASSWORD_HASHERS
    user = make_user(org, "analyst", "argon@acme.test")
    assert identify_hasher(user.password).algorithm == "argon2"
    assert user.check_password(PASSWORD)


@pytest.mark.django_db
def test_login_and_logout(client, admin):
    response = client.post("/login/", {"username": admin.email, "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/customers/contacts/").status_code == 200
    client.post("/logout/")
    assert client.get("/customers/contacts/").status_code == 302


@pytest.mark.django_db
def test_failed_logins_are_throttled(client, admin, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert (
            client.post("/login/", {"username": admin.email, "password": "wrong"}).status_code
            == 200
        )
    assert client.post("/login/", {"username": admin.email, "password": "wrong"}).status_code == 429
    locked = client.post("/login/", {"username": admin.email, "password": PASSWORD})
    assert locked.status_code == 429  # even the right password, until the cool-off ends
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_password_reset_by_email_through_smtp(client, admin, settings,
                                              django_capture_on_commit_callbacks):
    with smtp_server() as (port, inbox), django_capture_on_commit_callbacks(execute=True):
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
        settings.TASKS = IMMEDIATE_TASKS  # the queued e-mail is sent at once
        response = client.post("/password-reset/", {"email": admin.email})
        assert response.status_code == 302
        client.post("/password-reset/", {"email": "nobody@nowhere.test"})
    assert len(inbox) == 1
    message = inbox[0]
    assert message["To"] == admin.email
    body = message.get_payload(decode=True).decode()
    link = re.search(r"http://testserver(/reset/\S+/)", body).group(1)
    form = client.get(link, follow=True)
    assert form.status_code == 200
    set_password_url = form.redirect_chain[-1][0]
    done = client.post(
        set_password_url, {"new_password1": "N3w-Pass-phrase!", "new_password2": "N3w-Pass-phrase!"}
    )
    assert done.status_code == 302
    admin.refresh_from_db()
    assert admin.check_password("N3w-Pass-phrase!")


@pytest.mark.django_db
def test_tokens_can_be_created_listed_and_revoked(client, admin):
    client.force_login(admin)
    created = client.post("/api/tokens/", {"name": "integration"}, content_type="application/json")
    assert created.status_code == 201
    key, token_id = created.json()["key"], created.json()["id"]
    assert ApiToken.objects.get(uuid=token_id).key_hash == ApiToken.hash_key(key)
    assert key not in str(list(ApiToken.objects.values()))  # only the hash is stored

    auth = {"HTTP_AUTHORIZATION": f"Token {key}"}
    assert client.get("/api/contacts/", **auth).status_code == 200
    listed = client.get("/api/tokens/").json()["results"]
    assert [t["name"] for t in listed] == ["integration"]
    assert all(t["key"] is None for t in listed)

    assert client.delete(f"/api/tokens/{token_id}/").status_code == 200
    client.logout()
    assert client.get("/api/contacts/", **auth).status_code == 401


@pytest.mark.django_db
def test_tokens_page_creates_and_revokes(client, admin):
    client.force_login(admin)
    page = client.post("/settings/tokens/", {"name": "zapier"}).content.decode()
    key = re.search(r'<code id="new-token">([^<]+)</code>', page).group(1)
    token = ApiToken.objects.get(name="zapier")
    assert token.key_hash == ApiToken.hash_key(key)
    client.post(f"/settings/tokens/{token.uuid}/revoke/")
    token.refresh_from_db()
    assert token.revoked_at is not None
