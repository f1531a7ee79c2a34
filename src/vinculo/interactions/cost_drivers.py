"""Cost drivers of the interactions app, for the activity-based cost to serve (analytics).

The app's contract names these counters (``Contract.cost_drivers``); each answers, per account, how
many activities of its kind fell in (start, end] — an aggregate query, never rows in Python.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db.models import Count, QuerySet, Sum

from vinculo.core.cost_drivers import day_bounds
from vinculo.interactions.models import Channel, Interaction


def _by_account(org_id: int, start: dt.date | None, end: dt.date, **filters: object
                ) -> QuerySet:
    qs = Interaction.all_objects.filter(organization_id=org_id, account__isnull=False, **filters)
    return day_bounds(qs, "occurred_at", start, end).order_by().values("account_id")


def count_calls(org_id: int, start: dt.date | None, end: dt.date) -> Iterable[tuple[int, int]]:
    return _by_account(org_id, start, end, channel=Channel.PHONE).annotate(
        n=Count("id")).values_list("account_id", "n")


def count_visits(org_id: int, start: dt.date | None, end: dt.date) -> Iterable[tuple[int, int]]:
    return _by_account(org_id, start, end, channel=Channel.VISIT).annotate(
        n=Count("id")).values_list("account_id", "n")


def count_emails(org_id: int, start: dt.date | None, end: dt.date) -> Iterable[tuple[int, int]]:
    return _by_account(org_id, start, end, channel=Channel.EMAIL).annotate(
        n=Count("id")).values_list("account_id", "n")


def handling_minutes(org_id: int, start: dt.date | None, end: dt.date
                     ) -> Iterable[tuple[int, float]]:
    """Minutes spent with the customer: the logged durations of calls, visits, chats…"""
    rows = _by_account(org_id, start, end, duration_seconds__isnull=False).annotate(
        s=Sum("duration_seconds")).values_list("account_id", "s")
    return ((account_id, (seconds or 0) / 60.0) for account_id, seconds in rows)

