"""The task API: plan, read, edit with the version read (409 when stale), filter, complete,
cancel and delete; scoped by organisation and by the sales rep's record-level rule."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests.conftest import token_client
from tests.core.factories import as_user
from tests.customers.factories import AccountFactory, ContactFactory, LeadFactory
from tests.interactions.factories import TaskFactory, local
from vinculo.core.roles import Role
from vinculo.interactions.models import Task, TaskStatus


@pytest.mark.django_db
def test_plan_read_edit_and_delete(api, admin, users):
    contact = ContactFactory(actor=admin, first_name="Irene")
    lead = LeadFactory(actor=admin)
    rep = users[Role.SALES_REP]
    created = api.post("/api/tasks/", {
        "title": "Llamar a Irene", "due_at": "2026-12-14T10:00:00+01:00",
        "remind_at": "2026-12-14T09:30:00+01:00", "contact": str(contact.uuid),
        "assignee": str(rep.uuid), "priority": "high",
        "related": f"customers.lead:{lead.uuid}", "recurrence": "rrule:freq=weekly;count=4",
    }, format="json")
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["assignee"] == str(rep.uuid) and body["contact"] == str(contact.uuid)
    assert body["status"] == "open" and body["version"] == 1 and body["previous"] is None
    assert body["recurrence"] == "FREQ=WEEKLY;COUNT=4"
    assert body["related"] == f"customers.lead:{lead.uuid}"
    assert dt.datetime.fromisoformat(body["due_at"]) == dt.datetime(2026, 12, 14, 9, tzinfo=dt.UTC)
    url = f"/api/tasks/{body['id']}/"
    assert api.get(url).json()["title"] == "Llamar a Irene"
    changed = api.patch(url, {"title": "Llamar a Irene (urgente)", "version": 1}, format="json")
    assert changed.status_code == 200 and changed.json()["version"] == 2
    stale = api.patch(url, {"title": "Otra", "version": 1}, format="json")
    assert stale.status_code == 409 and stale.json()["current_version"] == 2
    missing = api.patch(url, {"title": "Sin versión"}, format="json")
    assert missing.status_code == 400 and "version" in missing.json()
    assert api.get(url).json()["title"] == "Llamar a Irene (urgente)"
    assert api.delete(url).status_code == 204
    assert api.get(url).status_code == 404


@pytest.mark.django_db
def test_bad_input_names_the_field_and_saves_nothing(api, admin, other_admin):
    base = {"title": "Algo", "due_at": "2026-12-14T10:00:00Z"}
    foreign_contact = ContactFactory(actor=other_admin, first_name="Ajena")
    cases = [
        ({"title": "Algo"}, "due_at"),
        ({**base, "due_at": "next tuesday"}, "due_at"),
        ({**base, "remind_at": "2026-12-14T11:00:00Z"}, "remind_at"),
        ({**base, "recurrence": "FREQ=WEEKLY;BYDAY=XX"}, "recurrence"),
        ({**base, "recurrence": "COUNT=3"}, "recurrence"),
        ({**base, "assignee": str(other_admin.uuid)}, "assignee"),
        ({**base, "contact": str(foreign_contact.uuid)}, "contact"),
        ({**base, "priority": "urgent"}, "priority"),
        ({**base, "related": "customers.contact:" + str(foreign_contact.uuid)}, "related"),
    ]
    for payload, field in cases:
        response = api.post("/api/tasks/", payload, format="json")
        assert response.status_code == 400, (payload, response.json())
        assert field in response.json(), (field, response.json())
    with as_user(admin):
        assert Task.objects.count() == 0


@pytest.mark.django_db
def test_complete_opens_the_next_occurrence_until_the_count(api, admin, settings):
    settings.TIME_ZONE = "Europe/Madrid"
    first = TaskFactory(actor=admin, title="Revisión", due_at=local(2026, 1, 5, 9),
                        remind_at=local(2026, 1, 5, 8), recurrence="FREQ=WEEKLY;BYDAY=MO;COUNT=3")
    seen = [first.uuid]
    current = str(first.uuid)
    for expected in (local(2026, 1, 12, 9), local(2026, 1, 19, 9)):
        done = api.post(f"/api/tasks/{current}/complete/").json()
        assert done["task"]["status"] == "done" and done["task"]["completed_at"]
        following = done["next"]
        assert dt.datetime.fromisoformat(following["due_at"]) == expected
        assert dt.datetime.fromisoformat(following["due_at"]) - dt.datetime.fromisoformat(
            following["remind_at"]) == dt.timedelta(hours=1)
        assert following["previous"] == current
        current = following["id"]
        seen.append(current)
    last = api.post(f"/api/tasks/{current}/complete/").json()
    assert last["next"] is None
    again = api.post(f"/api/tasks/{current}/complete/")
    assert again.status_code == 400 and "Only an open task" in str(again.json())
    statuses = api.get("/api/tasks/?status=done").json()["results"]
    assert len(statuses) == 3 and api.get("/api/tasks/?status=open").json()["results"] == []


@pytest.mark.django_db
def test_cancel(api, admin):
    planned = TaskFactory(actor=admin)
    response = api.post(f"/api/tasks/{planned.uuid}/cancel/")
    assert response.status_code == 200 and response.json()["status"] == "cancelled"
    planned.refresh_from_db()
    assert planned.status == TaskStatus.CANCELLED
    assert api.post(f"/api/tasks/{planned.uuid}/cancel/").status_code == 400


@pytest.mark.django_db
def test_filters(api, admin, users):
    rep = users[Role.SALES_REP]
    account = AccountFactory(actor=admin, name="Filtrada SA")
    contact = ContactFactory(actor=admin, first_name="Filtrado")
    now = timezone.now()
    mine = TaskFactory(actor=admin, title="Mía", due_at=local(2026, 12, 10, 9), account=account)
    TaskFactory(actor=rep, title="Del comercial", due_at=local(2026, 12, 20, 9), contact=contact)
    late = TaskFactory(actor=admin, title="Atrasada", due_at=now - dt.timedelta(days=1))
    TaskFactory(actor=admin, title="Hecha", due_at=local(2026, 12, 12, 9))
    api.post(f"/api/tasks/{Task.all_objects.get(title='Hecha').uuid}/complete/")

    def titles(query):
        response = api.get("/api/tasks/" + query)
        assert response.status_code == 200, response.json()
        return sorted(row["title"] for row in response.json()["results"])

    assert titles("?assignee=me") == ["Atrasada", "Hecha", "Mía"]
    assert titles(f"?assignee={rep.uuid}") == ["Del comercial"]
    assert titles("?status=open&assignee=me") == ["Atrasada", "Mía"]
    assert titles("?due_from=2026-12-11&due_to=2026-12-31") == ["Del comercial", "Hecha"]
    assert titles(f"?account={account.uuid}") == ["Mía"]
    assert titles(f"?contact={contact.uuid}") == ["Del comercial"]
    assert titles("?overdue=true") == [late.title]
    assert titles("?q=comer") == ["Del comercial"]
    assert mine.title in titles("?ordering=-due_at")
    newest_first = [row["title"] for row in
                    api.get("/api/tasks/?ordering=-due_at").json()["results"]]
    assert newest_first == list(Task.all_objects.filter(organization_id=admin.organization_id)
                                .order_by("-due_at").values_list("title", flat=True))
    assert newest_first[-1] == late.title  # not the default order, which starts with it
    bad = api.get("/api/tasks/?assignee=somebody")
    assert bad.status_code == 400 and "assignee" in bad.json()


@pytest.mark.django_db
def test_a_sales_rep_sees_their_own_and_their_teams_tasks(users):
    rep, mate, south = users[Role.SALES_REP], users["sales_rep_2"], users["sales_rep_south"]
    TaskFactory(actor=rep, title="Propia")
    TaskFactory(actor=mate, title="Del equipo")
    others = TaskFactory(actor=south, title="Del sur")
    client = token_client(rep)
    listed = sorted(row["title"] for row in client.get("/api/tasks/").json()["results"])
    assert listed == ["Del equipo", "Propia"]
    for method in ("get", "patch"):
        response = getattr(client, method)(f"/api/tasks/{others.uuid}/", {"version": 1},
                                           format="json")
        assert response.status_code == 404
    assert client.post(f"/api/tasks/{others.uuid}/complete/").status_code == 404
    south_account = AccountFactory(actor=south, name="Cuenta del sur", owner=south)
    response = client.post("/api/tasks/", {"title": "X", "due_at": "2026-12-14T10:00:00Z",
                                           "account": str(south_account.uuid)}, format="json")
    assert response.status_code == 400 and "account" in response.json()


@pytest.mark.django_db
def test_another_organisation_gets_404(admin, other_admin):
    planned = TaskFactory(actor=admin, title="Secreta")
    client = token_client(other_admin)
    url = f"/api/tasks/{planned.uuid}/"
    assert client.get(url).status_code == 404
    assert client.patch(url, {"title": "Mía", "version": 1}, format="json").status_code == 404
    assert client.delete(url).status_code == 404
    assert client.post(url + "complete/").status_code == 404
    assert client.post(url + "cancel/").status_code == 404
    assert client.get("/api/tasks/").json()["results"] == []
    assert client.get(f"/api/tasks/?assignee={admin.uuid}").status_code == 400
    planned.refresh_from_db()
    assert (planned.title, planned.status) == ("Secreta", "open")


@pytest.mark.django_db
def test_assignee_filter_still_knows_the_users_after_the_schema_was_built(api, admin):
    # drf-spectacular builds the filter's field once, with no user in scope; the choices of
    # the organisation's users are set per request all the same.
    TaskFactory(actor=admin, title="Mía")
    assert api.get("/api/schema/").status_code == 200
    response = api.get("/api/tasks/?assignee=me")
    assert response.status_code == 200 and len(response.json()["results"]) == 1
    assert api.get(f"/api/tasks/?assignee={admin.uuid}").status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("blank", ["", "   "])
def test_an_empty_related_is_a_400_naming_the_field(api, admin, blank):
    contact = ContactFactory(actor=admin, first_name="Vacía")
    task = api.post("/api/tasks/", {"title": "Algo", "due_at": "2026-12-14T10:00:00Z",
                                    "related": blank}, format="json")
    assert task.status_code == 400 and "related" in task.json(), task.content
    logged = api.post("/api/interactions/", {"channel": "chat", "contact": str(contact.uuid),
                                             "related": blank}, format="json")
    assert logged.status_code == 400 and "related" in logged.json(), logged.content
    with as_user(admin):
        assert Task.objects.count() == 0
