"""Reads of interactions and tasks: timelines, a record's conversation, my day, the calendar."""

from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _

from vinculo.interactions.models import (
    Channel,
    Direction,
    Interaction,
    Task,
    TaskStatus,
)

# Keyed by the plain string an interaction's channel holds (Channel is a str enum).
CHANNEL_ICONS: dict[str, str] = {
    Channel.EMAIL: "✉", Channel.PHONE: "☎", Channel.CHAT: "💬", Channel.FAX: "📠",
    Channel.VISIT: "🤝", Channel.LETTER: "🖂", Channel.WEB_FORM: "🌐", Channel.SOCIAL: "#"}


def for_related(record: Any) -> QuerySet:
    """Interactions about ``record`` (an opportunity, order, ticket…), newest first."""
    return Interaction.objects.filter(
        related_type=ContentType.objects.get_for_model(type(record)), related_id=record.pk
    ).select_related("user", "contact", "email").order_by("-occurred_at", "-id")


def _title(interaction: Interaction) -> str:
    verb = _("from") if interaction.direction == Direction.INBOUND else _("to")
    who = interaction.contact or interaction.account
    label = f"{CHANNEL_ICONS.get(interaction.channel, '')} {interaction.get_channel_display()}"
    if who is not None:
        label = f"{label} {verb} {who}"
    return f"{label}: {interaction.subject}" if interaction.subject else label


def timeline(record: Any, limit: int) -> list[Any]:
    """Interactions with an account or contact, and their open tasks (the 360° timeline)."""
    from vinculo.core.timeline import TimelineItem, of_customer

    rows = of_customer(Interaction.objects.all(), record)
    if rows is None:
        return []
    items = []
    for row in rows.select_related("contact", "account", "user", "email").order_by(
            "-occurred_at", "-id")[:limit]:
        detail = row.notes[:200]
        email = getattr(row, "email", None) if row.channel == Channel.EMAIL else None
        if email is not None and email.transactional:
            detail = f"{_('Transactional')} · {detail}" if detail else _("Transactional")
        if row.user_id:
            detail = f"{row.user} · {detail}" if detail else str(row.user)
        items.append(TimelineItem(row.occurred_at, f"interaction-{row.channel}", _title(row),
                                  reverse("interactions:interaction_detail",
                                          kwargs={"uuid": row.uuid}), detail))
    return items


def open_tasks_for(record: Any, limit: int = 20) -> list[Task]:
    from vinculo.customers.models import Account

    field = "account" if isinstance(record, Account) else "contact"
    return list(Task.objects.filter(**{field: record}, status=TaskStatus.OPEN)
                .select_related("assignee").order_by("due_at", "id")[:limit])


# ---- public web forms -----------------------------------------------------------------------


def web_form_public_url(form: Any) -> str:
    """Where visitors find ``form`` (a page of its own, also shown inside an iframe)."""
    from django.conf import settings

    return settings.SITE_URL + reverse("public_web_form", kwargs={"uuid": form.uuid})


def web_form_embed(form: Any) -> str:
    """The HTML an organisation pastes into a page of its site to show ``form``."""
    from django.utils.html import format_html

    return str(format_html('<iframe src="{}" title="{}" loading="lazy" '
                           'style="width: 100%; min-height: 42rem; border: 0"></iframe>',
                           web_form_public_url(form), form.name))
