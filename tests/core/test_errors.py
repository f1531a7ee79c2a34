"""Error answers: a page number no database can take, one-line 403s, JSON for every /api/
error, the product's own 404 and 500 pages."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import translation

import vinculo
from tests.customers.factories import AccountFactory
from vinculo.core.errors import server_error
from vinculo.core.roles import Role
from vinculo.customers.api import AccountViewSet

HUGE = str(2**63)


@pytest.mark.django_db
@pytest.mark.parametrize("number", [HUGE, "9" * 40, "0", "-3", "abc", "1.5"])
def test_a_page_number_beyond_the_database_or_not_positive_is_a_404(api, page, admin, number):
    AccountFactory(actor=admin, name="Única SA")
    answer = api.get(f"/api/accounts/?page={number}")
    assert answer.status_code == 404, answer.content
    assert answer["Content-Type"].startswith("application/json")
    for url in (f"/customers/accounts/?page={number}", f"/audit/?page={number}"):
        assert page.get(url).status_code == 404, url
    assert api.get("/api/accounts/?page=1").status_code == 200
    assert page.get("/customers/accounts/").status_code == 200


@pytest.mark.django_db
def test_an_ordinary_403_is_logged_as_one_line(client, users, caplog):
    client.force_login(users[Role.READ_ONLY])
    with caplog.at_level(logging.WARNING, logger="django.request"):
        refused = client.get("/audit/")
    assert refused.status_code == 403 and "Not allowed" in refused.content.decode()
    records = [r for r in caplog.records if r.name == "django.request"]
    assert len(records) == 1, records
    assert records[0].exc_info is None and records[0].exc_text is None
    assert "Forbidden" in records[0].getMessage() and "/audit/" in records[0].getMessage()


def _json_error(response, status: int) -> dict:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = json.loads(response.content)
    assert isinstance(body["detail"], str) and body["detail"]
    return body


@pytest.mark.django_db
def test_every_api_error_in_production_is_json(api, settings, monkeypatch):
    settings.DEBUG = False
    _json_error(api.get("/api/no-such-endpoint/"), 404)
    _json_error(api.get("/api/accounts/", HTTP_HOST="evil.example"), 400)
    _json_error(api.put("/api/accounts/", {}, format="json"), 405)

    def broken(*args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(AccountViewSet, "get_queryset", broken)
    # A 500 is in no operation's description: ask without the schema check of conftest.
    monkeypatch.setattr(Client, "request", Client.request.__wrapped__)
    api.raise_request_exception = False
    body = _json_error(api.get("/api/accounts/"), 500)
    assert "database went away" not in body["detail"]


@pytest.mark.django_db
def test_page_errors_in_production_stay_pages(page, settings):
    settings.DEBUG = False
    missing = page.get("/customers/no-such-page/")
    assert missing.status_code == 404 and missing["Content-Type"].startswith("text/html")


@pytest.mark.django_db
def test_the_404_page_is_the_products_own_and_translated(page, client, settings):
    settings.DEBUG = False
    missing = page.get("/customers/no-such-page/")
    assert missing.status_code == 404
    html = missing.content.decode()
    assert 'class="navbar-brand"' in html and "vinculo/vinculo.css" in html
    assert 'rel="icon"' in html and "vinculo/favicon.svg" in html
    assert "Page not found" in html and 'href="/"' in html
    client.logout()
    spanish = client.get("/customers/no-such-page/", HTTP_ACCEPT_LANGUAGE="es")
    assert spanish.status_code == 404 and "Página no encontrada" in spanish.content.decode()


def test_the_500_page_renders_without_a_database(rf, settings):
    """No ``db`` mark: any query here fails the test."""
    settings.DEBUG = False
    with translation.override("en"):
        answer = server_error(rf.get("/customers/accounts/"))
    assert answer.status_code == 500
    html = answer.content.decode()
    assert "vinculo/vinculo.css" in html and "vinculo/favicon.svg" in html
    assert "Something went wrong" in html
    with translation.override("es"):
        assert "Algo ha ido mal" in server_error(rf.get("/")).content.decode()


def test_base_links_the_favicon_and_it_is_served():
    base = (Path(vinculo.__file__).parent / "templates" / "base.html").read_text()
    assert "{% static 'vinculo/favicon.svg' %}" in base and 'rel="icon"' in base
    assert finders.find("vinculo/favicon.svg")


def test_the_trial_profile_shows_the_products_error_pages_not_djangos_debug_pages(tmp_path):
    """Someone trying Vínculo with nothing set (the README's `make run`) gets the product's
    404 page; Django's technical page (settings, URL patterns) needs DEBUG=1 asked for."""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "VINCULO_ENV")}
    env.update(VINCULO_DATA_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="vinculo.settings")
    probe = "from django.conf import settings; print(settings.DEBUG)"
    run = [sys.executable, "-c", f"import django; django.setup(); {probe}"]
    assert subprocess.run(run, env=env, capture_output=True, text=True,
                          check=True).stdout.strip() == "False"
    asked = subprocess.run(run, env={**env, "DEBUG": "1"}, capture_output=True, text=True,
                           check=True)
    assert asked.stdout.strip() == "True"


def test_a_service_error_without_a_form_field_shows_no_internal_key():
    """A quote saved without lines said "lines: Add at least one line.": the service's key is
    not a word for people; a model field's own label is."""
    from django import forms as django_forms

    from vinculo.core.forms import CustomFieldForm, apply_service_errors

    plain = django_forms.Form(data={})
    plain.is_valid()
    apply_service_errors(plain, ValidationError({"lines": "Add at least one line."}))
    assert plain.non_field_errors() == ["Add at least one line."]

    with translation.override("es"):
        model_form = CustomFieldForm(data={})
        model_form.is_valid()
        model_form.errors.clear()
        apply_service_errors(model_form, ValidationError({"choices": "No vale."}))
        assert model_form.non_field_errors() == ["Opciones: No vale."]
