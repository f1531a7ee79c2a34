"""The service desk's settings pages: business calendars (weekly hours typed as times, holidays
added, removed and imported), SLA policies (targets in minutes or hours) and queues (with the
by-tier routes)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from tests.conftest import make_user
from tests.core.factories import as_user
from tests.service.factories import BusinessCalendarFactory, QueueFactory, SlaPolicyFactory
from vinculo.core.roles import Role
from vinculo.core.services import team_get_or_create
from vinculo.interactions import mailing
from vinculo.service.models import (
    BusinessCalendar,
    Holiday,
    Queue,
    SlaPolicy,
    SlaTarget,
    TierRoute,
)

NOT_ADMINS = [r for r in Role.values if r != Role.ADMIN]

#: The national public holidays of Spain in 2027 (BOE), which the import must add.
SPAIN_2027 = {dt.date(2027, 1, 1), dt.date(2027, 1, 6), dt.date(2027, 3, 26),
              dt.date(2027, 5, 1), dt.date(2027, 10, 12), dt.date(2027, 11, 1),
              dt.date(2027, 12, 6), dt.date(2027, 12, 8), dt.date(2027, 12, 25)}


def calendar_post(**changes) -> dict:
    """Monday to Thursday 09:00–14:00 and 15:00–18:00, Friday 08:00–15:00."""
    data = {"name": "Oficina Madrid", "timezone": "Europe/Madrid"}
    for day in range(4):
        data.update({f"d{day}_0_start": "09:00", f"d{day}_0_end": "14:00",
                     f"d{day}_1_start": "15:00", f"d{day}_1_end": "18:00"})
    data.update({"d4_0_start": "08:00", "d4_0_end": "15:00"})
    data.update(changes)
    return data


def in_scope(admin, fn):
    with as_user(admin):
        return fn()


# ---- business calendars ----------------------------------------------------------------------


@pytest.mark.django_db
def test_weekly_hours_are_typed_as_times_and_stored_as_the_calendar_spec(page, admin):
    response = page.post(reverse("service:calendar_create"), calendar_post(
        d5_0_start="10:00", d5_0_end="00:00"))
    assert response.status_code == 302
    calendar = in_scope(admin, BusinessCalendar.objects.get)
    assert response["Location"] == reverse("service:calendar_update", args=[calendar.uuid])
    assert calendar.weekly_hours == {
        **{str(d): [["09:00", "14:00"], ["15:00", "18:00"]] for d in range(4)},
        "4": [["08:00", "15:00"]], "5": [["10:00", "24:00"]]}
    body = page.get(response["Location"]).content.decode()
    assert 'name="d0_1_start" value="15:00"' in body
    assert 'name="d5_0_end" value="00:00"' in body  # midnight, the end of the day
    assert 'name="d6_0_start"' in body and 'type="time"' in body

    response = page.post(response["Location"], calendar_post(
        d0_1_start="", d0_1_end="", version=calendar.version))
    assert response.status_code == 302
    calendar.refresh_from_db()
    assert calendar.weekly_hours["0"] == [["09:00", "14:00"]]
    assert "5" not in calendar.weekly_hours


@pytest.mark.django_db
def test_a_calendar_stored_with_more_intervals_keeps_them_on_the_page(page, admin):
    hours = {"0": [["08:00", "10:00"], ["11:00", "13:00"], ["14:00", "16:00"]]}
    calendar = BusinessCalendarFactory(actor=admin, hours=hours)
    body = page.get(reverse("service:calendar_update", args=[calendar.uuid])).content.decode()
    assert 'name="d0_2_start" value="14:00"' in body


@pytest.mark.parametrize(("changes", "field", "words"), [
    ({"d1_1_start": "13:30"}, "d1_1_start", "overlaps"),
    ({"d2_0_end": "08:00"}, "d2_0_start", "is not after the start"),
    ({"timezone": "Europe/Atlantis"}, "timezone", "Unknown time zone Europe/Atlantis"),
    ({"d3_1_end": ""}, "d3_1_end", "Give both the start and the end"),
])
@pytest.mark.django_db
def test_bad_hours_name_the_day_and_interval_and_write_nothing(page, admin, changes, field,
                                                              words):
    response = page.post(reverse("service:calendar_create"), calendar_post(**changes))
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert list(errors) == [field] and words in errors[field][0]
    assert words in response.content.decode().replace("&#x27;", "'")
    assert not in_scope(admin, BusinessCalendar.objects.exists)


@pytest.mark.django_db
def test_a_calendar_without_any_hours_and_a_duplicate_name_are_refused(page, admin):
    empty = {k: "" for k in calendar_post() if k.startswith("d")}
    response = page.post(reverse("service:calendar_create"), calendar_post(**empty))
    assert response.status_code == 400
    assert response.context["form"].non_field_errors() == [
        "Working hours: Give at least one working interval."]
    assert page.post(reverse("service:calendar_create"), calendar_post()).status_code == 302
    response = page.post(reverse("service:calendar_create"), calendar_post())
    assert response.status_code == 400
    assert response.context["form"].errors["name"] == ["A calendar with this name exists."]
    assert in_scope(admin, BusinessCalendar.objects.count) == 1


@pytest.mark.django_db
def test_a_stale_calendar_version_is_a_conflict(page, admin):
    calendar = BusinessCalendarFactory(actor=admin)
    url = reverse("service:calendar_update", args=[calendar.uuid])
    assert page.post(url, calendar_post(name="A", version=calendar.version)).status_code == 302
    response = page.post(url, calendar_post(name="B", version=calendar.version))
    assert response.status_code == 409
    calendar.refresh_from_db()
    assert calendar.name == "A"


@pytest.mark.django_db
def test_holidays_are_added_listed_and_removed(page, admin):
    calendar = BusinessCalendarFactory(actor=admin)
    url = reverse("service:calendar_update", args=[calendar.uuid])
    response = page.post(reverse("service:holiday_add", args=[calendar.uuid]), {
        "holiday-date": "2027-05-15", "holiday-name": "San Isidro"})
    assert response.status_code == 302 and response["Location"] == url + "#holidays"
    holiday = in_scope(admin, Holiday.objects.get)
    assert (holiday.calendar, holiday.date, holiday.name) == (
        calendar, dt.date(2027, 5, 15), "San Isidro")
    assert "San Isidro" in page.get(url).content.decode()

    response = page.post(reverse("service:holiday_add", args=[calendar.uuid]), {
        "holiday-date": "2027-05-15", "holiday-name": "Otra vez"})
    assert response.status_code == 400
    assert response.context["holiday_form"].errors["date"] == ["This day is already a holiday."]
    response = page.post(reverse("service:holiday_add", args=[calendar.uuid]),
                         {"holiday-date": "mañana"})
    assert response.status_code == 400 and "date" in response.context["holiday_form"].errors
    assert in_scope(admin, Holiday.objects.count) == 1

    response = page.post(reverse("service:holiday_remove", args=[holiday.uuid]))
    assert response.status_code == 302 and response["Location"] == url + "#holidays"
    assert not in_scope(admin, Holiday.objects.exists)
    assert page.get(reverse("service:holiday_remove", args=[holiday.uuid])).status_code == 405


@pytest.mark.django_db
def test_importing_spanish_holidays_for_2027_adds_the_national_ones_once(page, admin):
    calendar = BusinessCalendarFactory(actor=admin)
    url = reverse("service:holiday_import", args=[calendar.uuid])
    form = page.get(reverse("service:calendar_update", args=[calendar.uuid])).context[
        "import_form"]
    assert form.initial["country"] == "ES"  # the organisation's country

    response = page.post(url, {"import-country": "ES", "import-year": "2027"}, follow=True)
    assert "9 public holidays added." in response.content.decode()
    dates = set(in_scope(admin, lambda: Holiday.objects.values_list("date", flat=True)))
    assert dates == SPAIN_2027
    response = page.post(url, {"import-country": "es", "import-year": "2027"}, follow=True)
    assert "No new public holidays" in response.content.decode()
    assert in_scope(admin, Holiday.objects.count) == 9

    # A region adds its own days, not the national ones again: Madrid has San José, Jueves
    # Santo and the Dos de Mayo (a Sunday in 2027, so held on Monday the 3rd).
    page.post(url, {"import-country": "ES", "import-year": "2027",
                    "import-subdivision": "md"})
    regional = set(in_scope(admin, lambda: Holiday.objects.values_list("date", flat=True)))
    assert regional - SPAIN_2027 == {dt.date(2027, 3, 19), dt.date(2027, 3, 25),
                                     dt.date(2027, 5, 3)}


@pytest.mark.django_db
def test_holiday_names_come_in_the_readers_language(page, admin):
    admin.language = "es"
    admin.save(update_fields=["language"])
    calendar = BusinessCalendarFactory(actor=admin)
    page.post(reverse("service:holiday_import", args=[calendar.uuid]),
              {"import-country": "ES", "import-year": "2027"})
    names = dict(in_scope(admin, lambda: Holiday.objects.values_list("date", "name")))
    assert names[dt.date(2027, 1, 1)] == "Año Nuevo"


@pytest.mark.parametrize(("post", "field", "words"), [
    ({"import-country": "QQ", "import-year": "2027"}, "country", "No public holidays"),
    ({"import-country": "ES", "import-year": "2027", "import-subdivision": "XX"},
     "subdivision", "ES has no region XX"),
    ({"import-country": "ES", "import-year": "dos mil"}, "year", "whole number"),
])
@pytest.mark.django_db
def test_a_bad_import_names_the_field_and_adds_nothing(page, admin, post, field, words):
    calendar = BusinessCalendarFactory(actor=admin)
    response = page.post(reverse("service:holiday_import", args=[calendar.uuid]), post)
    assert response.status_code == 400
    errors = response.context["import_form"].errors
    assert list(errors) == [field] and words in errors[field][0]
    assert not in_scope(admin, Holiday.objects.exists)


# ---- SLA policies ----------------------------------------------------------------------------


def sla_post(calendar=None, **changes) -> dict:
    data = {"name": "Estándar", "tier": "", "calendar": str(calendar.uuid) if calendar else "",
            "warn_percent": 80, "active": "on",
            "urgent_first": 30, "urgent_first_unit": "min",
            "urgent_resolution": 4, "urgent_resolution_unit": "h",
            "high_first": 1, "high_first_unit": "h",
            "high_resolution": 16, "high_resolution_unit": "h",
            "normal_first": "", "normal_first_unit": "h",
            "normal_resolution": "", "normal_resolution_unit": "h",
            "low_first": "", "low_first_unit": "h", "low_resolution": "",
            "low_resolution_unit": "h"}
    data.update(changes)
    return data


def targets_of(admin, policy) -> dict:
    with as_user(admin):
        return {t.priority: (t.first_response_minutes, t.resolution_minutes)
                for t in policy.targets.all()}


@pytest.mark.django_db
def test_a_policy_takes_targets_in_minutes_or_hours(page, admin):
    calendar = BusinessCalendarFactory(actor=admin)
    response = page.post(reverse("service:sla_create"), sla_post(calendar, tier="gold"))
    assert response.status_code == 302
    policy = in_scope(admin, SlaPolicy.objects.get)
    assert (policy.tier, policy.calendar, policy.warn_percent) == ("gold", calendar, 80)
    assert targets_of(admin, policy) == {"urgent": (30, 240), "high": (60, 960)}

    form = page.get(response["Location"]).context["form"]
    assert (form.initial["urgent_first"], form.initial["urgent_first_unit"]) == (30, "min")
    assert (form.initial["high_resolution"], form.initial["high_resolution_unit"]) == (16, "h")

    response = page.post(response["Location"], sla_post(
        None, high_first="", high_resolution="", normal_first="1.5", normal_resolution="2",
        normal_resolution_unit="h", version=policy.version))
    assert response.status_code == 302
    policy.refresh_from_db()
    assert policy.calendar is None
    assert targets_of(admin, policy) == {"urgent": (30, 240), "normal": (90, 120)}
    assert "Around the clock" in page.get(reverse("service:sla_list")).content.decode()


@pytest.mark.parametrize(("changes", "field", "words"), [
    ({"high_first": "0"}, "high_first", "Targets are positive numbers of minutes."),
    ({"high_first": "-2"}, "high_first", "Targets are positive numbers of minutes."),
    ({"high_resolution": ""}, "high_first", "Targets are positive numbers of minutes."),
    ({"urgent_first": "5", "urgent_first_unit": "h"}, "urgent_first",
     "The first response cannot be due after the resolution."),
    ({"warn_percent": "0"}, "warn_percent", "Between 1 and 100."),
    ({"warn_percent": "120"}, "warn_percent", "Between 1 and 100."),
    ({"name": ""}, "name", "This field is required."),
])
@pytest.mark.django_db
def test_bad_targets_name_the_priority_and_write_nothing(page, admin, changes, field, words):
    response = page.post(reverse("service:sla_create"), sla_post(**changes))
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert list(errors) == [field] and errors[field] == [words]
    assert not in_scope(admin, SlaPolicy.objects.exists)
    assert not in_scope(admin, SlaTarget.objects.exists)


@pytest.mark.django_db
def test_an_edit_with_bad_targets_keeps_the_old_ones(page, admin):
    policy = SlaPolicyFactory(actor=admin)
    before = targets_of(admin, policy)
    response = page.post(reverse("service:sla_update", args=[policy.uuid]), sla_post(
        name="Cambiada", high_first="0", version=policy.version))
    assert response.status_code == 400
    policy.refresh_from_db()
    assert (policy.name, policy.version, targets_of(admin, policy)) == ("Estándar", 1, before)


@pytest.mark.django_db
def test_a_calendar_of_another_organisation_cannot_be_chosen(page, other_admin):
    foreign = BusinessCalendarFactory(actor=other_admin, name="Ajeno")
    response = page.post(reverse("service:sla_create"), sla_post(foreign))
    assert response.status_code == 400 and "calendar" in response.context["form"].errors


# ---- queues ----------------------------------------------------------------------------------


def queue_post(**changes) -> dict:
    data = {"name": "Soporte", "team": "", "assignment": "manual", "mailbox": "",
            "escalate_to": "", "route_platinum": "", "route_gold": "", "route_silver": "",
            "route_standard": ""}
    data.update(changes)
    return data


@pytest.mark.django_db
def test_an_administrator_sets_up_a_queue_with_routes_by_tier(page, admin, users, org):
    agent = make_user(org, Role.SERVICE_AGENT, "agente2@acme.test")
    with as_user(admin):
        mailbox = mailing.mailbox_create(actor=admin, data={"name": "Soporte",
                                                          "address": "soporte@acme.test"})
    response = page.post(reverse("service:queue_create"), queue_post(
        team="North", assignment="by_tier", mailbox=str(mailbox.uuid),
        default_for=["request", "complaint"], escalate_to=str(admin.uuid),
        route_platinum=str(users[Role.SERVICE_AGENT].uuid), route_gold=str(agent.uuid)))
    assert response.status_code == 302
    queue = in_scope(admin, Queue.objects.get)
    assert (queue.team.name, queue.assignment, queue.mailbox, queue.escalate_to) == (
        "North", "by_tier", mailbox, admin)
    assert queue.default_for == ["request", "complaint"]
    routes = {r.tier: r.agent for r in in_scope(admin, TierRoute.objects.all)}
    assert routes == {"platinum": users[Role.SERVICE_AGENT], "gold": agent}

    body = page.get(response["Location"]).content.decode()
    assert f'<option value="{agent.uuid}" selected>' in body
    assert '<option value="North" selected>' in body
    body = page.get(reverse("service:queue_list")).content.decode()
    assert "soporte@acme.test" in body and "By customer tier" in body

    response = page.post(response["Location"], queue_post(
        assignment="manual", route_gold=str(agent.uuid), version=queue.version))
    assert response.status_code == 302
    routes = {r.tier: r.agent for r in in_scope(admin, TierRoute.objects.all)}
    assert routes == {"gold": agent}


@pytest.mark.parametrize(("changes", "field", "words"), [
    ({"assignment": "round_robin"}, "team", "Round robin needs a team to take turns."),
    ({"default_for": ["refund"]}, "default_for", "Select a valid choice."),
    ({"name": ""}, "name", "This field is required."),
])
@pytest.mark.django_db
def test_bad_queue_input_names_the_field_and_writes_nothing(page, admin, changes, field, words):
    response = page.post(reverse("service:queue_create"), queue_post(**changes))
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert list(errors) == [field] and words in errors[field][0]
    assert not in_scope(admin, Queue.objects.exists)


@pytest.mark.django_db
def test_queue_names_are_unique_and_people_of_another_organisation_are_not_offered(
        page, admin, other_admin):
    assert page.post(reverse("service:queue_create"), queue_post()).status_code == 302
    response = page.post(reverse("service:queue_create"), queue_post())
    assert response.status_code == 400
    assert response.context["form"].errors["name"] == ["A queue with this name exists."]
    team_get_or_create(organization=other_admin.organization, name="Ajenos")
    response = page.post(reverse("service:queue_create"), queue_post(
        name="Otra", escalate_to=str(other_admin.uuid), route_gold=str(other_admin.uuid),
        team="Ajenos"))
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"escalate_to", "route_gold", "team"}
    assert in_scope(admin, Queue.objects.count) == 1


# ---- who may use these pages -----------------------------------------------------------------


@pytest.mark.django_db
def test_only_administrators_may_open_the_settings_pages(client, users, admin):
    calendar = BusinessCalendarFactory(actor=admin)
    policy = SlaPolicyFactory(actor=admin, cal=calendar)
    queue = QueueFactory(actor=admin)
    with as_user(admin):
        from vinculo.service import services
        holiday = services.holiday_create(actor=admin, calendar=calendar,
                                       date=dt.date(2027, 1, 1))
    urls = [("get", reverse(f"service:{name}")) for name in (
        "queue_list", "queue_create", "sla_list", "sla_create", "calendar_list",
        "calendar_create")]
    urls += [("post", reverse(f"service:{name}")) for name in (
        "queue_create", "sla_create", "calendar_create")]
    for name, record in (("queue_update", queue), ("sla_update", policy),
                         ("calendar_update", calendar)):
        urls += [("get", reverse(f"service:{name}", args=[record.uuid])),
                 ("post", reverse(f"service:{name}", args=[record.uuid]))]
    urls += [("post", reverse("service:holiday_add", args=[calendar.uuid])),
             ("post", reverse("service:holiday_import", args=[calendar.uuid])),
             ("post", reverse("service:holiday_remove", args=[holiday.uuid]))]
    for role in NOT_ADMINS:
        client.force_login(users[role])
        for method, url in urls:
            assert getattr(client, method)(url).status_code == 403, (role, method, url)
    assert in_scope(admin, Holiday.objects.count) == 1
    client.force_login(admin)
    for method, url in urls:
        if method == "get":
            assert client.get(url).status_code == 200, url
