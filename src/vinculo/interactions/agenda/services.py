"""Business rules of the agenda: plan, complete, cancel and delete tasks (with recurrence
rules), remind their assignees when the time comes, and the secret iCalendar feed key."""

from __future__ import annotations

import datetime as dt
from functools import partial
from typing import Any

from dateutil import rrule
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from vinculo.core.models import ApiToken, TenantModel, User
from vinculo.core.notifications import notify
from vinculo.core.services import org_id, refuse_unknown, require, same_org, versioned_save
from vinculo.interactions.models import (
    CalendarFeed,
    Task,
    TaskPriority,
    TaskStatus,
)
from vinculo.interactions.services import primary_account, related_set

# ---- tasks ----------------------------------------------------------------------------------

TASK_FIELDS = ("title", "notes", "due_at", "remind_at", "assignee", "priority", "recurrence",
               "account", "contact")


#: Finer rules would open a task every few seconds; calendar apps would drown in them.
TOO_FREQUENT = ("SECONDLY", "MINUTELY")
_RECURRENCE_MAX_LENGTH = Task._meta.get_field("recurrence").max_length
assert _RECURRENCE_MAX_LENGTH is not None  # a CharField: Django requires its max_length
RECURRENCE_MAX_LENGTH: int = _RECURRENCE_MAX_LENGTH


def _until_utc(value: str) -> str:
    """RFC 5545 wants UNTIL in UTC when the start has a time zone (ours always does).

    A date (``20261231``) means the end of that day and a floating time means the
    organisation's local time; both are rewritten to the UTC form (``…T225959Z``).
    """
    try:
        if value.endswith("Z"):
            dt.datetime.strptime(value, "%Y%m%dT%H%M%SZ")
            return value
        if len(value) == 8:
            local = dt.datetime.combine(dt.datetime.strptime(value, "%Y%m%d").date(),
                                        dt.time(23, 59, 59))
        else:
            local = dt.datetime.strptime(value, "%Y%m%dT%H%M%S")
    except ValueError:
        raise ValidationError({"recurrence": _(
            "UNTIL must be a date (20261231) or a date and time (20261231T180000Z).")}) from None
    moment = timezone.make_aware(local).astimezone(dt.UTC)
    return moment.strftime("%Y%m%dT%H%M%SZ")


def recurrence_clean(rule: str) -> str:
    """One RFC 5545 RRULE (``FREQ=WEEKLY;BYDAY=MO``), checked by parsing it; '' for none.

    Returned upper-cased, with UNTIL in UTC, so that ``next_occurrence`` can always run it
    from a due date with a time zone.
    """
    rule = (rule or "").strip()
    if rule.upper().startswith("RRULE:"):
        rule = rule[6:].strip()
    if not rule:
        return ""

    def refuse(message: str) -> ValidationError:
        return ValidationError({"recurrence": message})

    if any(c in rule for c in "\r\n:"):
        raise refuse(_("Write one rule, e.g. FREQ=WEEKLY;BYDAY=MO."))
    parts: dict[str, str] = {}
    for part in rule.upper().split(";"):
        key, sep, value = (p.strip() for p in part.partition("="))
        if not (key and sep and value) or key in parts:
            raise refuse(_("Not a valid repeat rule: %(error)s") % {"error": part or ";"})
        parts[key] = value
    if "FREQ" not in parts:
        raise refuse(_("A repeat rule needs FREQ, e.g. FREQ=WEEKLY."))
    if parts["FREQ"] in TOO_FREQUENT:
        raise refuse(_("A task repeats at most every hour."))
    if "COUNT" in parts and "UNTIL" in parts:
        raise refuse(_("Give COUNT or UNTIL, not both."))
    if "UNTIL" in parts:
        parts["UNTIL"] = _until_utc(parts["UNTIL"])
    rule = ";".join(f"{key}={value}" for key, value in parts.items())
    try:
        rrule.rrulestr(rule, dtstart=timezone.localtime())
    except (ValueError, TypeError) as exc:
        raise refuse(_("Not a valid repeat rule: %(error)s") % {"error": exc}) from None
    if len(rule) > RECURRENCE_MAX_LENGTH:
        raise refuse(_("At most %(n)d characters.") % {"n": RECURRENCE_MAX_LENGTH})
    return rule


def _clean_task(task: Task) -> None:
    errors: dict[str, str] = {}
    if not (task.title or "").strip():
        errors["title"] = _("Give the task a title.")
    if task.due_at is None:
        errors["due_at"] = _("Give a due date.")
    if task.remind_at and task.due_at and task.remind_at > task.due_at:
        errors["remind_at"] = _("The reminder must come before the due date.")
    if task.priority not in TaskPriority.values:
        errors["priority"] = _("Unknown priority.")
    assignee = task.assignee if task.assignee_id else None
    if assignee is not None and (assignee.organization_id != task.organization_id
                                 or not assignee.is_active):
        errors["assignee"] = _("Choose an active user of your organisation.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def task_create(*, actor: User, data: dict[str, Any],
                related: TenantModel | None = None) -> Task:
    """Plan something to do; the assignee defaults to the actor."""
    require(actor, "interactions.add")
    refuse_unknown(data, TASK_FIELDS)
    organization_id = org_id(actor)
    same_org(organization_id, account=data.get("account"), contact=data.get("contact"))
    data = {**data, "recurrence": recurrence_clean(data.get("recurrence", ""))}
    task = Task(organization_id=organization_id, **data)
    if task.assignee_id is None:
        task.assignee = actor
    if task.account_id is None:
        task.account = primary_account(task.contact)
    related_set(task, related)
    _clean_task(task)
    task.save()
    return task


@transaction.atomic
def task_update(*, actor: User, task: Task, data: dict[str, Any],
                expected_version: int | None) -> Task:
    require(actor, "interactions.change")
    refuse_unknown(data, TASK_FIELDS)
    same_org(task.organization_id, account=data.get("account"), contact=data.get("contact"))
    if "recurrence" in data:
        data = {**data, "recurrence": recurrence_clean(data["recurrence"])}
    fields = list(data)
    moved = any(key in data and data[key] != getattr(task, key)
                for key in ("remind_at", "due_at"))
    for key, value in data.items():
        setattr(task, key, value)
    if moved and task.reminded_at is not None:
        # A moved reminder rings again; a form sent back with the same times does not.
        task.reminded_at = None
        fields.append("reminded_at")
    _clean_task(task)
    return versioned_save(task, expected_version=expected_version, fields=fields)


def next_occurrence(task: Task) -> dt.datetime | None:
    """The due date after ``task.due_at`` by its rule, or None when the series has ended.

    The rule runs from the series' first due date, so COUNT and UNTIL mean what they say.
    """
    if not task.recurrence:
        return None
    # Wall-clock time in the organisation's zone: "Mondays at 9" stays on Monday at 9 across
    # daylight-saving changes and near midnight, which a rule run in UTC would not.
    rule = rrule.rrulestr(task.recurrence, dtstart=timezone.localtime(series_start(task)))
    return rule.after(timezone.localtime(task.due_at))


def series_start(task: Task) -> dt.datetime:
    """The due date of the first task of ``task``'s series, read in one query."""
    if task.previous_id is None:
        return task.due_at
    table = connection.ops.quote_name(Task._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH RECURSIVE chain(id, previous_id) AS ("
            f" SELECT id, previous_id FROM {table} WHERE id = %s"
            f" UNION ALL SELECT t.id, t.previous_id FROM {table} t"
            f" JOIN chain ON t.id = chain.previous_id)"
            f" SELECT id FROM chain WHERE previous_id IS NULL", [task.previous_id])
        first_id = cursor.fetchone()[0]
    return Task.all_objects.values_list("due_at", flat=True).get(pk=first_id)


@transaction.atomic
def task_complete(*, actor: User, task: Task) -> Task | None:
    """Mark a task done; a recurring one opens its next occurrence, which is returned."""
    require(actor, "interactions.change")
    task = Task.objects.select_for_update().get(pk=task.pk)
    if task.status != TaskStatus.OPEN:
        raise ValidationError(_("Only an open task can be completed."))
    task.status = TaskStatus.DONE
    task.completed_at = timezone.now()
    versioned_save(task, expected_version=None, fields=["status", "completed_at"])
    due = next_occurrence(task)
    if due is None:
        return None
    lead = task.due_at - task.remind_at if task.remind_at else None
    following = Task(
        organization_id=task.organization_id, title=task.title, notes=task.notes, due_at=due,
        remind_at=due - lead if lead is not None else None, assignee_id=task.assignee_id,
        priority=task.priority, recurrence=task.recurrence, account_id=task.account_id,
        contact_id=task.contact_id, related_type_id=task.related_type_id,
        related_id=task.related_id, previous=task)
    following.save()
    return following


@transaction.atomic
def task_delete(*, actor: User, task: Task) -> None:
    """Remove a task made by mistake (cancel keeps it on the record); the series it belonged
    to stays linked around it."""
    require(actor, "interactions.delete")
    following = Task.objects.filter(previous=task).first()
    previous_id = task.previous_id
    task.delete()
    if following is not None:
        Task.objects.filter(pk=following.pk).update(previous_id=previous_id)


@transaction.atomic
def task_cancel(*, actor: User, task: Task) -> Task:
    require(actor, "interactions.change")
    task = Task.objects.select_for_update().get(pk=task.pk)
    if task.status != TaskStatus.OPEN:
        raise ValidationError(_("Only an open task can be cancelled."))
    task.status = TaskStatus.CANCELLED
    return versioned_save(task, expected_version=None, fields=["status"])


def reminders_due(*, now: dt.datetime | None = None) -> int:
    """E-mail each assignee their tasks whose reminder time has come; returns how many.

    Each task is claimed (``reminded_at`` set) in the same statement that selects it, so two
    schedulers never remind twice.
    """
    now = now or timezone.now()
    due = Task.all_objects.filter(status=TaskStatus.OPEN, reminded_at__isnull=True,
                                  remind_at__lte=now)
    sent = 0
    for task_id in list(due.values_list("pk", flat=True)[:1000]):
        with transaction.atomic():
            claimed = Task.all_objects.filter(pk=task_id, reminded_at__isnull=True).update(
                reminded_at=now)
            if claimed:
                transaction.on_commit(partial(reminder_enqueue, task_id))
                sent += 1
    return sent


# ---- calendar feed --------------------------------------------------------------------------


@transaction.atomic
def calendar_feed_rotate(*, user: User) -> str:
    """A new secret feed key for ``user`` (the old address stops working); shown once."""
    import secrets

    key = secrets.token_urlsafe(24)
    CalendarFeed.objects.update_or_create(user=user, defaults={"key_hash": ApiToken.hash_key(key)})
    return key


@transaction.atomic
def calendar_feed_revoke(*, user: User) -> None:
    CalendarFeed.objects.filter(user=user).delete()


# ---- reminders ------------------------------------------------------------------------------

def reminder_enqueue(task_pk: int) -> None:
    """Tell a task's assignee that its reminder time has come (after the claim committed)."""
    task = Task.all_objects.select_related("assignee").get(pk=task_pk)

    def message() -> tuple[str, str]:
        due = timezone.localtime(task.due_at)
        return (_("Reminder: %(title)s") % {"title": task.title},
                _("Due %(due)s.") % {"due": due.strftime("%Y-%m-%d %H:%M")}
                + (f"\n\n{task.notes}" if task.notes else ""))

    notify([task.assignee], message, url=settings.SITE_URL + reverse("interactions:my_day"))
