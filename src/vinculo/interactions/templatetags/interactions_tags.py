"""Template tags for pages of lower apps that show interactions (the 360° timeline)."""

from __future__ import annotations

from typing import Any

from django import template

from vinculo.interactions.models import Channel

register = template.Library()

LOG_CHANNELS = (Channel.PHONE, Channel.VISIT, Channel.EMAIL, Channel.CHAT, Channel.LETTER,
                Channel.FAX)


@register.simple_tag
def log_channels() -> list[tuple[str, str]]:
    """The channels offered as one-click buttons to log a contact."""
    return [(c.value, c.label) for c in LOG_CHANNELS]


@register.simple_tag
def open_tasks(record: Any) -> list[Any]:
    from vinculo.interactions.selectors import open_tasks_for

    return open_tasks_for(record)


@register.filter
def detail_url(record: Any) -> str:
    """The page of a record, by the convention ``<app>:<model>_detail``; '' when none."""
    from django.urls import NoReverseMatch, reverse

    meta = getattr(record, "_meta", None)
    if meta is None or not getattr(record, "uuid", None):
        return ""
    try:
        return reverse(f"{meta.app_label}:{meta.model_name}_detail",
                       kwargs={"uuid": record.uuid})
    except NoReverseMatch:
        return ""


@register.inclusion_tag("interactions/_related.html", takes_context=True)
def related_interactions(context: Any, record: Any, limit: int = 20) -> dict[str, Any]:
    """The contacts about a record (an opportunity, an order, a lead…), newest first, with a
    link to log another one about it."""
    from vinculo.core.pickers import related_ref
    from vinculo.interactions.selectors import for_related

    rows = list(for_related(record)[:limit])
    contact = getattr(record, "contact", None) if not hasattr(record, "email") else None
    account = getattr(record, "account", None)
    return {"rows": rows, "ref": related_ref(record), "can": context.get("can", {}),
            "contact": contact, "account": account}
