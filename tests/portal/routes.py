"""The customer portal's own routes, read from the URL configuration (like
tests/core/test_tenancy.py), shared by the isolation walk and the no-leak walk, so a portal page
added later is walked by both without editing them."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from django.urls import URLPattern

from tests.core.test_tenancy import UUID_KWARG, concrete, view_model, walk

PORTAL = "portal/"
STAFF_OF_PORTAL = "portal/staff/"  # staff's pages under /portal/: the staff walk
SUPPLY = "portal/supply/"  # a supplier's pages: a customer's portal user has none


def portal_routes() -> Iterator[tuple[str, URLPattern]]:
    """Every route of the portal's own pages (not staff's panel under /portal/staff/)."""
    for route, pattern in walk():
        if route.startswith(PORTAL) and not route.startswith(STAFF_OF_PORTAL):
            yield route, pattern


def record_routes() -> Iterator[tuple[str, URLPattern, type | None]]:
    """The portal's pages of one record (a UUID in the URL), with the record's model."""
    for route, pattern in portal_routes():
        if UUID_KWARG.search(route):
            yield route, pattern, view_model(pattern)


def readable_urls(records: Mapping[type, object]) -> Iterator[str]:
    """A URL for every portal page a signed-in portal user can GET: the pages without
    parameters and the record pages filled with ``records[model]`` (a page whose model has no
    record there is skipped). Left out: the token pages of signing in and accepting an
    invitation (a link of an e-mail, not a page of the user's data) and signing out."""
    for route, pattern in portal_routes():
        if pattern.name == "logout":
            continue
        if UUID_KWARG.search(route):
            record = records.get(view_model(pattern))
            if record is not None:
                yield concrete(route, str(record.uuid))
        elif "<" not in route and "(?P" not in route:
            yield concrete(route, "")
