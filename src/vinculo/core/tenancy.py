"""Organisation scope: tenant data can be read only with an organisation in scope.

Built on django-scopes: the default manager of every tenant model refuses to query (raises
``ScopeError``) until a scope is active, so a forgotten filter fails closed instead of
returning every organisation's rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from django_scopes import ScopeError, get_scope, scope, scopes_disabled

if TYPE_CHECKING:
    from vinculo.core.models import Organization

__all__ = ["ScopeError", "current_organization_id", "organization_scope", "scopes_disabled"]


@contextmanager
def organization_scope(organization: Organization | int) -> Iterator[None]:
    """Run the block with ``organization``'s rows, and only those, visible."""
    org_id = organization if isinstance(organization, int) else organization.pk
    if org_id is None:
        raise ScopeError("An organisation scope needs a saved organisation.")
    with scope(organization=org_id):
        yield


def current_organization_id() -> int | None:
    value = get_scope().get("organization")
    return value if isinstance(value, int) else None
