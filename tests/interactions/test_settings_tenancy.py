"""Another organisation's administrator finds none of our e-mail and web-form settings: 404 on
every page and endpoint with a UUID (the generic walk of tests/core/test_tenancy.py, limited
to these models so that it stands on its own), and nothing in the lists."""

from __future__ import annotations

import pytest

from tests.conftest import token_client
from tests.core.test_tenancy import (
    UUID_KWARG,
    _snapshot,
    concrete,
    is_public,
    settings_records,
    view_model,
    walk,
)
from vinculo.interactions.models import EmailTemplate, Mailbox, WebForm


def walk_as_another_organisation(records: dict, other_admin, client) -> list[str]:
    """Every route with a UUID whose view serves one of ``records``' models, tried with every
    method as ``other_admin``: each must answer 404 (or 405) and change nothing."""
    api = token_client(other_admin)
    client.force_login(other_admin)
    before = _snapshot(records)
    checked = []
    for route, pattern in walk():
        if not UUID_KWARG.search(route) or is_public(pattern):
            continue
        model = view_model(pattern)
        if model not in records:
            continue
        url = concrete(route, str(records[model].uuid))
        is_api = route.startswith("api/")
        for method in ("get", "put", "patch", "delete", "post") if is_api else ("get", "post"):
            response = (getattr(api, method)(url, {"version": 1}, format="json") if is_api
                        else getattr(client, method)(url))
            assert response.status_code in (404, 405), (method, url, response.status_code)
        checked.append(url)
    assert _snapshot(records) == before
    return checked


def lists_show_nothing(records: dict, other_admin, client, urls: list[str]) -> None:
    api = token_client(other_admin)
    client.force_login(other_admin)
    for url in urls:
        response = (api if url.startswith("/api/") else client).get(url)
        assert response.status_code == 200, url
        assert "Zafiro" not in response.content.decode(), url


@pytest.mark.django_db
def test_another_organisation_finds_none_of_our_mailboxes_templates_or_forms(admin, other_admin,
                                                                             client):
    records = {model: record for model, record in settings_records(admin).items()
               if model in (Mailbox, EmailTemplate, WebForm)}
    checked = walk_as_another_organisation(records, other_admin, client)
    uuids = {str(r.uuid) for r in records.values()}
    assert len(checked) >= 10
    assert {u for u in uuids if any(u in url for url in checked)} == uuids
    lists_show_nothing(records, other_admin, client, [
        "/interactions/settings/mailboxes/", "/interactions/settings/templates/",
        "/interactions/settings/forms/", "/api/mailboxes/", "/api/email-templates/",
        "/api/web-forms/"])
