"""Error answers: a page number no database can take, one-line 403s, JSON for every /api/
error, the product's own 404 and 500 pages."""

from __future__ import annotations

import pytest

from tests.customers.factories import AccountFactory

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
