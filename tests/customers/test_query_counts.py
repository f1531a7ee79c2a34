"""Query-count baselines: a list costs the same number of queries for 3 rows or 30 (no N+1)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests import factories
from vinculo.customers import services


def _fill(admin, n: int) -> None:
    account = factories.account(admin, name="Base SA")
    for i in range(n):
        contact = factories.contact(admin, tags=["vip", f"t{i % 3}"])
        with factories.as_user(admin):
            services.contact_link_account(actor=admin, contact=contact, account=account)
            services.consent_record(actor=admin, contact=contact, channel="email", granted=True)
        factories.account(admin, tags=["x"])
        factories.lead(admin, tags=["y"])


def _count(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/api/contacts/", "/api/accounts/", "/api/leads/",
                                 "/customers/contacts/", "/customers/accounts/",
                                 "/customers/leads/"])
def test_lists_do_not_grow_with_rows(admin, api, client, url):
    client.force_login(admin)
    caller = api if url.startswith("/api/") else client
    _fill(admin, 3)
    caller.get(url)  # the token's last-used stamp is written at most once a minute
    small = _count(caller, url)
    _fill(admin, 27)
    assert _count(caller, url) == small
    assert small <= 12  # the committed baseline: session/token, user, page, prefetches


@pytest.mark.django_db
def test_contact_360_page_query_budget(admin, client):
    client.force_login(admin)
    _fill(admin, 5)
    contact = factories.contact(admin)
    assert _count(client, f"/customers/contacts/{contact.uuid}/") <= 20
