"""Task pages: plan, edit, complete and cancel; my day; the calendar; who sees what."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from tests.conftest import make_user
from tests.core.factories import as_user
from tests.customers.factories import AccountFactory, ContactFactory, LeadFactory
from tests.interactions.factories import TaskFactory, local
from vinculo.core.models import Organization
from vinculo.core.roles import Role
from vinculo.customers import services as customer_services
from vinculo.interactions.models import Task, TaskStatus


def form_data(**values):
    data = {"title": "Llamar para la renovación", "due_at": "2026-12-14T10:00",
            "remind_at": "", "assignee": "", "priority": "normal", "recurrence": "",
            "notes": "", "account": "", "contact": "", "related": "", "version": ""}
    data.update(values)
    return data


def errors_on(response, field: str) -> list[str]:
    return [str(e) for e in response.context["form"].errors.get(field, [])]


@pytest.mark.django_db
def test_plan_a_task_from_a_contact_page_prefills_the_form(page, admin):
    account = AccountFactory(actor=admin, name="Bodegas Ribera SL")
    contact = ContactFactory(actor=admin, first_name="Marta")
    lead = LeadFactory(actor=admin, first_name="Pablo")
    with as_user(admin):
        customer_services.contact_link_account(actor=admin, contact=contact, account=account,
                                               role="Compras")
    response = page.get(f"/interactions/tasks/new/?contact={contact.uuid}"
                        f"&related=customers.lead:{lead.uuid}")
    assert response.status_code == 200
    body = response.content.decode()
    assert str(contact) in body
    assert f'name="contact" value="{contact.uuid}"' in body
    assert f'value="customers.lead:{lead.uuid}"' in body
    response = page.post("/interactions/tasks/new/", form_data(
        contact=str(contact.uuid), related=f"customers.lead:{lead.uuid}",
        remind_at="2026-12-14T09:45", recurrence="FREQ=WEEKLY;BYDAY=MO;COUNT=3"))
    with as_user(admin):
        created = Task.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/interactions/tasks/{created.uuid}/"
    assert (created.contact, created.account, created.related) == (contact, account, lead)
    assert created.assignee == admin  # empty: the one who planned it
    assert timezone.localtime(created.due_at).strftime("%Y-%m-%d %H:%M") == "2026-12-14 10:00"
    assert created.due_at - created.remind_at == dt.timedelta(minutes=15)
    detail = page.get(response["Location"]).content.decode()
    assert "FREQ=WEEKLY;BYDAY=MO;COUNT=3" in detail and "Marta" in detail


@pytest.mark.django_db
def test_bad_input_is_shown_on_its_field_and_nothing_is_saved(page, admin, other_admin):
    cases = [
        (form_data(due_at=""), "due_at"),
        (form_data(due_at="mañana"), "due_at"),
        (form_data(remind_at="2026-12-14T11:00"), "remind_at"),
        (form_data(recurrence="FREQ=WEEKLY;BYDAY=XX"), "recurrence"),
        (form_data(recurrence="BYDAY=MO"), "recurrence"),
        (form_data(assignee=str(other_admin.uuid)), "assignee"),
        (form_data(title=""), "title"),
    ]
    for data, field in cases:
        response = page.post("/interactions/tasks/new/", data)
        assert response.status_code == 400, data
        assert errors_on(response, field), (field, response.context["form"].errors)
    with as_user(admin):
        assert Task.objects.count() == 0


@pytest.mark.django_db
def test_edit_checks_the_version(page, admin, users):
    planned = TaskFactory(actor=admin, title="Preparar visita", due_at=local(2026, 12, 14, 9))
    edit = f"/interactions/tasks/{planned.uuid}/edit/"
    body = page.get(edit).content.decode()
    assert 'value="2026-12-14T09:00"' in body and "Preparar visita" in body
    rep = users[Role.SALES_REP]
    response = page.post(edit, form_data(title="Preparar la visita", due_at="2026-12-15T09:00",
                                         assignee=str(rep.uuid), version=str(planned.version)))
    assert response.status_code == 302
    planned.refresh_from_db()
    assert (planned.title, planned.assignee, planned.version) == ("Preparar la visita", rep, 2)
    stale = page.post(edit, form_data(title="Otra cosa", version="1"))
    assert stale.status_code == 409
    assert "Someone else changed this record" in stale.content.decode()
    planned.refresh_from_db()
    assert planned.title == "Preparar la visita"


@pytest.mark.django_db
def test_complete_and_cancel_from_the_task_page(page, admin):
    one = TaskFactory(actor=admin, title="Enviar catálogo")
    response = page.post(f"/interactions/tasks/{one.uuid}/complete/")
    assert response.status_code == 302
    one.refresh_from_db()
    assert one.status == TaskStatus.DONE and one.completed_at is not None
    again = page.post(f"/interactions/tasks/{one.uuid}/complete/", follow=True)
    assert "Only an open task can be completed." in again.content.decode()
    other = TaskFactory(actor=admin, title="Visita cancelada")
    page.post(f"/interactions/tasks/{other.uuid}/cancel/")
    other.refresh_from_db()
    assert other.status == TaskStatus.CANCELLED


@pytest.mark.django_db
def test_my_day_completes_in_one_click_and_shows_the_next_occurrence(page, admin):
    today = timezone.localdate()
    at = lambda day, hour: timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))  # noqa: E731
    TaskFactory(actor=admin, title="Factura vencida", due_at=at(today - dt.timedelta(days=2), 12))
    weekly = TaskFactory(actor=admin, title="Informe del lunes", due_at=at(today, 0),
                         recurrence="FREQ=WEEKLY")
    TaskFactory(actor=admin, title="Demo el jueves", due_at=at(today + dt.timedelta(days=3), 12))
    TaskFactory(actor=admin, title="Dentro de un mes", due_at=at(today + dt.timedelta(days=30), 12))
    body = page.get("/interactions/my-day/").content.decode()
    sections = {name: re.search(rf'<section[^>]*id="{name}".*?</section>', body, re.S).group()
                for name in ("overdue", "today", "upcoming")}
    assert "Factura vencida" in sections["overdue"] and "text-danger" in sections["overdue"]
    assert "list-group-item-danger" in sections["overdue"]
    assert "Informe del lunes" in sections["today"]
    assert "Demo el jueves" in sections["upcoming"]
    assert "Dentro de un mes" not in body
    # the button sends an htmx request; the line is redrawn, with the next one under it
    response = page.post(f"/interactions/tasks/{weekly.uuid}/complete/",
                         {"next": "/interactions/my-day/"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    fragment = response.content.decode()
    with as_user(admin):
        following = Task.objects.get(previous=weekly)
    assert f'id="task-{weekly.uuid}"' in fragment and f'id="task-{following.uuid}"' in fragment
    assert "Next occurrence" in fragment
    assert f'action="/interactions/tasks/{following.uuid}/complete/"' in fragment
    assert 'value="/interactions/my-day/"' in fragment
    assert timezone.localdate(following.due_at) == today + dt.timedelta(days=7)
    body = page.get("/interactions/my-day/").content.decode()
    assert "Informe del lunes" in re.search(r'id="upcoming".*?</section>', body, re.S).group()
    # without JavaScript the same button posts the form and comes back to the page
    response = page.post(f"/interactions/tasks/{following.uuid}/complete/",
                         {"next": "/interactions/my-day/"})
    assert response.status_code == 302 and response["Location"] == "/interactions/my-day/"
    response = page.post(f"/interactions/tasks/{following.uuid}/cancel/",
                         {"next": "https://evil.example/"})
    assert response["Location"] == f"/interactions/tasks/{following.uuid}/"  # not elsewhere


@pytest.mark.django_db
def test_calendar_month_grid_puts_tasks_on_their_local_day(page, admin, settings):
    settings.TIME_ZONE = "Europe/Madrid"  # local() below; pages use the organisation's zone
    Organization.objects.filter(pk=admin.organization_id).update(time_zone="Europe/Madrid")
    # 30 Nov in UTC
    TaskFactory(actor=admin, title="Cierre de mes", due_at=local(2026, 12, 1, 0, 30))
    TaskFactory(actor=admin, title="Nochevieja", due_at=local(2026, 12, 31, 23, 30))
    body = page.get("/interactions/calendar/?month=2026-12").content.decode()
    cells = dict(re.findall(r'<td[^>]*data-day="([\d-]+)"[^>]*>(.*?)</td>', body, re.S))
    days = list(cells)
    assert days[0] == "2026-11-30" and days[-1] == "2027-01-03"  # Monday first
    assert len(cells) == 35
    assert "Cierre de mes" in cells["2026-12-01"] and "Cierre de mes" not in cells["2026-11-30"]
    assert "Nochevieja" in cells["2026-12-31"]
    assert re.search(r'<th[^>]*>Mon</th>', body)
    assert 'href="?month=2026-11"' in body and 'href="?month=2027-01"' in body
    agenda = re.search(r'id="calendar-agenda".*', body, re.S).group()
    assert "Cierre de mes" in agenda and "Nochevieja" in agenda  # the phone list
    assert page.get("/interactions/calendar/?month=nonsense").status_code == 200


@pytest.mark.django_db
def test_read_only_sees_the_pages_but_cannot_plan_or_complete(client, users, admin):
    reader = users[Role.READ_ONLY]
    planned = TaskFactory(actor=admin, title="Tarea visible")
    client.force_login(reader)
    for url in ("/interactions/my-day/", "/interactions/calendar/", "/interactions/tasks/",
                f"/interactions/tasks/{planned.uuid}/", "/interactions/calendar/feed/"):
        assert client.get(url).status_code == 200, url
    assert "Tarea visible" in client.get("/interactions/tasks/").content.decode()
    assert client.get("/interactions/tasks/new/").status_code == 403
    assert client.post("/interactions/tasks/new/", form_data()).status_code == 403
    assert client.post(f"/interactions/tasks/{planned.uuid}/complete/").status_code == 403
    assert client.post(f"/interactions/tasks/{planned.uuid}/edit/",
                       form_data(version="1")).status_code == 403
    with as_user(admin):
        assert Task.objects.count() == 1 and Task.objects.get().status == TaskStatus.OPEN


@pytest.mark.django_db
def test_a_sales_rep_sees_their_own_and_their_teams_tasks_only(client, users):
    rep, mate, south = users[Role.SALES_REP], users["sales_rep_2"], users["sales_rep_south"]
    own = TaskFactory(actor=rep, title="Propia")
    teams = TaskFactory(actor=mate, title="Del equipo")
    others = TaskFactory(actor=south, title="Del sur")
    client.force_login(rep)
    listed = client.get("/interactions/tasks/").content.decode()
    assert "Propia" in listed and "Del equipo" in listed and "Del sur" not in listed
    assert client.get(f"/interactions/tasks/{teams.uuid}/").status_code == 200
    for suffix in ("", "edit/"):
        assert client.get(f"/interactions/tasks/{others.uuid}/{suffix}").status_code == 404
    assert client.post(f"/interactions/tasks/{others.uuid}/complete/").status_code == 404
    mine_only = client.get("/interactions/tasks/?assignee=me").content.decode()
    assert "Propia" in mine_only and "Del equipo" not in mine_only
    calendar = client.get(f"/interactions/calendar/?month={own.due_at:%Y-%m}&all=1")
    assert "Del equipo" in calendar.content.decode()
    assert "Del sur" not in calendar.content.decode()


@pytest.mark.django_db
def test_another_organisation_gets_404_on_every_task_page(client, admin, other_org):
    planned = TaskFactory(actor=admin, title="Secreta")
    client.force_login(make_user(other_org, Role.ADMIN, "boss@globex.test"))
    base = f"/interactions/tasks/{planned.uuid}/"
    for url in (base, base + "edit/"):
        assert client.get(url).status_code == 404
    for url in (base + "edit/", base + "complete/", base + "cancel/", base + "delete/"):
        assert client.post(url, form_data(version="1")).status_code == 404
    assert "Secreta" not in client.get("/interactions/tasks/").content.decode()
    assert "Secreta" not in client.get("/interactions/my-day/").content.decode()
    planned.refresh_from_db()
    assert planned.status == TaskStatus.OPEN and planned.version == 1


@pytest.mark.django_db
def test_only_managers_delete_and_a_series_stays_linked(client, users, admin):
    first = TaskFactory(actor=admin, title="Serie", recurrence="FREQ=DAILY;COUNT=5")
    client.force_login(admin)
    client.post(f"/interactions/tasks/{first.uuid}/complete/")
    with as_user(admin):
        second = Task.objects.get(previous=first)
    client.post(f"/interactions/tasks/{second.uuid}/complete/")
    with as_user(admin):
        third = Task.objects.get(previous=second)
    client.force_login(users[Role.MARKETING])  # may change tasks, not delete them
    response = client.post(f"/interactions/tasks/{second.uuid}/delete/", follow=True)
    assert "Your role does not allow this action." in response.content.decode()
    client.force_login(admin)
    assert client.post(f"/interactions/tasks/{second.uuid}/delete/").status_code == 302
    third.refresh_from_db()
    assert third.previous_id == first.pk
    from vinculo.interactions.agenda.services import next_occurrence

    assert next_occurrence(third) == third.due_at + dt.timedelta(days=1)
