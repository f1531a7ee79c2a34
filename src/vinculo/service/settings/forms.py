"""Forms of the service desk's settings pages: business calendars (weekly hours as time
inputs, holidays), SLA policies (a targets table in minutes or hours) and queues (with the
by-tier routes). They turn what a person types into what the services take; the services
check it."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import dates
from django.utils.translation import gettext_lazy as _

from vinculo.core.forms_settings import SettingsForm, users_field
from vinculo.core.models import Team
from vinculo.core.pickers import style
from vinculo.customers.models import ServiceTier
from vinculo.interactions.models import Mailbox
from vinculo.service.models import (
    PRIORITY_ORDER,
    BusinessCalendar,
    Priority,
    Queue,
    SlaPolicy,
    TicketCategory,
    TicketType,
)
from vinculo.service.services import QUEUE_FIELDS, TICKET_TYPE_FIELDS

#: Intervals a weekday offers on the page (more when a stored calendar has more).
SLOTS_PER_DAY = 2
#: Where ``business_hours`` says what is wrong: ``weekly[2][1]: …`` (weekday 2, interval 1).
WEEKLY_ERROR = re.compile(r"^weekly\[(\d)\](?:\[(\d+)\])?")


def _time_field() -> forms.TimeField:
    return forms.TimeField(required=False, widget=forms.TimeInput(
        attrs={"type": "time"}, format="%H:%M"))


class CalendarForm(SettingsForm):
    """Name, time zone, and per weekday up to two intervals of time inputs (more when a stored
    calendar has more). An end of 00:00 means midnight, the end of the day."""

    model = BusinessCalendar
    field_names = ("name", "timezone")

    def setup(self) -> None:
        stored = self.instance.weekly_hours or {}
        self.slots = max([SLOTS_PER_DAY, *(len(v) for v in stored.values())])
        for day in range(7):
            intervals = stored.get(str(day), [])
            for slot in range(self.slots):
                start, end = f"d{day}_{slot}_start", f"d{day}_{slot}_end"
                self.fields[start], self.fields[end] = _time_field(), _time_field()
                self.fields[start].label = _("%(day)s, from") % {"day": dates.WEEKDAYS[day]}
                self.fields[end].label = _("%(day)s, until") % {"day": dates.WEEKDAYS[day]}
                if slot < len(intervals) and self.instance.pk:
                    self.initial[start] = intervals[slot][0]
                    self.initial[end] = "00:00" if intervals[slot][1] == "24:00" \
                        else intervals[slot][1]
        self.fields["timezone"].widget.attrs["list"] = "timezones"
        self.fields["timezone"].help_text = _("Where the hours are kept, e.g. Europe/Madrid.")

    def days(self) -> list[tuple[str, list[tuple[Any, Any]]]]:
        """For the page: each weekday's name and its (start, end) bound fields."""
        return [(dates.WEEKDAYS[day], [(self[f"d{day}_{slot}_start"], self[f"d{day}_{slot}_end"])
                                       for slot in range(self.slots)]) for day in range(7)]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        weekly: dict[str, list[list[str]]] = {}
        self.sent_slots: dict[tuple[int, int], int] = {}
        for day in range(7):
            for slot in range(self.slots):
                start = data.get(f"d{day}_{slot}_start")
                end = data.get(f"d{day}_{slot}_end")
                if f"d{day}_{slot}_start" in self.errors or f"d{day}_{slot}_end" in self.errors:
                    continue
                if start is None and end is None:
                    continue
                if start is None or end is None:
                    self.add_error(f"d{day}_{slot}_start" if start is None
                                   else f"d{day}_{slot}_end",
                                   _("Give both the start and the end of the interval."))
                    continue
                self.sent_slots[day, len(weekly.get(str(day), []))] = slot
                until = "24:00" if end.hour == 0 and end.minute == 0 else f"{end:%H:%M}"
                weekly.setdefault(str(day), []).append([f"{start:%H:%M}", until])
        data["weekly_hours"] = weekly
        return data

    def data_for_service(self) -> dict[str, Any]:
        return {"name": self.cleaned_data["name"], "timezone": self.cleaned_data["timezone"],
                "weekly_hours": self.cleaned_data["weekly_hours"]}

    def show_service_errors(self, exc: ValidationError) -> None:
        """Working-hours errors name a weekday and interval: shown on that interval."""
        messages = getattr(exc, "message_dict", {}).get("weekly_hours")
        if not messages:
            super().show_service_errors(exc)
            return
        for message in messages:
            found = WEEKLY_ERROR.match(message)
            if found is None:
                self.add_error(None, _("Working hours: %(error)s") % {"error": message})
                continue
            day = int(found.group(1))
            slot = self.sent_slots.get((day, int(found.group(2) or 0)), 0)
            self.add_error(f"d{day}_{slot}_start", message)


class HolidayForm(forms.Form):
    date = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    name = forms.CharField(label=_("Name"), max_length=100, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, prefix="holiday", **kwargs)
        style(self)


class HolidayImportForm(forms.Form):
    """Which public holidays to add: a country (ISO code), a year, optionally a region."""

    country = forms.CharField(label=_("Country"), max_length=2,
                              help_text=_("ISO code, e.g. ES, MX, AR."))
    year = forms.IntegerField(label=_("Year"))
    subdivision = forms.CharField(label=_("Region"), max_length=10, required=False,
                                  help_text=_("Optional, e.g. MD (Madrid), CT (Catalonia)."))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, prefix="import", **kwargs)
        style(self)


# ---- SLA policies ---------------------------------------------------------------------------

UNITS = [("min", _("minutes")), ("h", _("hours"))]


def _amount_field() -> forms.DecimalField:
    return forms.DecimalField(required=False, max_digits=9, decimal_places=2,
                              widget=forms.NumberInput(attrs={"step": "any"}))


def _in_minutes(amount: Decimal | None, unit: str) -> int | str:
    if amount is None:
        return ""
    return int((amount * (60 if unit == "h" else 1)).to_integral_value())


class SlaPolicyForm(SettingsForm):
    """The policy's fields and, per priority, first response and resolution targets."""

    model = SlaPolicy
    field_names = ("name", "tier", "calendar", "warn_percent", "active")
    error_fields = {f"targets.{p}": f"{p}_first" for p in PRIORITY_ORDER}

    def setup(self) -> None:
        calendar = self.fields["calendar"]
        calendar.queryset = BusinessCalendar.objects.order_by("name")
        calendar.to_field_name = "uuid"
        calendar.empty_label = _("Around the clock")
        self.fields["tier"].choices = [("", _("Any tier")), *ServiceTier.choices]
        targets = {t.priority: t for t in self.instance.targets.all()} \
            if self.instance.pk else {}
        for priority in PRIORITY_ORDER:
            for clock in ("first", "resolution"):
                self.fields[f"{priority}_{clock}"] = _amount_field()
                self.fields[f"{priority}_{clock}_unit"] = forms.ChoiceField(
                    choices=UNITS, initial="h", widget=forms.Select(attrs={
                        "aria-label": _("unit"), "style": "flex: 0 0 6.5rem"}))
                target = targets.get(priority)
                if target is None:
                    continue
                minutes = target.first_response_minutes if clock == "first" \
                    else target.resolution_minutes
                hours = minutes % 60 == 0
                self.initial[f"{priority}_{clock}"] = minutes // 60 if hours else minutes
                self.initial[f"{priority}_{clock}_unit"] = "h" if hours else "min"
            self.fields[f"{priority}_first"].label = _("%(priority)s: first response") % {
                "priority": Priority(priority).label}
            self.fields[f"{priority}_resolution"].label = _("%(priority)s: resolution") % {
                "priority": Priority(priority).label}

    def rows(self) -> list[tuple[str, list[tuple[Any, Any, str]]]]:
        """For the page: per priority, its label and (amount, unit, heading) per clock."""
        return [(Priority(p).label, [
            (self[f"{p}_first"], self[f"{p}_first_unit"], _("First response")),
            (self[f"{p}_resolution"], self[f"{p}_resolution_unit"], _("Resolution"))])
            for p in PRIORITY_ORDER]

    def targets_for_service(self) -> dict[str, tuple[int | str, int | str]]:
        """Minutes per priority; a priority with neither target filled in has none."""
        data = self.cleaned_data
        targets = {}
        for priority in PRIORITY_ORDER:
            first, resolution = data.get(f"{priority}_first"), data.get(f"{priority}_resolution")
            if first is None and resolution is None:
                continue
            targets[priority] = (_in_minutes(first, data.get(f"{priority}_first_unit", "min")),
                                 _in_minutes(resolution,
                                             data.get(f"{priority}_resolution_unit", "min")))
        return targets


# ---- queues ---------------------------------------------------------------------------------


class QueueForm(SettingsForm):
    """The queue's fields and, for by-tier assignment, the agent of each customer tier."""

    model = Queue
    field_names = QUEUE_FIELDS
    error_fields = {f"tier_routes.{t}": f"route_{t}" for t in ServiceTier.values}

    default_for = forms.MultipleChoiceField(
        label=_("Default queue for"), required=False, choices=TicketType.choices,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
        help_text=_("Tickets of these types come here when no queue is given."))

    def setup(self) -> None:
        team = self.fields["team"]
        team.queryset = Team.objects.order_by("name")
        team.to_field_name = "name"
        team.help_text = _("Round robin takes turns among its members.")
        mailbox = self.fields["mailbox"]
        mailbox.queryset = Mailbox.objects.order_by("name")
        mailbox.to_field_name = "uuid"
        users_field(self.fields["escalate_to"], self.user)
        self.fields["escalate_to"].help_text = _(
            "Takes the queue's tickets that breach their SLA. Empty: the assignee is told "
            "(the administrators, when nobody is assigned).")
        routes = {r.tier: r.agent for r in self.instance.tier_routes.select_related("agent")} \
            if self.instance.pk else {}
        for tier, label in ServiceTier.choices:
            field = forms.ModelChoiceField(queryset=None, required=False, label=label)
            users_field(field, self.user)
            self.fields[f"route_{tier}"] = field
            if tier in routes:
                self.initial[f"route_{tier}"] = routes[tier]

    def routes(self) -> list[Any]:
        return [self[f"route_{tier}"] for tier in ServiceTier.values]

    def tier_routes_for_service(self) -> dict[str, Any]:
        """The agent of each tier (None: no route for that tier)."""
        return {tier: self.cleaned_data.get(f"route_{tier}") for tier in ServiceTier.values}


# ---- ticket types ---------------------------------------------------------------------------


class TicketTypeForm(SettingsForm):
    """A ticket type: its name, the kind it counts as, the queue its tickets go to."""

    model = TicketCategory
    field_names = TICKET_TYPE_FIELDS

    def setup(self) -> None:
        queue = self.fields["queue"]
        queue.queryset = Queue.objects.order_by("name")
        queue.to_field_name = "uuid"
