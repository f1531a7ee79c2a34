"""A user's tasks as an iCalendar feed (RFC 5545) that calendar apps subscribe to.

Each task is a ``VEVENT`` at its due time (calendar apps show events; few show ``VTODO``),
with a ``VALARM`` at its reminder and a stable ``UID``, so an app that refreshes the feed
updates the event instead of adding another. vobject does the escaping and line folding.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import vobject
from dateutil import tz
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from vinculo.interactions.models import Task, TaskStatus

EVENT_LENGTH = dt.timedelta(minutes=30)
#: vobject knows dateutil's UTC; with Python's own ``datetime.UTC`` it looks for a time zone
#: definition to write and fails.
UTC = tz.UTC


def tasks_calendar(tasks: Iterable[Task], *, name: str) -> str:
    calendar = vobject.iCalendar()
    calendar.add("prodid").value = "-//Vínculo CRM//Tasks//EN"
    calendar.add("x-wr-calname").value = name
    calendar.add("method").value = "PUBLISH"
    stamp = timezone.now().astimezone(UTC)
    for task in tasks:
        event = calendar.add("vevent")
        event.add("uid").value = f"{task.uuid}@vinculo"
        event.add("dtstamp").value = stamp
        start = task.due_at.astimezone(UTC)
        event.add("dtstart").value = start
        event.add("dtend").value = start + EVENT_LENGTH
        done = task.status == TaskStatus.DONE
        event.add("summary").value = f"✓ {task.title}" if done else task.title
        who = task.contact or task.account
        description = "\n".join(p for p in (str(who) if who else "", task.notes) if p)
        if description:
            event.add("description").value = description
        event.add("status").value = "CANCELLED" if task.status == TaskStatus.CANCELLED \
            else "CONFIRMED"
        event.add("url").value = settings.SITE_URL + reverse(
            "interactions:task_detail", kwargs={"uuid": task.uuid})
        event.add("last-modified").value = task.updated_at.astimezone(UTC)
        if task.remind_at and not done:
            alarm = event.add("valarm")
            alarm.add("action").value = "DISPLAY"
            alarm.add("description").value = task.title
            alarm.add("trigger").value = task.remind_at.astimezone(UTC)
    return calendar.serialize()
