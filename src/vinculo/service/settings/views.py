"""The administrator's settings pages for the service desk: queues, SLA policies and business
calendars with their holidays. Thin: forms collect, services decide."""

from __future__ import annotations

import uuid
import zoneinfo
from functools import cache
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views import View

from vinculo.core.forms import apply_service_errors
from vinculo.core.views_base import RecordDeleteView, RecordMixin
from vinculo.core.views_settings import SettingsEditView, SettingsListView
from vinculo.service import services
from vinculo.service.models import BusinessCalendar, Holiday, Queue, SlaPolicy, TicketCategory
from vinculo.service.settings.forms import (
    CalendarForm,
    HolidayForm,
    HolidayImportForm,
    QueueForm,
    SlaPolicyForm,
    TicketTypeForm,
)

# ---- queues ---------------------------------------------------------------------------------


class QueueListView(SettingsListView):
    model = Queue
    permission = "service.manage"
    template_name = "service/settings/queue_list.html"

    def rows(self) -> Any:
        return Queue.objects.select_related("team", "mailbox", "escalate_to").order_by("name")


class QueueEditView(SettingsEditView):
    model = Queue
    permission = "service.manage"
    form_class = QueueForm
    create_service = staticmethod(services.queue_create)
    update_service = staticmethod(services.queue_update)
    instance_kwarg = "queue"
    template_name = "service/settings/queue_form.html"
    detail_url = "service:queue_update"
    title = gettext_lazy("Queue")

    def service_kwargs(self, form: Any) -> dict[str, Any]:
        return {"tier_routes": form.tier_routes_for_service()}


# ---- SLA policies ---------------------------------------------------------------------------


class SlaPolicyListView(SettingsListView):
    model = SlaPolicy
    permission = "service.manage"
    template_name = "service/settings/sla_list.html"

    def rows(self) -> Any:
        return SlaPolicy.objects.select_related("calendar").prefetch_related("targets") \
            .order_by("name")


class SlaPolicyEditView(SettingsEditView):
    model = SlaPolicy
    permission = "service.manage"
    form_class = SlaPolicyForm
    create_service = staticmethod(services.sla_policy_create)
    update_service = staticmethod(services.sla_policy_update)
    instance_kwarg = "policy"
    template_name = "service/settings/sla_form.html"
    detail_url = "service:sla_update"
    title = gettext_lazy("SLA policy")

    def service_kwargs(self, form: Any) -> dict[str, Any]:
        return {"targets": form.targets_for_service()}


# ---- business calendars and holidays --------------------------------------------------------


@cache
def time_zones() -> list[str]:
    return sorted(zoneinfo.available_timezones())


class CalendarListView(SettingsListView):
    model = BusinessCalendar
    permission = "service.manage"
    template_name = "service/settings/calendar_list.html"


class CalendarEditView(SettingsEditView):
    """The calendar's hours; on an existing calendar, its holidays too."""

    model = BusinessCalendar
    permission = "service.manage"
    form_class = CalendarForm
    create_service = staticmethod(services.business_calendar_create)
    update_service = staticmethod(services.business_calendar_update)
    instance_kwarg = "calendar"
    template_name = "service/settings/calendar_form.html"
    detail_url = "service:calendar_update"
    title = gettext_lazy("Business calendar")

    def context(self, form: Any) -> dict[str, Any]:
        context: dict[str, Any] = {"time_zones": time_zones()}
        calendar = form.instance
        if calendar.pk:
            context.update({
                "holidays": list(calendar.holidays.order_by("date")),
                "holiday_form": HolidayForm(),
                "import_form": HolidayImportForm(initial={
                    "country": self.request.user.organization.country,
                    "year": timezone.localdate().year + 1})})
        return context


class HolidayAddView(CalendarEditView):
    """POST a date (and a name) to the calendar in the URL."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, uuid: uuid.UUID) -> HttpResponse:
        calendar = self.get_object()
        page = self.form_class(instance=calendar, user=request.user)
        holiday = HolidayForm(request.POST)
        if holiday.is_valid():
            try:
                services.holiday_create(actor=request.user, calendar=calendar,
                                     date=holiday.cleaned_data["date"],
                                     name=holiday.cleaned_data["name"])
            except ValidationError as exc:
                apply_service_errors(holiday, exc)
            else:
                messages.success(request, _("Holiday added."))
                return self.back(calendar)
        return self.render_form(page, status=400, holiday_form=holiday)

    def back(self, calendar: BusinessCalendar) -> HttpResponse:
        return HttpResponseRedirect(reverse("service:calendar_update",
                                            kwargs={"uuid": calendar.uuid}) + "#holidays")


class HolidayImportView(HolidayAddView):
    """POST a country, a year and optionally a region: their public holidays are added."""

    def post(self, request: HttpRequest, uuid: uuid.UUID) -> HttpResponse:
        calendar = self.get_object()
        page = self.form_class(instance=calendar, user=request.user)
        wanted = HolidayImportForm(request.POST)
        if wanted.is_valid():
            try:
                added = services.holidays_import(actor=request.user, calendar=calendar,
                                                 **wanted.cleaned_data)
            except ValidationError as exc:
                apply_service_errors(wanted, exc)
            else:
                messages.success(request, ngettext(
                    "%(n)d public holiday added.", "%(n)d public holidays added.", added)
                    % {"n": added} if added else _("No new public holidays: they were all "
                                                   "in the calendar already."))
                return self.back(calendar)
        return self.render_form(page, status=400, import_form=wanted)


class HolidayRemoveView(RecordMixin, View):
    """POST: take a holiday out of its calendar."""

    model = Holiday
    permission = "service.manage"
    http_method_names = ["post"]

    def post(self, request: HttpRequest, uuid: uuid.UUID) -> HttpResponse:
        holiday = self.get_object()
        calendar = holiday.calendar
        services.holiday_delete(actor=request.user, holiday=holiday)
        messages.success(request, _("Holiday removed: %(date)s") % {"date": holiday.date})
        return HttpResponseRedirect(reverse("service:calendar_update",
                                            kwargs={"uuid": calendar.uuid}) + "#holidays")


# ---- ticket types ---------------------------------------------------------------------------


class TicketTypeListView(SettingsListView):
    model = TicketCategory
    permission = "service.manage"
    template_name = "service/settings/ticket_type_list.html"

    def rows(self) -> Any:
        return TicketCategory.objects.select_related("queue").order_by("order", "name")


class TicketTypeEditView(SettingsEditView):
    model = TicketCategory
    permission = "service.manage"
    form_class = TicketTypeForm
    create_service = staticmethod(services.ticket_type_create)
    update_service = staticmethod(services.ticket_type_update)
    instance_kwarg = "ticket_type"
    template_name = "service/settings/ticket_type_form.html"
    title = gettext_lazy("Ticket type")

    def success_url(self, record: Any) -> str:
        return reverse("service:ticket_type_list")

    def context(self, form: Any) -> dict[str, Any]:
        return {"back": reverse("service:ticket_type_list")}


class TicketTypeDeleteView(RecordDeleteView):
    """Remove a type no ticket has; for one that tickets have, the confirmation comes back
    (409) saying how many, and offers deactivation instead (never an error page)."""

    model = TicketCategory
    permission = "service.manage"
    delete_service = staticmethod(services.ticket_type_delete)
    deactivate_service = staticmethod(services.ticket_type_deactivate)
    instance_kwarg = "ticket_type"
    list_url = "service:ticket_type_list"
