"""The schedule of a saved report: the owner sets when it is e-mailed and to whom; the
report's page shows it (and, when it stopped, why). Thin: ``reports/schedules.py`` decides."""

from __future__ import annotations

import uuid
import zoneinfo
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext as _
from django.views import View

from vinculo.core.models import User
from vinculo.core.services import PermissionDeniedError
from vinculo.reports import schedules
from vinculo.reports.exports import FORMATS
from vinculo.reports.models import Frequency, Report, ReportSchedule
from vinculo.reports.views import ReportLookup


def schedule_summary(schedule: ReportSchedule | None) -> dict[str, Any]:
    """What the report's page says about its schedule: when, to whom, why it stopped."""
    if schedule is None:
        return {"schedule": None}
    names = [str(u) for u in User.objects.filter(pk__in=schedule.recipients).order_by(
        "first_name", "last_name", "email")]
    when = {Frequency.DAILY: _("Every day"),
            Frequency.WEEKLY: _("Every %(day)s") % {"day": WEEKDAYS.get(schedule.weekday or 0)},
            Frequency.MONTHLY: _("On day %(day)s of every month") % {"day": schedule.day},
            }.get(schedule.frequency, "")
    return {"schedule": schedule, "schedule_when": when, "schedule_recipients": names,
            "schedule_formats": ", ".join(f.upper() for f in schedule.formats)}


class ReportScheduleView(ReportLookup, View):
    """Set, change or remove the report's schedule (its owner only)."""

    permission = "reports.change"

    def _report(self) -> Report:
        report = self.get_object()
        if report.owner_id != self.request.user.pk:
            raise Http404
        return report

    def _context(self, request: HttpRequest, report: Report,
                 values: dict[str, Any]) -> dict[str, Any]:
        users = User.objects.filter(organization_id=report.organization_id,
                                    is_active=True).order_by("first_name", "last_name", "email")
        return {"report": report, "values": values, "users": users,
                "frequencies": Frequency.choices, "formats": FORMATS,
                "weekdays": sorted(WEEKDAYS.items()),
                "zones": sorted(zoneinfo.available_timezones())}

    def get(self, request: HttpRequest, uuid: uuid.UUID) -> HttpResponse:
        report = self._report()
        found = ReportSchedule.objects.filter(report=report).first()
        if found is not None:
            recipients = [str(u) for u in User.objects.filter(
                pk__in=found.recipients).values_list("uuid", flat=True)]
            values = {"frequency": found.frequency, "time": found.time.strftime("%H:%M"),
                      "timezone": found.timezone, "weekday": found.weekday,
                      "day": found.day, "recipients": recipients, "formats": found.formats}
        else:
            values = {"frequency": Frequency.WEEKLY, "time": "08:00", "weekday": 0, "day": 1,
                      "timezone": timezone.get_current_timezone_name(),
                      "recipients": [str(request.user.uuid)], "formats": ["csv", "xlsx"]}
        return render(request, "reports/schedule.html",
                      {**self._context(request, report, values), "existing": found})

    def post(self, request: HttpRequest, uuid: uuid.UUID) -> HttpResponse:
        report = self._report()
        if "remove" in request.POST:
            schedules.schedule_delete(actor=request.user, report=report)
            messages.success(request, _("The report is no longer e-mailed."))
            return HttpResponseRedirect(reverse("reports:report_detail",
                                                kwargs={"uuid": report.uuid}))
        values = {key: request.POST.get(key, "") for key in
                  ("frequency", "time", "timezone", "weekday", "day")}
        values["recipients"] = request.POST.getlist("recipients")
        values["formats"] = request.POST.getlist("formats")
        data = {k: v for k, v in values.items() if v not in ("", None)}
        try:
            schedules.schedule_set(actor=request.user, report=report, data=data)
        except (ValidationError, PermissionDeniedError) as refused:
            context = self._context(request, report, values)
            errors = (dict(refused.message_dict) if isinstance(refused, ValidationError)
                      and hasattr(refused, "error_dict") else {"__all__": [str(refused)]})
            context["general_errors"] = errors.pop("__all__", [])
            context["errors"] = errors
            context["existing"] = ReportSchedule.objects.filter(report=report).first()
            return render(request, "reports/schedule.html", context, status=400)
        messages.success(request, _("Schedule saved."))
        return HttpResponseRedirect(reverse("reports:report_detail",
                                            kwargs={"uuid": report.uuid}))
