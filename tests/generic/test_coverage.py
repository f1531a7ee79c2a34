"""Every API endpoint over records and every record page is declared for the generic suites:
a new one without a declaration fails here, so it cannot skip its role matrix, record-level
rule, version rule, audit and query-count baseline."""

from __future__ import annotations

import importlib

from tests.core.test_tenancy import UUID_KWARG, walk
from tests.generic import ApiSuite, PageSuite

APPS = ("core", "customers", "catalog", "sales", "billing", "interactions", "service",
        "attachments")

#: API routes with a UUID that are not a record's CRUD, and where they are checked instead.
NOT_DECLARED_API = {
    "analytics-account": "the snapshots of an account: a probe in tests/core/test_generic.py",
}


def declared() -> tuple[set[str], set[str]]:
    apis: set[str] = set()
    pages: set[str] = set()
    for app in APPS:
        module = importlib.import_module(f"tests.{app}.test_generic")
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, ApiSuite) and value is not ApiSuite:
                apis.add(value.api.basename)
            if isinstance(value, type) and issubclass(value, PageSuite) and value is not PageSuite:
                page = value.page
                pages.update(name.split(":")[-1] for name in (page.detail, page.edit) if name)
    return apis, pages


def test_every_api_endpoint_over_records_is_declared():
    apis, _pages = declared()
    missing = set()
    for route, pattern in walk():
        if route.startswith("api/") and UUID_KWARG.search(route) and pattern.name.endswith(
                "-detail"):
            basename = pattern.name.removesuffix("-detail")
            if basename not in apis and basename not in NOT_DECLARED_API:
                missing.add(basename)
    assert not missing, f"declare these endpoints in tests/<app>/test_generic.py: {missing}"


def test_every_record_page_is_declared():
    _apis, pages = declared()
    missing = {pattern.name for route, pattern in walk()
               if not route.startswith("api/") and UUID_KWARG.search(route)
               and pattern.name.endswith(("_detail", "_update")) and pattern.name not in pages}
    assert not missing, f"declare these pages in tests/<app>/test_generic.py: {missing}"
