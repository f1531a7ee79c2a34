"""The global search: one selector for the search box and its API (``/api/search/``).

The groups come from every app's ``Contract.search`` providers that the user's role may read;
each provider's search applies the organisation's scope and the record rules (a sales
representative finds only the records they may open).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.urls import reverse

from vinculo.core import plugins
from vinculo.core.models import User
from vinculo.core.roles import role_has

SEARCH_LIMIT = 10


@dataclass
class SearchGroup:
    """One provider's results: its key and label, how a page draws a record, the records."""

    key: str
    label: Any
    template: str
    detail_url: str
    records: list[Any] = field(default_factory=list)

    def url(self, record: Any) -> str:
        """The page of ``record`` (its detail URL by UUID), or "" when the provider has none."""
        return reverse(self.detail_url, kwargs={"uuid": record.uuid}) if self.detail_url else ""


def global_search(user: User, query: str, limit: int = SEARCH_LIMIT) -> list[SearchGroup]:
    """The groups of the global search for ``query`` (none for an empty query)."""
    # Control characters are never part of a name, e-mail or phone (and PostgreSQL refuses a
    # NUL in a query): they separate words like spaces.
    query = " ".join("".join(ch if ch.isprintable() else " " for ch in query or "").split())
    if not query:
        return []
    return [
        SearchGroup(provider.key, provider.label, provider.template, provider.detail_url,
                    list(plugins.resolve(provider.search)(user, query, limit)))
        for provider in sorted(plugins.collect("search"), key=lambda p: p.order)
        if role_has(user.role, provider.permission)
    ]
