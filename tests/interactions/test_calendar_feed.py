"""The per-user iCalendar feed (RFC 5545): made on the settings page, read by calendar apps at a
secret address, parsed back here with the ``icalendar`` package (a different library from the
one that writes it)."""

from __future__ import annotations

import datetime as dt
import re

import icalendar
import pytest
import vobject
from django.utils import timezone

from tests.conftest import make_user
from tests.core.factories import as_user
from tests.customers.factories import ContactFactory
from tests.interactions.factories import TaskFactory
from vinculo.core.roles import Role
from vinculo.interactions.agenda import services


def make_address(client) -> str:
    response = client.post("/interactions/calendar/feed/", {"action": "rotate"})
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    match = re.search(r'id="feed-url" readonly value="([^"]+)"', response.content.decode())
    assert match, "the page shows the address once"
    return match.group(1)


def path_of(url: str) -> str:
    return re.sub(r"^https?://[^/]+", "", url)


@pytest.mark.django_db
def test_feed_is_valid_rfc5545_with_the_users_open_tasks_only(client, users, other_admin,
                                                               settings):
    settings.SITE_URL = "https://crm.example.es"
    rep = users[Role.SALES_REP]
    now = timezone.now().replace(microsecond=0)
    contact = ContactFactory(actor=rep, first_name="Lucía", last_name="Gómez")
    call = TaskFactory(actor=rep, title="Llamar a Lucía; precios, descuentos", contact=contact,
                       due_at=now + dt.timedelta(days=1), remind_at=now + dt.timedelta(hours=23),
                       notes="Primera línea\nSegunda línea con un texto bastante largo para que la "
                       "línea del fichero tenga que plegarse en varias")
    plain = TaskFactory(actor=rep, title="Preparar la visita", due_at=now + dt.timedelta(days=2))
    done = TaskFactory(actor=rep, title="Enviada la oferta", due_at=now - dt.timedelta(days=1))
    with as_user(rep):
        services.task_complete(actor=rep, task=done)
    cancelled = TaskFactory(actor=rep, title="Cancelada", due_at=now + dt.timedelta(days=3))
    with as_user(rep):
        services.task_cancel(actor=rep, task=cancelled)
    TaskFactory(actor=users["sales_rep_2"], title="De un compañero")
    TaskFactory(actor=other_admin, title="De Globex")

    client.force_login(rep)
    url = make_address(client)
    assert url.startswith("https://crm.example.es/interactions/calendar/") and url.endswith(".ics")
    client.logout()  # calendar apps have no session: the address is the secret
    response = client.get(path_of(url))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    raw = response.content
    for line in raw.split(b"\r\n"):
        assert len(line) <= 75, line  # folded as RFC 5545 §3.1 asks
    calendar = icalendar.Calendar.from_ical(raw)
    assert calendar["VERSION"] == "2.0" and calendar["PRODID"]
    events = {str(e["SUMMARY"]): e for e in calendar.walk("VEVENT")}
    assert set(events) == {"Llamar a Lucía; precios, descuentos", "Preparar la visita",
                           "✓ Enviada la oferta"}
    uids = {str(e["UID"]) for e in events.values()}
    assert uids == {f"{t.uuid}@vinculo" for t in (call, plain, done)}
    for event in events.values():
        assert event.get("DTSTAMP") is not None and event.get("DTSTART") is not None
    event = events["Llamar a Lucía; precios, descuentos"]
    assert event.decoded("DTSTART") == call.due_at
    assert str(event["DESCRIPTION"]).startswith("Lucía Gómez\nPrimera línea\nSegunda línea")
    assert str(event["URL"]) == f"https://crm.example.es/interactions/tasks/{call.uuid}/"
    [alarm] = event.walk("VALARM")
    assert str(alarm["ACTION"]) == "DISPLAY" and alarm.get("DESCRIPTION")
    assert alarm.decoded("TRIGGER") == call.remind_at
    assert events["Preparar la visita"].walk("VALARM") == []
    assert events["✓ Enviada la oferta"].walk("VALARM") == []  # done: no alarm
    # and the library that writes it reads it back the same
    parsed = vobject.readOne(raw.decode())
    assert len(parsed.vevent_list) == 3


@pytest.mark.django_db
def test_rotated_revoked_and_unknown_addresses_are_404(client, admin):
    TaskFactory(actor=admin, title="Algo")
    client.force_login(admin)
    assert "You have no calendar address." in client.get(
        "/interactions/calendar/feed/").content.decode()
    first = path_of(make_address(client))
    assert client.get(first).status_code == 200
    assert "has been on since" in client.get("/interactions/calendar/feed/").content.decode()
    second = path_of(make_address(client))
    assert second != first
    assert client.get(first).status_code == 404  # the old address stopped working
    assert client.get(second).status_code == 200
    response = client.post("/interactions/calendar/feed/", {"action": "revoke"})
    assert response.status_code == 302
    assert client.get(second).status_code == 404
    assert client.get("/interactions/calendar/not-a-key.ics").status_code == 404
    assert "You have no calendar address." in client.get(
        "/interactions/calendar/feed/").content.decode()


@pytest.mark.django_db
def test_a_deactivated_users_feed_stops(client, org):
    person = make_user(org, Role.SALES_REP, "leaver@acme.test")
    client.force_login(person)
    address = path_of(make_address(client))
    client.logout()
    assert client.get(address).status_code == 200
    person.is_active = False
    person.save()
    assert client.get(address).status_code == 404


@pytest.mark.django_db
def test_each_user_has_their_own_address(client, users):
    rep, mate = users[Role.SALES_REP], users["sales_rep_2"]
    TaskFactory(actor=rep, title="De Rep")
    TaskFactory(actor=mate, title="De Mate")
    client.force_login(rep)
    rep_feed = path_of(make_address(client))
    client.force_login(mate)
    mate_feed = path_of(make_address(client))
    client.logout()
    rep_body = client.get(rep_feed).content.decode()
    mate_body = client.get(mate_feed).content.decode()
    assert "De Rep" in rep_body and "De Mate" not in rep_body
    assert "De Mate" in mate_body and "De Rep" not in mate_body
