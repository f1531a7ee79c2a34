"""Reads of the agenda: my day, the tasks of a period, the month grid, the calendar feed."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from vinculo.core.models import User
from vinculo.interactions.models import (
    CalendarFeed,
    Interaction,
    Task,
    TaskStatus,
)


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
    if user.organization_id is None:  # a user of no organisation has no tasks
        return Task.all_objects.none()
    since = timezone.now() - dt.timedelta(days=30)
    return Task.all_objects.filter(
        Q(status=TaskStatus.OPEN) | Q(completed_at__gte=since),
        organization_id=user.organization_id, assignee=user,
    ).select_related("account", "contact").order_by("due_at", "id")[:2000]


def home_tasks(user: User, *, now: dt.datetime | None = None) -> dict[str, Any]:
    """The home page's "my tasks" panel: overdue (due before now, as the task list's
    ``overdue`` filter says) and still due today; a few of each, read on the (organisation,
    assignee, status, due) index with a LIMIT, never a count of everyone's tasks."""
    now = timezone.localtime(now or timezone.now())
    end = now.replace(hour=0, minute=0, second=0, microsecond=0) + dt.timedelta(days=1)
    mine = Task.objects.filter(assignee=user, status=TaskStatus.OPEN).select_related(
        "account", "contact")
    overdue = list(mine.filter(due_at__lt=now).order_by("due_at", "id")[:HOME_ROWS + 1])
    today = list(mine.filter(due_at__gte=now, due_at__lt=end)
                 .order_by("due_at", "id")[:HOME_ROWS + 1])
    return {"overdue": overdue[:HOME_ROWS], "overdue_more": len(overdue) > HOME_ROWS,
            "today": today[:HOME_ROWS], "today_more": len(today) > HOME_ROWS,
            "day": now.date()}


HOME_ROWS = 5
