"""Business calendars and their holidays: changing one moves the SLA due times of the open
tickets that count in it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from vinculo.core.models import User
from vinculo.core.services import (
    org_id,
    refuse_unknown,
    require,
    same_org,
    versioned_save,
)
from vinculo.service import business_hours as bh
from vinculo.service.models import (
    OPEN_STATUSES,
    BusinessCalendar,
    Holiday,
    SlaPolicy,
    Ticket,
)
from vinculo.service.services.sla import SLA_FIELDS, _sla_apply

# ---- business calendars ---------------------------------------------------------------------


def _spec_message(error: bh.SpecError) -> str:
    """What is wrong with working hours, in the reader's language."""
    p = error.params
    messages = {
        "unknown_zone": lambda: _("Unknown time zone %(zone)s.") % {"zone": p.get("value")},
        "bad_time": lambda: _("%(value)s is not a time between 00:00 and 24:00.")
        % {"value": p.get("value")},
        "end_before_start": lambda: _("The end, %(end)s, is not after the start, %(start)s.")
        % {"end": p["end"], "start": p["start"]},
        "overlap": lambda: _("%(interval)s overlaps %(other)s on the same day.")
        % {"interval": p["interval"], "other": p["other"]},
        "no_working_time": lambda: _("Give at least one working interval."),
        "midnight_start": lambda: _("24:00 can only end an interval."),
    }
    message = messages.get(error.code)
    return message() if message else str(error)


def calendar_spec_check(
    *, timezone_name: str, weekly_hours: Mapping[int | str, Sequence[Sequence[str]]]
) -> None:
    """Refuse working hours that do not make a calendar, naming the day and interval.

    The message starts with where the problem is (``weekly[2][1]: …``) so that a form can
    show it beside that weekday's interval.
    """
    try:
        bh.BusinessCalendar.from_spec(timezone=timezone_name, weekly=weekly_hours)
    except bh.SpecError as exc:
        if exc.where == "timezone":
            raise ValidationError({"timezone": _spec_message(exc)}) from None
        where = f"{exc.where}: " if "[" in exc.where else ""
        raise ValidationError({"weekly_hours": where + _spec_message(exc)}) from None
    except ValueError as exc:  # a malformed structure (API callers): say it as it is
        raise ValidationError({"weekly_hours": str(exc)}) from None


def business_calendar_create(*, actor: User, data: dict[str, Any]) -> BusinessCalendar:
    """A new business calendar."""
    return _business_calendar_save(actor=actor, data=data)


def business_calendar_update(*, actor: User, calendar: BusinessCalendar, data: dict[str, Any],
                             expected_version: int | None) -> BusinessCalendar:
    """Change a calendar; open tickets on it get their SLA due times again. Refused
    (``ConflictError``) when the calendar is no longer at ``expected_version``."""
    return _business_calendar_save(actor=actor, data=data, calendar=calendar,
                                   expected_version=expected_version)


@transaction.atomic
def _business_calendar_save(*, actor: User, data: dict[str, Any],
                            calendar: BusinessCalendar | None = None,
                            expected_version: int | None = None) -> BusinessCalendar:
    require(actor, "service.manage")
    refuse_unknown(data, ("name", "timezone", "weekly_hours"))
    creating = calendar is None
    calendar = calendar or BusinessCalendar(organization_id=org_id(actor))
    for key, value in data.items():
        setattr(calendar, key, value)
    calendar_spec_check(timezone_name=calendar.timezone, weekly_hours=calendar.weekly_hours)
    if not (calendar.name or "").strip():
        raise ValidationError({"name": _("Give the calendar a name.")})
    clash = BusinessCalendar.objects.filter(name=calendar.name).exclude(pk=calendar.pk)
    if clash.exists():
        raise ValidationError({"name": _("A calendar with this name exists.")})
    if creating:
        calendar.save()
        return calendar
    versioned_save(calendar, expected_version=expected_version, fields=list(data))
    _calendar_changed(calendar)
    return calendar


def _calendar_changed(calendar: BusinessCalendar) -> None:
    policies = SlaPolicy.all_objects.filter(calendar=calendar)
    tickets = Ticket.all_objects.filter(sla_policy__in=policies, status__in=OPEN_STATUSES)
    for ticket in tickets.select_related("sla_policy__calendar").iterator(chunk_size=500):
        _sla_apply(ticket)
        ticket.save(update_fields=SLA_FIELDS)


@transaction.atomic
def holiday_create(*, actor: User, calendar: BusinessCalendar, date: dt.date,
                   name: str = "") -> Holiday:
    require(actor, "service.manage")
    same_org(org_id(actor), calendar=calendar)
    if Holiday.all_objects.filter(calendar=calendar, date=date).exists():
        raise ValidationError({"date": _("This day is already a holiday.")})
    holiday = Holiday.objects.create(organization_id=calendar.organization_id,
                                     calendar=calendar, date=date, name=name[:100])
    versioned_save(calendar, expected_version=None, fields=[])
    _calendar_changed(calendar)
    return holiday


@transaction.atomic
def holiday_delete(*, actor: User, holiday: Holiday) -> None:
    require(actor, "service.manage")
    calendar = holiday.calendar
    holiday.delete()
    versioned_save(calendar, expected_version=None, fields=[])
    _calendar_changed(calendar)


@transaction.atomic
def holidays_import(*, actor: User, calendar: BusinessCalendar, country: str, year: int,
                    subdivision: str = "") -> int:
    """Add a country's (and region's) public holidays of ``year``; returns how many were new.

    Days already in the calendar are left as they are, so a second import adds none.
    """
    import holidays as public_holidays
    from django.utils import translation

    require(actor, "service.manage")
    same_org(org_id(actor), calendar=calendar)
    country = (country or "").strip().upper()
    subdivision = (subdivision or "").strip()
    known = public_holidays.list_supported_countries()
    if country not in known:
        raise ValidationError({"country": _("No public holidays are known for %(c)s.")
                               % {"c": country or "—"}})
    regions = {code.upper(): code for code in known[country]}
    if subdivision and subdivision.upper() not in regions:
        raise ValidationError({"subdivision": _("%(country)s has no region %(region)s; the "
                                                "known ones are %(known)s.") % {
            "country": country, "region": subdivision, "known": ", ".join(known[country])}})
    if not isinstance(year, int) or not 1900 <= year <= 2100:
        raise ValidationError({"year": _("A year between 1900 and 2100.")})
    subdiv = regions[subdivision.upper()] if subdivision else None
    supported = public_holidays.country_holidays(country).supported_languages
    active = (translation.get_language() or "").replace("-", "_")
    language = next((code for code in supported if code.lower() == active.lower()), None) or \
        next((code for code in supported if code.split("_")[0] == active.split("_")[0]), None)
    # Names in the reader's language where the library has it.
    days = public_holidays.country_holidays(country, years=year, subdiv=subdiv,
                                            language=language)
    existing = set(Holiday.all_objects.filter(calendar=calendar).values_list("date", flat=True))
    new = [Holiday(organization_id=calendar.organization_id, calendar=calendar, date=day,
                   name=str(name)[:100]) for day, name in sorted(days.items())
           if day not in existing]
    Holiday.objects.bulk_create(new)
    if new:
        versioned_save(calendar, expected_version=None, fields=[])
        _calendar_changed(calendar)
    return len(new)
