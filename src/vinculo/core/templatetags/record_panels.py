"""``{% record_panels record %}``: the boxes other apps add to a record's page
(``core/record_panels.py``)."""

from __future__ import annotations

from typing import Any

from django import template

from vinculo.core import record_panels as registry

register = template.Library()


@register.inclusion_tag("includes/record_panels.html", takes_context=True)
def record_panels(context: Any, record: Any) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    return {"panels": registry.for_record(user, record)}
