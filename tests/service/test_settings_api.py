"""The API of the service desk's settings: queues (readable by everyone who sees tickets),
SLA policies, business calendars and holidays; administrators write, errors name the field,
a stale version is a conflict."""

from __future__ import annotations

import datetime as dt

import pytest

from tests import factories
from tests.conftest import make_user, token_client
from tests.service import helpers
from vinculo.core.roles import Role
from vinculo.core.services import team_get_or_create
from vinculo.service.models import BusinessCalendar, Holiday, Queue, SlaTarget

NOT_ADMINS = [r for r in Role.values if r != Role.ADMIN]
HOURS = {"0": [["09:00", "14:00"], ["15:00", "18:00"]], "4": [["08:00", "15:00"]]}


def count(admin, model) -> int:
    with factories.as_user(admin):
        return model.objects.count()


@pytest.mark.django_db
def test_calendars_and_holidays_through_the_api(api, admin):
    response = api.post("/api/business-calendars/", {
        "name": "Madrid", "timezone": "Europe/Madrid", "weekly_hours": HOURS}, format="json")
    assert response.status_code == 201
    calendar = response.json()
    assert (calendar["weekly_hours"], calendar["holidays"], calendar["version"]) == (HOURS, [], 1)
    url = f"/api/business-calendars/{calendar['id']}/"

    response = api.post("/api/holidays/", {"calendar": calendar["id"], "date": "2027-05-15",
                                           "name": "San Isidro"}, format="json")
    assert response.status_code == 201
    holiday = response.json()
    response = api.post("/api/holidays/", {"calendar": calendar["id"], "date": "2027-05-15"},
                        format="json")
    assert response.status_code == 400
    assert response.json() == {"date": ["This day is already a holiday."]}
    listed = api.get(f"/api/holidays/?calendar={calendar['id']}").json()["results"]
    assert [(h["date"], h["name"]) for h in listed] == [("2027-05-15", "San Isidro")]
    assert api.get("/api/holidays/?calendar=nada").json()["results"] == []

    response = api.post(url + "import-holidays/", {"country": "ES", "year": 2027},
                        format="json")
    assert response.json() == {"added": 9}
    assert api.post(url + "import-holidays/", {"country": "ES", "year": 2027},
                    format="json").json() == {"added": 0}
    response = api.post(url + "import-holidays/", {"country": "ES", "year": 2027,
                                                   "subdivision": "Narnia"}, format="json")
    assert response.status_code == 400 and list(response.json()) == ["subdivision"]
    assert len(api.get(url).json()["holidays"]) == 10

    assert api.delete(f"/api/holidays/{holiday['id']}/").status_code == 204
    assert count(admin, Holiday) == 9

    # Holidays moved the calendar's version: an update from the first read is stale.
    response = api.patch(url, {"name": "Madrid centro", "version": 1}, format="json")
    assert response.status_code == 409
    current = api.get(url).json()["version"]
    response = api.patch(url, {"name": "Madrid centro", "version": current}, format="json")
    assert response.status_code == 200 and response.json()["name"] == "Madrid centro"


@pytest.mark.parametrize(("payload", "field", "words"), [
    ({"weekly_hours": {"1": [["09:00", "14:00"], ["13:00", "18:00"]]}}, "weekly_hours",
     "weekly[1][1]: 13:00–18:00 overlaps 09:00–14:00 on the same day."),
    ({"weekly_hours": {"8": [["09:00", "14:00"]]}}, "weekly_hours", "unknown weekday"),
    ({"timezone": "Mars/Olympus"}, "timezone", "Unknown time zone Mars/Olympus"),
    ({"name": ""}, "name", ""),
])
@pytest.mark.django_db
def test_bad_calendars_are_refused_naming_the_field(api, admin, payload, field, words):
    data = {"name": "Madrid", "timezone": "Europe/Madrid", "weekly_hours": HOURS, **payload}
    response = api.post("/api/business-calendars/", data, format="json")
    assert response.status_code == 400
    assert list(response.json()) == [field] and words in response.json()[field][0]
    assert count(admin, BusinessCalendar) == 0


@pytest.mark.django_db
def test_sla_policies_through_the_api(api, admin, other_admin):
    calendar = helpers.calendar(admin)
    targets = {"urgent": {"first_response_minutes": 30, "resolution_minutes": 240},
               "normal": {"first_response_minutes": 240, "resolution_minutes": 2400}}
    response = api.post("/api/sla-policies/", {
        "name": "Oro", "tier": "gold", "calendar": str(calendar.uuid), "warn_percent": 75,
        "targets": targets}, format="json")
    assert response.status_code == 201
    policy = response.json()
    assert (policy["targets"], policy["calendar"]) == (targets, str(calendar.uuid))
    url = f"/api/sla-policies/{policy['id']}/"

    for bad, key, words in (
            ({"urgent": {"first_response_minutes": 0, "resolution_minutes": 60}},
             "targets.urgent", "positive"),
            ({"high": {"first_response_minutes": 600, "resolution_minutes": 60}},
             "targets.high", "cannot be due after the resolution"),
            ({"someday": {"first_response_minutes": 6, "resolution_minutes": 60}},
             "targets.someday", "Unknown priority")):
        response = api.patch(url, {"targets": bad, "version": 1}, format="json")
        assert response.status_code == 400
        assert list(response.json()) == [key] and words in response.json()[key][0]
    response = api.patch(url, {"calendar": str(helpers.calendar(other_admin).uuid),
                               "version": 1}, format="json")
    assert response.status_code == 400 and list(response.json()) == ["calendar"]
    response = api.patch(url, {"warn_percent": 0, "version": 1}, format="json")
    assert response.json() == {"warn_percent": ["Between 1 and 100."]}
    assert api.get(url).json()["targets"] == targets
    assert api.get(url).json()["version"] == 1

    response = api.patch(url, {"targets": {"low": {"first_response_minutes": 480,
                                                   "resolution_minutes": 4800}},
                               "version": 1}, format="json")
    assert response.status_code == 200
    assert list(response.json()["targets"]) == ["low"]
    assert api.patch(url, {"name": "Plata", "version": 1}, format="json").status_code == 409
    assert count(admin, SlaTarget) == 1


@pytest.mark.django_db
def test_queues_through_the_api(api, admin, users, org, other_admin):
    agent = users[Role.SERVICE_AGENT]
    team_get_or_create(organization=org, name="Soporte N1")
    response = api.post("/api/queues/", {
        "name": "Soporte", "team": "Soporte N1", "assignment": "by_tier",
        "default_for": ["incident"], "escalate_to": str(admin.uuid),
        "tier_routes": {"gold": str(agent.uuid)}}, format="json")
    assert response.status_code == 201, response.json()
    queue = response.json()
    assert (queue["team"], queue["tier_routes"]) == ("Soporte N1", {"gold": str(agent.uuid)})
    url = f"/api/queues/{queue['id']}/"

    other = make_user(org, Role.SERVICE_AGENT, "otro@acme.test")
    response = api.patch(url, {"tier_routes": {"gold": None, "silver": str(other.uuid)},
                               "version": 1}, format="json")
    assert response.status_code == 200
    assert response.json()["tier_routes"] == {"silver": str(other.uuid)}

    for payload, key in (({"name": "Soporte"}, "name"),
                         ({"name": "B", "default_for": ["refund"]}, "default_for"),
                         ({"name": "B", "assignment": "round_robin"}, "team"),
                         ({"name": "B", "tier_routes": {"diamond": str(agent.uuid)}},
                          "tier_routes.diamond"),
                         ({"name": "B", "escalate_to": str(other_admin.uuid)}, "escalate_to"),
                         ({"name": "B", "tier_routes": {"gold": str(other_admin.uuid)}},
                          "tier_routes")):
        response = api.post("/api/queues/", payload, format="json")
        assert response.status_code == 400 and list(response.json()) == [key], payload
    assert count(admin, Queue) == 1


@pytest.mark.django_db
def test_everyone_who_sees_tickets_reads_the_settings_only_administrators_change_them(
        api, admin, users):
    calendar = helpers.calendar(admin)
    policy = helpers.policy(admin, cal=calendar)
    queue = helpers.queue(admin)
    with factories.as_user(admin):
        from vinculo.service import services
        holiday = services.holiday_create(actor=admin, calendar=calendar, date=dt.date(2027, 1, 1))
    records = {"queues": queue, "sla-policies": policy, "business-calendars": calendar,
               "holidays": holiday}
    calendar.refresh_from_db()
    versions = [(record, record.version) for record in (calendar, policy, queue)]
    for role in NOT_ADMINS:
        client = token_client(users[role])
        for name, record in records.items():
            assert client.get(f"/api/{name}/").status_code == 200, (role, name)
            assert client.get(f"/api/{name}/{record.uuid}/").status_code == 200, (role, name)
            assert client.post(f"/api/{name}/", {"name": "X"},
                               format="json").status_code == 403, (role, name)
            if name != "holidays":
                assert client.patch(f"/api/{name}/{record.uuid}/", {"name": "X", "version": 1},
                                    format="json").status_code == 403, (role, name)
        assert client.delete(f"/api/holidays/{holiday.uuid}/").status_code == 403
        assert client.post(f"/api/business-calendars/{calendar.uuid}/import-holidays/", {
            "country": "ES", "year": 2027}, format="json").status_code == 403
    assert count(admin, Holiday) == 1
    for record, version in versions:
        record.refresh_from_db()
        assert record.version == version
    assert api.get("/api/queues/").json()["results"][0]["name"] == "Soporte"
