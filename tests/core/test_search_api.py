"""GET /api/search/: the global search box's results through the API — the same selector, the
same permissions and record rules, described in the schema (tests/openapi.py checks it)."""

from __future__ import annotations

import dataclasses

import pytest
from django.apps import apps
from rest_framework.test import APIClient

from tests.conftest import token_client
from tests.customers.factories import AccountFactory, ContactFactory, LeadFactory
from vinculo.core.audit import acting_as
from vinculo.core.plugins import SearchProvider
from vinculo.core.roles import Role
from vinculo.core.search import global_search
from vinculo.core.tenancy import organization_scope

pytestmark = pytest.mark.django_db


@pytest.fixture
def records(users):
    admin, rep = users[Role.ADMIN], users["sales_rep_south"]
    with organization_scope(admin.organization), acting_as(admin):
        theirs = AccountFactory(actor=admin, name="Zafiro Azul SL")
        ContactFactory(actor=admin, first_name="Zoe", last_name="Zafiro")
        lead = LeadFactory(actor=admin, first_name="Zafiro", company_name="Zafiro Lead SA")
    with organization_scope(rep.organization), acting_as(rep):
        mine = AccountFactory(actor=rep, name="Zafiro Verde SL")
    return theirs, mine, lead


def names(body: dict) -> dict[str, list[str]]:
    return {group["key"]: [r["name"] for r in group["results"]] for group in body["groups"]}


def test_the_api_answers_what_the_search_box_shows(users, records, client):
    admin = users[Role.ADMIN]
    body = token_client(admin).get("/api/search/", {"q": "zafiro"}).json()
    assert body["query"] == "zafiro"
    assert names(body) == {"accounts": ["Zafiro Azul SL", "Zafiro Verde SL"],
                           "contacts": ["Zoe Zafiro"],
                           "leads": [str(records[2])]}
    with organization_scope(admin.organization):
        expected = {g.key: [str(r) for r in g.records] for g in global_search(admin, "zafiro")}
    assert names(body) == expected
    client.force_login(admin)
    page = client.get("/search/", {"q": "zafiro"}).content.decode()
    for group in body["groups"]:
        for result in group["results"]:
            assert result["name"] in page and result["url"] in page
            assert client.get(result["url"]).status_code == 200


def test_a_representative_finds_only_the_records_they_may_open(users, records, client):
    rep = users["sales_rep_south"]
    body = token_client(rep).get("/api/search/", {"q": "zafiro"}).json()
    assert names(body)["accounts"] == ["Zafiro Verde SL"]
    assert names(body)["contacts"] == []
    client.force_login(rep)
    page = client.get("/search/", {"q": "zafiro"}).content.decode()
    assert "Zafiro Verde SL" in page and "Zafiro Azul SL" not in page


def test_another_organisation_finds_nothing_of_ours(records, other_admin):
    body = token_client(other_admin).get("/api/search/", {"q": "zafiro"}).json()
    assert all(group["results"] == [] for group in body["groups"])


def test_a_group_is_answered_only_to_roles_holding_its_permission(users, records, monkeypatch):
    config = apps.get_app_config("catalog")
    monkeypatch.setattr(config, "contract", dataclasses.replace(config.contract, search=(
        SearchProvider("probe", "Probe", "vinculo.customers.selectors.search_accounts",
                       "customers/search/account.html", "catalog.add"),)))
    admin_groups = names(token_client(users[Role.ADMIN]).get("/api/search/", {"q": "zafiro"})
                         .json())
    marketing_groups = names(token_client(users[Role.MARKETING]).get(
        "/api/search/", {"q": "zafiro"}).json())
    assert "probe" in admin_groups and "probe" not in marketing_groups


def test_an_empty_query_finds_nothing_and_strangers_are_refused(users):
    assert token_client(users[Role.ADMIN]).get("/api/search/", {"q": "  "}).json() == {
        "query": "", "groups": []}
    assert APIClient().get("/api/search/", {"q": "zafiro"}).status_code in (401, 403)


def test_control_characters_in_the_query_are_not_a_server_error(users, records, client):
    body = token_client(users[Role.ADMIN]).get("/api/search/", {"q": "zafiro\x00"}).json()
    assert names(body)["accounts"] == ["Zafiro Azul SL", "Zafiro Verde SL"]
    client.force_login(users[Role.ADMIN])
    assert client.get("/search/", {"q": "\x00\x1b"}).status_code == 200


def test_a_search_that_finds_nothing_says_what_to_try(users, records, client):
    """Three "Nothing found." and no way forward: the page now says what the box searches."""
    client.force_login(users[Role.ADMIN])
    empty = client.get("/search/", {"q": "qqzzxx"}).content.decode()
    assert 'data-testid="search-hint"' in empty and "Try part of a name" in empty
    found = client.get("/search/", {"q": "zafiro"}).content.decode()
    assert 'data-testid="search-hint"' not in found
