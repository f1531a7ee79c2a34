"""The contact's 360° page stays within its query budget with memberships, consents and tags.
(The lists' and details' baselines are the generic suites': tests/query_counts.json.)"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.core.factories import as_user
from tests.customers.factories import AccountFactory, ContactFactory, LeadFactory
from vinculo.customers import services


def _fill(admin, n: int) -> None:
    account = AccountFactory(actor=admin, name="Base SA")
    for i in range(n):
        contact = ContactFactory(actor=admin, tags=["vip", f"t{i % 3}"])
        with as_user(admin):
            services.contact_link_account(actor=admin, contact=contact, account=account)
            services.consent_record(actor=admin, contact=contact, channel="email", granted=True)
        AccountFactory(actor=admin, tags=["x"])
        LeadFactory(actor=admin, tags=["y"])


def _count(client, url: str) -> int:
    """Queries of the page in a warm process: the first request fills the per-process caches
    (content types), whatever tests ran before in this worker."""
    assert client.get(url).status_code == 200
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.django_db
def test_contact_360_page_query_budget(admin, client):
    client.force_login(admin)
    _fill(admin, 5)
    contact = ContactFactory(actor=admin)
    assert _count(client, f"/customers/contacts/{contact.uuid}/") <= 20
