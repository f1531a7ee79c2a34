"""Operator commands and the production settings profile."""

from __future__ import annotations

import io
import os
import secrets
import subprocess
import sys

import pytest
from django.core.management import CommandError, call_command

from tests.conftest import token_client
from vinculo.core.models import ApiToken, Organization, User


def run_vinculo(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in ("SECRET_KEY", "VINCULO_ENV", "ALLOWED_HOSTS", "DATABASE_URL",
                     "DJANGO_ALLOW_ASYNC_UNSAFE")
    }
    return subprocess.run(
        [sys.executable, "-m", "vinculo.cli", *args],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_profile_passes_the_deploy_check(tmp_path):
    result = run_vinculo(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        env={
            "VINCULO_ENV": "production",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "crm.example.com",
            "VINCULO_DATA_DIR": str(tmp_path),
        },
    )
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    result = run_vinculo(
        "check",
        env={
            "VINCULO_ENV": "production",
            "ALLOWED_HOSTS": "crm.example.com",
            "VINCULO_DATA_DIR": str(tmp_path),
        },
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


@pytest.mark.django_db
def test_createorg_createuser_token():
    out = io.StringIO()
    call_command("createorg", "Ferretería Gómez", "--country", "ES", stdout=out)
    org = Organization.objects.get(name="Ferretería Gómez")
    call_command(
        "createuser",
        "--org",
        "ferretería gómez",
        "--email",
        "Boss@Gomez.es",
        "--password",
        "S3cure-enough!",
        "--role",
        "sales_manager",
        "--team",
        "Norte",
        stdout=out,
    )
    user = User.objects.get(email="boss@gomez.es")
    assert (user.organization, user.role, user.team.name) == (org, "sales_manager", "Norte")
    out = io.StringIO()
    call_command("token", "--email", "boss@gomez.es", stdout=out)
    key = out.getvalue().strip().split()[-1]
    assert ApiToken.objects.get(user=user).key_hash == ApiToken.hash_key(key)
    client = token_client(user)  # another token works too; the printed one must as well
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get("/api/contacts/").status_code == 200


@pytest.mark.django_db
def test_command_errors_are_clear(org):
    with pytest.raises(CommandError, match="already exists"):
        call_command("createorg", org.name)
    with pytest.raises(CommandError, match="No organisation named"):
        call_command(
            "createuser", "--org", "Nope", "--email", "a@b.c", "--password", "x", "--role", "admin"
        )
    with pytest.raises(CommandError, match="No user"):
        call_command("token", "--email", "ghost@nowhere.test")


@pytest.mark.django_db
def test_openapi_schema_and_docs_are_served_without_a_cdn(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert {
        "/api/contacts/",
        "/api/contacts/{uuid}/",
        "/api/leads/{uuid}/convert/",
        "/api/contacts/{uuid}/merge/",
        "/api/audit/",
    } <= set(paths)
    docs = client.get("/api/docs/").content.decode()
    assert "swagger-ui" in docs
    assert "cdn" not in docs.lower() and "https://" not in docs
