"""Record panels: boxes that other apps add to the page of a record they do not own.

A record page (an account, an opportunity, a ticket…) belongs to its app, yet files, comments
and whatever comes later should show on it without that app importing them. An app
contributes a :class:`RecordPanel` to the extension point ``core.record_panels`` in its
contract; every record page draws ``{% record_panels record %}`` (``includes/history.html``),
which adds one placeholder per panel that the user's role may see and that applies to the
record's model. The panel's own view fills it (htmx, on load), checking the record again, so the
record page pays no query for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.urls import reverse
from django.utils.http import urlencode

from vinculo.core import plugins
from vinculo.core.roles import role_has

EXTENSION_POINT = "core.record_panels"


@dataclass(frozen=True)
class RecordPanel:
    """A box on record pages: ``url`` names a view answering the panel's HTML for
    ``?record=<app_label.model:uuid>``; ``models`` lists the record labels it applies to
    (``customers.account``…)."""

    key: str
    url: str  # URL name
    permission: str
    models: tuple[str, ...]
    order: int = 0


def panels() -> list[RecordPanel]:
    return sorted(plugins.contributions(EXTENSION_POINT), key=lambda p: (p.order, p.key))


def for_record(user: Any, record: Any) -> list[dict[str, str]]:
    """The panels ``user`` sees on ``record``'s page: ``{"key", "url"}`` each."""
    meta = getattr(record, "_meta", None)
    if meta is None or not getattr(record, "uuid", None) or user is None:
        return []
    role = getattr(user, "role", None)
    ref = f"{meta.label_lower}:{record.uuid}"  # as core.pickers.related_ref writes it
    return [{"key": panel.key, "url": f"{reverse(panel.url)}?{urlencode({'record': ref})}"}
            for panel in panels()
            if meta.label_lower in panel.models and role_has(role, panel.permission)]
