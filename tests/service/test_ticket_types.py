"""Ticket types: the organisation's own list (Settings > Ticket types and /api/ticket-types/),
each counting as a built-in kind; tickets take one, queues route by it, the intake takes the
first active type of its kind, a type in use is not deleted."""

from __future__ import annotations

import time

import pytest
from django.core import signing
from django.urls import reverse

from tests.core.factories import as_user
from tests.service.factories import QueueFactory, TicketFactory
from vinculo.core.models import Organization
from vinculo.core.roles import Role
from vinculo.core.tenancy import organization_scope
from vinculo.interactions import services as web_forms
from vinculo.interactions.views import FORM_SALT
from vinculo.service import services
from vinculo.service.models import Ticket, TicketCategory

NOT_ADMINS = [r for r in Role.values if r != Role.ADMIN]


def types_of(organization) -> list[tuple[str, str, bool]]:
    return list(TicketCategory.all_objects.filter(organization_id=organization.pk)
                .order_by("order", "name").values_list("name", "kind", "active"))


def new_type(admin, **data):
    with as_user(admin):
        return services.ticket_type_create(actor=admin, data=data)


def default(admin, kind):
    return services.type_for_kind(admin.organization_id, kind)


@pytest.mark.django_db
def test_every_new_organisation_starts_with_one_type_per_kind_in_its_language():
    spanish = Organization.objects.create(name="Hnos. Gil", country="ES", language="es")
    english = Organization.objects.create(name="Gil Bros", country="GB", language="en")
    assert types_of(spanish) == [("Solicitud", "request", True),
                                 ("Incidencia", "incident", True),
                                 ("Reclamación", "complaint", True),
                                 ("Solicitud de devolución", "return", True)]
    assert [kind for _name, kind, _active in types_of(english)] == [
        "request", "incident", "complaint", "return"]
    assert types_of(english)[0][0] == "Request"


@pytest.mark.django_db
def test_an_administrator_adds_a_type_on_the_settings_page_and_tickets_take_it(page, admin):
    warranty_queue = QueueFactory(actor=admin, name="Garantías")
    QueueFactory(actor=admin, name="Soporte", default_for=["incident"])
    listed = page.get(reverse("service:ticket_type_list")).content.decode()
    assert "Incident" in listed and reverse("service:ticket_type_create") in listed
    created = page.post(reverse("service:ticket_type_create"), {
        "name": "Avería en garantía", "kind": "incident", "queue": str(warranty_queue.uuid),
        "order": "5", "active": "on"})
    assert created.status_code == 302
    with organization_scope(admin.organization):
        warranty = TicketCategory.objects.get(name="Avería en garantía")
    assert (warranty.kind, warranty.queue, warranty.order) == ("incident", warranty_queue, 5)
    # offered on the ticket form, and a ticket of it counts as an incident in its queue
    form = page.get(reverse("service:ticket_create")).content.decode()
    assert "Avería en garantía" in form
    opened = page.post(reverse("service:ticket_create"), {
        "ticket_type": str(warranty.uuid), "subject": "No enciende", "priority": "normal"})
    assert opened.status_code == 302
    with organization_scope(admin.organization):
        ticket = Ticket.objects.get(subject="No enciende")
    assert (ticket.ticket_type, ticket.type, ticket.queue) == (warranty, "incident",
                                                                warranty_queue)
    detail = page.get(reverse("service:ticket_detail", args=[ticket.uuid])).content.decode()
    assert "Avería en garantía" in detail
    # without a queue of its own, the type's tickets go to the queue for its kind
    with organization_scope(admin.organization):
        built_in = TicketCategory.objects.get(kind="incident", name="Incident")
    plain = page.post(reverse("service:ticket_create"), {
        "ticket_type": str(built_in.uuid), "subject": "Lento",
        "priority": "normal"})
    assert plain.status_code == 302
    with organization_scope(admin.organization):
        assert Ticket.objects.get(subject="Lento").queue.name == "Soporte"


@pytest.mark.django_db
def test_bad_input_on_the_page_is_named_and_nothing_is_written(page, admin):
    before = types_of(admin.organization)
    blank = page.post(reverse("service:ticket_type_create"), {"name": " ", "kind": "request",
                                                              "order": "0", "active": "on"})
    assert blank.status_code == 400
    assert blank.context["form"].errors.keys() == {"name"}
    taken = page.post(reverse("service:ticket_type_create"), {
        "name": default(admin, "complaint").name.upper(), "kind": "complaint", "order": "0"})
    assert taken.status_code == 400
    assert "already in the list" in str(taken.context["form"].errors["name"])
    assert types_of(admin.organization) == before


@pytest.mark.django_db
@pytest.mark.parametrize("role", NOT_ADMINS)
def test_only_administrators_edit_the_list(client, admin, users, role):
    client.force_login(users[role])
    assert client.get(reverse("service:ticket_type_list")).status_code == 403
    request = default(admin, "request")
    refused = client.post(reverse("service:ticket_type_delete", args=[request.uuid]))
    assert refused.status_code == 403
    assert TicketCategory.all_objects.filter(pk=request.pk).exists()


@pytest.mark.django_db
def test_another_organisations_types_are_out_of_reach(page, api, admin, other_admin):
    theirs = default(other_admin, "complaint")
    assert page.get(reverse("service:ticket_type_update", args=[theirs.uuid])).status_code == 404
    assert page.post(reverse("service:ticket_type_delete", args=[theirs.uuid])).status_code == 404
    listed = api.get("/api/ticket-types/").json()["results"]
    assert len(listed) == 4 and str(theirs.uuid) not in [row["id"] for row in listed]
    assert api.get(f"/api/ticket-types/{theirs.uuid}/").status_code == 404
    QueueFactory(actor=admin)
    refused = api.post("/api/tickets/", {"subject": "X", "ticket_type": str(theirs.uuid)},
                       format="json")
    assert refused.status_code == 400 and "ticket_type" in refused.json()
    assert TicketCategory.all_objects.filter(pk=theirs.pk).exists()


@pytest.mark.django_db
def test_a_type_tickets_have_is_not_deleted_but_deactivation_is_offered(page, api, admin):
    QueueFactory(actor=admin)
    used = new_type(admin, name="Garantía", kind="complaint")
    TicketFactory(actor=admin, ticket_type=used)
    answer = page.post(reverse("service:ticket_type_delete", args=[used.uuid]))
    assert answer.status_code == 409
    assert "cannot be deleted: it still has 1 ticket" in answer.content.decode()
    assert TicketCategory.all_objects.filter(pk=used.pk).exists()
    refused = api.delete(f"/api/ticket-types/{used.uuid}/")
    assert refused.status_code == 409 and refused.json()["code"] == "in_use"
    assert TicketCategory.all_objects.filter(pk=used.pk).exists()
    # deactivated, it is no longer offered; the ticket keeps it
    patched = api.patch(f"/api/ticket-types/{used.uuid}/", {"active": False, "version": 1},
                        format="json")
    assert patched.status_code == 200 and patched.json()["active"] is False
    assert "Garantía" not in page.get(reverse("service:ticket_create")).content.decode()
    unused = new_type(admin, name="Consulta", kind="request")
    gone = page.post(reverse("service:ticket_type_delete", args=[unused.uuid]))
    assert gone.status_code == 302
    assert not TicketCategory.all_objects.filter(pk=unused.pk).exists()


@pytest.mark.django_db
def test_the_last_active_type_stays_active(api, admin):
    *others, last = list(TicketCategory.all_objects.filter(organization_id=admin.organization_id))
    TicketCategory.all_objects.filter(pk__in=[t.pk for t in others]).update(active=False)
    refused = api.patch(f"/api/ticket-types/{last.uuid}/", {"active": False, "version": 1},
                        format="json")
    assert refused.status_code == 400 and "active" in refused.json()
    assert api.delete(f"/api/ticket-types/{last.uuid}/").status_code == 400
    last.refresh_from_db()
    assert last.active


@pytest.mark.django_db
def test_the_api_names_the_type_and_still_answers_the_kind(api, admin):
    QueueFactory(actor=admin)
    warranty = new_type(admin, name="Garantía", kind="complaint")
    with_type = api.post("/api/tickets/", {"subject": "Roto", "ticket_type": str(warranty.uuid)},
                         format="json")
    assert with_type.status_code == 201
    assert (with_type.json()["type"], with_type.json()["ticket_type"]) == (
        "complaint", str(warranty.uuid))
    # a kind alone, as before ticket types: the organisation's first active type of it
    kind_only = api.post("/api/tickets/", {"subject": "Devolver", "type": "return"},
                         format="json")
    assert kind_only.status_code == 201
    assert kind_only.json()["ticket_type"] == str(default(admin, "return").uuid)
    # a type and a kind that disagree: refused, naming the field
    clash = api.post("/api/tickets/", {"subject": "X", "ticket_type": str(warranty.uuid),
                                       "type": "request"}, format="json")
    assert clash.status_code == 400 and "type" in clash.json()
    # changing the type changes the kind
    ticket = with_type.json()
    moved = api.patch(f"/api/tickets/{ticket['id']}/", {
        "ticket_type": str(default(admin, "incident").uuid), "version": ticket["version"]},
        format="json")
    assert moved.status_code == 200 and moved.json()["type"] == "incident"
    bad_kind = api.post("/api/ticket-types/", {"name": "Otra", "kind": "question"},
                        format="json")
    assert bad_kind.status_code == 400 and "kind" in bad_kind.json()


@pytest.mark.django_db
def test_an_inactive_type_is_refused_for_new_tickets(api, admin):
    QueueFactory(actor=admin)
    old = new_type(admin, name="Antigua", kind="request", active=False)
    refused = api.post("/api/tickets/", {"subject": "X", "ticket_type": str(old.uuid)},
                       format="json")
    assert refused.status_code == 400 and "ticket_type" in refused.json()


@pytest.mark.django_db
def test_a_web_form_ticket_takes_the_first_active_type_of_its_kind(client, admin):
    QueueFactory(actor=admin)
    formal = new_type(admin, name="Queja formal", kind="complaint", order=0)
    assert default(admin, "complaint") == formal  # before the built-in one (order 20)
    with as_user(admin):
        complaint_form = web_forms.web_form_create(actor=admin, data={
            "name": "Reclamaciones", "kind": "complaint", "owner": admin})
    client.post(f"/f/{complaint_form.uuid}/", {
        "name": "Marta Gil", "email": "marta@gil.es", "subject": "Trato",
        "message": "Mal trato en tienda.", "started": signing.dumps(time.time() - 30,
                                                                     salt=FORM_SALT)})
    with organization_scope(admin.organization):
        ticket = Ticket.objects.get()
    assert (ticket.ticket_type, ticket.type) == (formal, "complaint")
