"""Scheduled reports: a saved report e-mailed daily, weekly or monthly at a local time. Setting a
schedule is the report owner's (``schedule_set``): the time zone must be known and every
recipient a user of the organisation who may open the report (owner, or shared with their role
or team). Sending (``schedules_send``, the ``reports_send`` job) runs each due report once per
recipient **as that recipient** — their role, record rule and tenancy, as if they opened it —
and queues one staff e-mail (``core.mailqueue``, retried) with the CSV and XLSX attached, or
the PDF with its chart, as the owner chose. A recipient who can no longer open the report is
skipped. A schedule whose owner may no longer read the report (the role lost the dataset or a
field, the user was deactivated) stops: ``active`` false, ``stopped_reason`` on the report's
page, and the owner is told.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext as _

from vinculo.core.mailqueue import email_queue
from vinculo.core.models import User
from vinculo.core.roles import role_has
from vinculo.core.services import PermissionDeniedError, refuse_unknown, require
from vinculo.reports import exports, selectors
from vinculo.reports.definition import check
from vinculo.reports.models import Frequency, Report, ReportSchedule
from vinculo.reports.pdf import report_pdf
from vinculo.reports.query import ReportTimeout, timeout_message

SCHEDULE_FIELDS = ("frequency", "time", "timezone", "weekday", "day", "recipients", "active",
                   "formats")
MAX_RECIPIENTS = 50


def next_run(schedule: ReportSchedule, after: dt.datetime) -> dt.datetime:
    """The first sending strictly after ``after``: the schedule's local time on its next
    matching day, in its time zone (so 08:00 stays 08:00 across a change of summer time)."""
    zone = zoneinfo.ZoneInfo(schedule.timezone)
    start = after.astimezone(zone).date()
    for offset in range(0, 63):
        day = start + dt.timedelta(days=offset)
        if schedule.frequency == Frequency.WEEKLY and day.weekday() != schedule.weekday:
            continue
        if schedule.frequency == Frequency.MONTHLY and day.day != schedule.day:
            continue
        at = dt.datetime.combine(day, schedule.time, tzinfo=zone)
        if at > after:
            return at.astimezone(dt.UTC)
    raise ValueError("no sending in two months")  # unreachable: day ≤ 28, weekday ≤ 6


def may_open(user: User, report: Report) -> str:
    """Why ``user`` may not open ``report`` now ("" when they may): the same checks as the
    report's page — visible to them, and a definition their role reads."""
    if not user.is_active:
        return _("%(user)s is no longer active.") % {"user": user}
    if not role_has(user.role, "reports.view"):
        return _("The role of %(user)s no longer reads reports.") % {"user": user}
    if not selectors.visible_reports(user).filter(pk=report.pk).exists():
        return _("The report is no longer shared with %(user)s.") % {"user": user}
    try:
        check(report.definition, user)
    except ValidationError as refused:
        return " ".join(refused.messages)[:250]
    return ""


def _int(data: dict[str, Any], key: str, low: int, high: int, message: str) -> int:
    try:
        value = int(data.get(key))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValidationError({key: message}) from None
    if not low <= value <= high:
        raise ValidationError({key: message})
    return value


def _clean(actor: User, report: Report, data: dict[str, Any]) -> dict[str, Any]:
    frequency = data.get("frequency")
    if frequency not in Frequency.values:
        raise ValidationError({"frequency": _("Choose daily, weekly or monthly.")})
    raw_time = data.get("time")
    try:
        at = raw_time if isinstance(raw_time, dt.time) else dt.time.fromisoformat(str(raw_time))
    except ValueError:
        raise ValidationError({"time": _("Give a time such as 08:00.")}) from None
    zone = str(data.get("timezone") or "")
    try:
        zoneinfo.ZoneInfo(zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValidationError({"timezone": _("Unknown time zone «%(zone)s».")
                               % {"zone": zone[:64]}}) from None
    weekday = day = None
    if frequency == Frequency.WEEKLY:
        weekday = _int(data, "weekday", 0, 6, _("Choose a day of the week."))
    if frequency == Frequency.MONTHLY:
        day = _int(data, "day", 1, 28, _("Choose a day of the month from 1 to 28."))
    formats = data.get("formats", ["csv", "xlsx"])
    if (not isinstance(formats, (list, tuple)) or not formats
            or any(f not in exports.FORMATS for f in formats)):
        raise ValidationError({"formats": _("Choose the files to attach: CSV, XLSX or PDF.")})
    wanted = [str(r) for r in dict.fromkeys(data.get("recipients") or [])]
    if not wanted:
        raise ValidationError({"recipients": _("Choose at least one recipient.")})
    if len(wanted) > MAX_RECIPIENTS:
        raise ValidationError({"recipients": _("At most %(n)d recipients.")
                               % {"n": MAX_RECIPIENTS}})
    try:
        users = list(User.objects.filter(uuid__in=wanted,
                                         organization_id=report.organization_id))
    except ValidationError:  # not a UUID
        users = []
    if len(users) != len(wanted):
        raise ValidationError({"recipients": _(
            "Some recipients are not users of your organisation.")})
    for user in users:
        reason = may_open(user, report)
        if reason:
            raise ValidationError({"recipients": _("%(user)s may not open this report: "
                                                   "%(reason)s") % {"user": user,
                                                                    "reason": reason}})
    return {"frequency": frequency, "time": at.replace(second=0, microsecond=0),
            "timezone": zone, "weekday": weekday, "day": day,
            "recipients": [u.pk for u in users], "active": bool(data.get("active", True)),
            "formats": [f for f in exports.FORMATS if f in formats]}


@transaction.atomic
def schedule_set(*, actor: User, report: Report, data: dict[str, Any],
                 now: dt.datetime | None = None) -> ReportSchedule:
    """Create or replace the report's schedule (its owner only). Setting it again starts a
    stopped schedule, once the owner may read the report again."""
    require(actor, "reports.change")
    require(actor, "reports.export")  # the e-mails carry the rows as files
    if report.owner_id != actor.pk:
        raise PermissionDeniedError(_("Only the report's owner may schedule it."))
    refuse_unknown(data, SCHEDULE_FIELDS)
    values = _clean(actor, report, data)
    schedule = ReportSchedule.objects.filter(report=report).first() or ReportSchedule(
        organization_id=report.organization_id, report=report)
    for key, value in values.items():
        setattr(schedule, key, value)
    schedule.stopped_reason = ""
    schedule.next_run_at = next_run(schedule, now or timezone.now())
    schedule.save()
    return schedule


@transaction.atomic
def schedule_delete(*, actor: User, report: Report) -> None:
    """Stop e-mailing the report (its owner only)."""
    require(actor, "reports.change")
    if report.owner_id != actor.pk:
        raise PermissionDeniedError(_("Only the report's owner may schedule it."))
    ReportSchedule.objects.filter(report=report).delete()


@dataclass
class Sent:
    reports: int = 0
    emails: int = 0
    skipped: int = 0
    stopped: int = 0


def _files(report: Report, user: User,
           formats: list[str]) -> tuple[list[tuple[str, bytes, str]], list[str]]:
    """The report run as ``user``, as the files the schedule attaches (in their language),
    and its warnings (a money sum across currencies) for the message's body."""
    checked = check(report.definition, user)
    result = selectors.report_result(checked, user,
                                     timeout_ms=settings.VINCULO_REPORT_TIMEOUT_MS)
    name = slugify(report.name) or "informe"
    files: list[tuple[str, bytes, str]] = []
    if "csv" in formats:
        files.append((f"{name}.csv", "".join(exports.csv_text(result)).encode("utf-8"),
                      exports.CONTENT_TYPES["csv"]))
    if "xlsx" in formats:
        with exports.xlsx_file(result, title=report.name) as handle:
            files.append((f"{name}.xlsx", handle.read(), exports.CONTENT_TYPES["xlsx"]))
    if "pdf" in formats:
        files.append((f"{name}.pdf", report_pdf(report, checked, result, user),
                      exports.CONTENT_TYPES["pdf"]))
    return files, result.warnings()


def _stop(schedule: ReportSchedule, reason: str) -> None:
    owner = schedule.report.owner
    schedule.active = False
    schedule.stopped_reason = reason[:300]
    schedule.save(update_fields=["active", "stopped_reason", "updated_at"])
    if owner.is_active and owner.email:
        with translation.override(owner.language or settings.LANGUAGE_CODE):
            subject = _("Scheduled report stopped: %(name)s") % {"name": schedule.report.name}
            body = _("The report «%(name)s» is no longer sent: %(reason)s Schedule it again "
                     "from the report's page once you may read it.") % {
                "name": schedule.report.name, "reason": reason}
        email_queue(to=owner.email, subject=subject, body=body,
                    organization_id=schedule.organization_id)


def _send_one(schedule: ReportSchedule, sent: Sent) -> None:
    report = schedule.report
    with translation.override(report.owner.language or settings.LANGUAGE_CODE):
        reason = may_open(report.owner, report)  # kept in the owner's language
        if not reason and not role_has(report.owner.role, "reports.export"):
            reason = _("The role of %(user)s no longer exports reports.") % {
                "user": report.owner}
    if reason:
        _stop(schedule, reason)
        sent.stopped += 1
        return
    recipients = User.objects.filter(pk__in=schedule.recipients,
                                     organization_id=schedule.organization_id)
    for user in recipients:
        if may_open(user, report) or not user.email:
            sent.skipped += 1
            continue
        language = user.language or settings.LANGUAGE_CODE
        with translation.override(language):
            try:
                files, warnings = _files(report, user, schedule.formats)
            except ReportTimeout as stopped:
                subject = _("Report not sent: %(name)s") % {"name": report.name}
                email_queue(to=user.email, subject=subject,
                            body=timeout_message(stopped.args[0]),
                            organization_id=schedule.organization_id)
                continue
            subject = _("Report: %(name)s") % {"name": report.name}
            body = _("Attached, «%(name)s» as of %(when)s, counted with your rights: the "
                     "records you may read.") % {
                "name": report.name,
                "when": timezone.localtime(timezone.now(), zoneinfo.ZoneInfo(
                    schedule.timezone)).strftime("%Y-%m-%d %H:%M")}
            if warnings:
                body += "\n\n" + "\n".join(_("Warning: %(text)s") % {"text": w}
                                            for w in warnings)
        email_queue(to=user.email, subject=subject, body=body, attachments=files,
                    organization_id=schedule.organization_id)
        sent.emails += 1
    schedule.last_sent_at = timezone.now()
    schedule.save(update_fields=["last_sent_at", "updated_at"])
    sent.reports += 1


def schedules_send(*, organization_id: int, now: dt.datetime | None = None) -> Sent:
    """Send the organisation's due reports. Each schedule is claimed by moving its
    ``next_run_at`` forward with a conditional UPDATE in the transaction that queues its
    e-mails, so two runs never send one sending twice."""
    now = now or timezone.now()
    sent = Sent()
    due = list(ReportSchedule.objects.filter(
        organization_id=organization_id, active=True, next_run_at__lte=now)
        .select_related("report__owner").order_by("next_run_at", "id"))
    for schedule in due:
        with transaction.atomic():
            following = next_run(schedule, now)
            claimed = ReportSchedule.objects.filter(
                pk=schedule.pk, active=True, next_run_at=schedule.next_run_at,
            ).update(next_run_at=following)
            if not claimed:
                continue
            schedule.next_run_at = following
            _send_one(schedule, sent)
    return sent
