"""Reads of interactions and tasks: timelines, a record's conversation, my day, the calendar."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from vinculo.core.models import User
from vinculo.interactions.models import (
    CalendarFeed,
    Channel,
    Direction,
    Interaction,
    Task,
    TaskStatus,
)

CHANNEL_ICONS = {Channel.EMAIL: "✉", Channel.PHONE: "☎", Channel.CHAT: "💬", Channel.FAX: "📠",
                 Channel.VISIT: "🤝", Channel.LETTER: "🖂", Channel.WEB_FORM: "🌐",
                 Channel.SOCIAL: "#"}


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
    for row in rows.select_related("contact", "account", "user").order_by(
            "-occurred_at", "-id")[:limit]:
        detail = row.notes[:200]
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


def my_day(user: User, *, now: dt.datetime | None = None) -> dict[str, Any]:
    """What a user has on today: overdue and today's tasks, upcoming ones, today's contacts."""
    now = timezone.localtime(now or timezone.now())
    start = now.replace(hour=0, minute=0, second=0, microsecond=0)
    end = start + dt.timedelta(days=1)
    mine = Task.objects.filter(assignee=user, status=TaskStatus.OPEN).select_related(
        "account", "contact")
    return {
        "overdue": list(mine.filter(due_at__lt=start).order_by("due_at", "id")[:100]),
        "today": list(mine.filter(due_at__gte=start, due_at__lt=end).order_by("due_at", "id")),
        "upcoming": list(mine.filter(due_at__gte=end, due_at__lt=end + dt.timedelta(days=7))
                         .order_by("due_at", "id")[:50]),
        "interactions": list(Interaction.objects.filter(user=user, occurred_at__gte=start,
                                                        occurred_at__lt=end)
                             .select_related("contact", "account").order_by("-occurred_at")),
        "day": start.date(),
    }


def tasks_between(user: User, start: dt.datetime, end: dt.datetime, *,
                  everyone: bool = False) -> QuerySet:
    """Tasks due in [start, end): the user's own, or all they may see (``everyone``)."""
    rows = Task.objects.filter(due_at__gte=start, due_at__lt=end).exclude(
        status=TaskStatus.CANCELLED).select_related("assignee", "account", "contact")
    rows = rows.restrict(user) if everyone else rows.filter(assignee=user)
    return rows.order_by("due_at", "id")


def tasks_by_day(user: User, first: dt.date, last: dt.date, *,
                 everyone: bool = False) -> dict[dt.date, list[Task]]:
    """Tasks due from ``first`` to ``last`` (inclusive), by local due date (calendar pages)."""
    start = timezone.make_aware(dt.datetime.combine(first, dt.time.min))
    end = timezone.make_aware(dt.datetime.combine(last + dt.timedelta(days=1), dt.time.min))
    days: dict[dt.date, list[Task]] = {}
    for task in tasks_between(user, start, end, everyone=everyone)[:2000]:
        days.setdefault(timezone.localdate(task.due_at), []).append(task)
    return days


def month_grid(year: int, month: int) -> list[list[dt.date]]:
    """The weeks (Monday first) that show ``month`` on a calendar page."""
    first = dt.date(year, month, 1)
    start = first - dt.timedelta(days=first.weekday())
    weeks = []
    day = start
    while True:
        weeks.append([day + dt.timedelta(days=i) for i in range(7)])
        day += dt.timedelta(days=7)
        if day.month != month and day > first:
            break
    return weeks


def feed_user(key: str) -> User | None:
    """The user whose calendar feed key is ``key``, if it is still valid."""
    from vinculo.core.models import ApiToken

    feed = CalendarFeed.objects.filter(key_hash=ApiToken.hash_key(key)).select_related(
        "user").first()
    if feed is None or not feed.user.is_active:
        return None
    return feed.user


def feed_tasks(user: User) -> QuerySet:
    """What the feed holds: the user's open tasks, and what they did in the last 30 days."""
    since = timezone.now() - dt.timedelta(days=30)
    return Task.all_objects.filter(
        Q(status=TaskStatus.OPEN) | Q(completed_at__gte=since),
        organization_id=user.organization_id, assignee=user,
    ).select_related("account", "contact").order_by("due_at", "id")[:2000]


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
