"""Business rules of interactions: log a contact, plan and complete tasks, public web forms.

E-mail (send, deliver, receive, poll, templates) lives beside this in ``mailing.py``.

Higher apps take part without this app importing them: every new interaction publishes
``interaction.logged`` (the service desk subscribes inside the transaction: a logged call on a
ticket is its first response, a customer's e-mail their answer), and the extension points of
``extensions.py`` say what a public web form creates and where a new e-mail belongs.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from typing import Any

from dateutil import rrule
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from vinculo.core import events, plugins
from vinculo.core.models import ApiToken, TenantModel, User
from vinculo.core.roles import role_has
from vinculo.core.services import refuse_unknown, require, same_org, versioned_save
from vinculo.customers.models import Account, Contact
from vinculo.interactions.extensions import EMAIL_ROUTERS, WEB_FORM_HANDLERS
from vinculo.interactions.models import (
    CalendarFeed,
    Channel,
    Direction,
    Interaction,
    Outcome,
    Task,
    TaskPriority,
    TaskStatus,
    WebForm,
    WebFormKind,
    WebFormSubmission,
)


def web_form_handler(kind: str) -> Callable[..., Any] | None:
    """What another app makes of a submission of a web form of ``kind`` (a ticket…)."""
    for contribution in plugins.contributions(WEB_FORM_HANDLERS):
        if contribution.kind == kind:
            return plugins.resolve(contribution.handler)
    return None


def email_routers() -> list[Callable[..., Any]]:
    return [plugins.resolve(path) for path in plugins.contributions(EMAIL_ROUTERS)]


def interaction_announce(interaction: Interaction, actor: Any = None) -> None:
    """Publish ``interaction.logged``, inside the transaction that created the interaction."""
    events.publish("interaction.logged", record=interaction, actor=actor, data={
        "channel": interaction.channel, "direction": interaction.direction})


# ---- interactions -------------------------------------------------------------------------

INTERACTION_FIELDS = ("channel", "direction", "occurred_at", "duration_seconds", "subject",
                      "notes", "outcome", "account", "contact", "user")
#: A logged interaction happened; one planned for later is a task.
FUTURE_TOLERANCE = dt.timedelta(minutes=5)
MAX_DURATION = 24 * 3600


def related_set(instance: models.Model, related: TenantModel | None) -> None:
    """Point ``instance``'s generic relation at ``related`` (a row of the same organisation)."""
    if related is None:
        instance.related_type, instance.related_id = None, None
        return
    if related.organization_id != instance.organization_id:
        raise ValidationError({"related": _("Not found.")})
    instance.related_type = ContentType.objects.get_for_model(type(related))
    instance.related_id = related.pk


def primary_account(contact: Contact | None) -> Account | None:
    """The account a contact speaks for: the primary membership, else their only one."""
    if contact is None:
        return None
    memberships = list(contact.memberships.select_related("account")
                       .order_by("-is_primary", "id")[:2])
    if memberships and (memberships[0].is_primary or len(memberships) == 1):
        return memberships[0].account
    return None


def _clean_interaction(interaction: Interaction) -> None:
    errors: dict[str, str] = {}
    if interaction.channel not in Channel.values:
        errors["channel"] = _("Choose a channel.")
    if interaction.direction not in Direction.values:
        errors["direction"] = _("Choose inbound or outbound.")
    if interaction.outcome and interaction.outcome not in Outcome.values:
        errors["outcome"] = _("Unknown outcome.")
    if interaction.occurred_at and interaction.occurred_at > timezone.now() + FUTURE_TOLERANCE:
        errors["occurred_at"] = _("An interaction is something that happened; plan a future "
                                  "one as a task.")
    duration = interaction.duration_seconds
    if duration is not None and not 0 <= duration <= MAX_DURATION:
        errors["duration_seconds"] = _("Between 0 and 24 hours.")
    if interaction.account_id is None and interaction.contact_id is None \
            and interaction.related_id is None:
        errors["contact"] = _("Say who it was with: a contact, an account or a record.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def interaction_log(*, actor: User, data: dict[str, Any],
                    related: TenantModel | None = None) -> Interaction:
    """Record a contact that happened: a call, a visit, a letter…

    The handler defaults to the actor and the account to the contact's primary account.
    """
    require(actor, "interactions.add")
    refuse_unknown(data, INTERACTION_FIELDS)
    org_id = actor.organization_id
    same_org(org_id, account=data.get("account"), contact=data.get("contact"))
    user = data.get("user") or actor
    if user.organization_id != org_id:
        raise ValidationError({"user": _("Not found.")})
    interaction = Interaction(organization_id=org_id, **{**data, "user": user})
    if interaction.account_id is None:
        interaction.account = primary_account(interaction.contact)
    related_set(interaction, related)
    if interaction.occurred_at is None:
        interaction.occurred_at = timezone.now()
    _clean_interaction(interaction)
    interaction.save()
    interaction_announce(interaction, actor)
    return interaction


@transaction.atomic
def interaction_update(*, actor: User, interaction: Interaction, data: dict[str, Any],
                       expected_version: int | None) -> Interaction:
    require(actor, "interactions.change")
    editable = set(INTERACTION_FIELDS) - {"channel", "direction"}
    unknown = set(data) - editable
    if unknown:
        raise ValidationError({name: _("This field cannot be changed.")
                               for name in sorted(unknown)})
    same_org(interaction.organization_id, account=data.get("account"),
              contact=data.get("contact"))
    for key, value in data.items():
        setattr(interaction, key, value)
    _clean_interaction(interaction)
    return versioned_save(interaction, expected_version=expected_version, fields=list(data))


@transaction.atomic
def interaction_delete(*, actor: User, interaction: Interaction) -> None:
    require(actor, "interactions.delete")
    interaction.delete()


# ---- tasks ----------------------------------------------------------------------------------

TASK_FIELDS = ("title", "notes", "due_at", "remind_at", "assignee", "priority", "recurrence",
               "account", "contact")


#: Finer rules would open a task every few seconds; calendar apps would drown in them.
TOO_FREQUENT = ("SECONDLY", "MINUTELY")
RECURRENCE_MAX_LENGTH = Task._meta.get_field("recurrence").max_length


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
    same_org(actor.organization_id, account=data.get("account"), contact=data.get("contact"))
    data = {**data, "recurrence": recurrence_clean(data.get("recurrence", ""))}
    task = Task(organization_id=actor.organization_id, **data)
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
    from vinculo.interactions import mailing

    now = now or timezone.now()
    due = Task.all_objects.filter(status=TaskStatus.OPEN, reminded_at__isnull=True,
                                  remind_at__lte=now)
    sent = 0
    for task_id in list(due.values_list("pk", flat=True)[:1000]):
        with transaction.atomic():
            claimed = Task.all_objects.filter(pk=task_id, reminded_at__isnull=True).update(
                reminded_at=now)
            if claimed:
                transaction.on_commit(lambda pk=task_id: mailing.reminder_enqueue(pk))
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


# ---- public web forms -----------------------------------------------------------------------

WEB_FORM_FIELDS = ("name", "kind", "owner", "active", "thank_you", "max_per_hour")
#: What a visitor may send, and how long each value may be.
SUBMISSION_FIELDS = {"name": 200, "email": 254, "phone": 40, "company": 200, "subject": 300,
                     "message": 5000}
RATE_WINDOW = dt.timedelta(hours=1)


class SpamError(Exception):
    """The honeypot was filled in or the form came back too fast: a robot."""


class RateLimitedError(Exception):
    """Too many submissions from the same visitor in the last hour."""


@transaction.atomic
def web_form_save(*, actor: User, data: dict[str, Any], form: WebForm | None = None,
                  expected_version: int | None = None) -> WebForm:
    """Create or change a public form. Its submissions are made in the owner's name, so the
    owner must be an active user of the organisation who may create what the form creates."""
    require(actor, "interactions.manage")
    refuse_unknown(data, WEB_FORM_FIELDS)
    owner = data.get("owner", form.owner if form else None)
    if owner is None or owner.organization_id != actor.organization_id:
        raise ValidationError({"owner": _("Choose a user of your organisation.")})
    kind = data.get("kind", form.kind if form else "")
    if kind not in WebFormKind.values:
        raise ValidationError({"kind": _("Choose what the form creates.")})
    if not owner.is_active:
        raise ValidationError({"owner": _("Choose an active user.")})
    if kind == WebFormKind.CONTACT and not role_has(owner.role, "customers.add"):
        raise ValidationError({"owner": _("Choose a user whose role may create leads.")})
    creating = form is None
    if form is None:
        form = WebForm(organization_id=actor.organization_id)
    for key, value in data.items():
        setattr(form, key, value)
    form.full_clean(exclude=["organization"])
    if creating:
        form.save()
        return form
    return versioned_save(form, expected_version=expected_version, fields=list(data))


def client_hash(organization_id: int, address: str) -> str:
    """The visitor's address, hashed with the site's secret: counted, never stored."""
    return hashlib.sha256(f"{settings.SECRET_KEY}|{organization_id}|{address}".encode()
                          ).hexdigest()


def _submission_clean(data: dict[str, Any]) -> dict[str, str]:
    clean: dict[str, str] = {}
    errors: dict[str, str] = {}
    for name, limit in SUBMISSION_FIELDS.items():
        value = str(data.get(name) or "").strip()
        if len(value) > limit:
            errors[name] = _("At most %(n)d characters.") % {"n": limit}
        clean[name] = value
    if not clean["name"]:
        errors["name"] = _("Tell us your name.")
    if not clean["email"]:
        errors["email"] = _("We need an e-mail address to answer you.")
    else:
        try:
            validate_email(clean["email"])
        except ValidationError:
            errors["email"] = _("Enter a valid e-mail address.")
        clean["email"] = clean["email"].lower()
    if not clean["message"]:
        errors["message"] = _("Write your message.")
    if errors:
        raise ValidationError(errors)
    return clean


@transaction.atomic
def web_form_submit(*, form: WebForm, data: dict[str, Any], client_address: str,
                    honeypot: str = "", elapsed_seconds: float | None = None) -> Interaction:
    """Take a visitor's submission: a lead (contact form) or a ticket, and an interaction.

    Refused without writing anything: a filled honeypot or a form sent back in under two
    seconds (``SpamError``), more than ``form.max_per_hour`` from the same visitor
    (``RateLimitedError``), bad fields (``ValidationError`` naming them).
    """
    from vinculo.customers import selectors as customer_selectors
    from vinculo.customers import services as customer_services

    if not form.active:
        raise ValidationError(_("This form is closed."))
    if honeypot or (elapsed_seconds is not None and elapsed_seconds < 2):
        raise SpamError()
    visitor = client_hash(form.organization_id, client_address)
    WebForm.all_objects.select_for_update().filter(pk=form.pk).first()  # one count at a time
    recent = WebFormSubmission.all_objects.filter(
        form=form, client_hash=visitor, created_at__gte=timezone.now() - RATE_WINDOW).count()
    if recent >= form.max_per_hour:
        raise RateLimitedError()
    clean = _submission_clean(data)
    contact = customer_selectors.contact_match(organization_id=form.organization_id,
                                               email=clean["email"])
    owner = form.owner
    interaction = Interaction(
        organization_id=form.organization_id, channel=Channel.WEB_FORM,
        direction=Direction.INBOUND, subject=clean["subject"] or str(form), notes=clean["message"],
        contact=contact, account=primary_account(contact), occurred_at=timezone.now())
    if form.kind == WebFormKind.CONTACT:
        first, _sep, last = clean["name"].partition(" ")
        lead = customer_services.lead_create(actor=owner, data={
            "first_name": first, "last_name": last, "email": clean["email"],
            "phone": clean["phone"], "company_name": clean["company"], "source": "web",
            "notes": clean["message"], "owner": owner})
        related = lead
    else:
        handler = web_form_handler(form.kind)
        if handler is None:
            raise ValidationError(_("This form cannot take submissions yet."))
        related = handler(form=form, data=clean, contact=contact)
    related_set(interaction, related)
    if interaction.account_id is None and getattr(related, "account_id", None):
        interaction.account_id = related.account_id
    interaction.save()
    WebFormSubmission.all_objects.create(organization_id=form.organization_id, form=form,
                                         client_hash=visitor, data=clean,
                                         interaction=interaction)
    interaction_announce(interaction)
    events.publish("web_form.submitted", record=form, data={
        "kind": form.kind, "interaction": str(interaction.uuid),
        "related": str(related.uuid) if related is not None else None})
    return interaction
