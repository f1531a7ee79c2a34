"""Public web forms: a contact form makes a lead, a complaint form a ticket; robots (honeypot,
a form sent back too fast) and floods (rate limit) are turned away with nothing written."""

from __future__ import annotations

import time

import pytest
from django.core import signing

from tests.core.factories import as_user
from tests.customers.factories import ContactFactory
from tests.service.factories import QueueFactory
from vinculo.core.tenancy import organization_scope
from vinculo.customers.models import Lead
from vinculo.interactions import services
from vinculo.interactions.models import Interaction, WebFormSubmission
from vinculo.interactions.views import FORM_SALT
from vinculo.service.models import Ticket

GOOD = {"name": "Marta Gil", "email": "Marta@Gil.es", "phone": "600 000 000",
        "company": "Gil Hermanos", "subject": "Catálogo", "message": "Quiero el catálogo."}


def started(seconds_ago: float = 30) -> str:
    return signing.dumps(time.time() - seconds_ago, salt=FORM_SALT)


def form(user, kind="contact", **data):
    with as_user(user):
        return services.web_form_create(actor=user, data={
            "name": "Contacto", "kind": kind, "owner": user, **data})


@pytest.mark.django_db
def test_contact_form_makes_a_lead_owned_by_the_forms_owner(client, admin):
    contact_form = form(admin)
    page = client.get(f"/f/{contact_form.uuid}/")
    assert page.status_code == 200 and 'name="website"' in page.content.decode()
    assert "X-Frame-Options" not in page  # embeddable in the organisation's site
    done = client.post(f"/f/{contact_form.uuid}/", {**GOOD, "started": started()})
    assert done.status_code == 200 and 'id="form-done"' in done.content.decode()
    with organization_scope(admin.organization):
        lead = Lead.objects.get()
        interaction = Interaction.objects.get()
    assert (lead.full_name, lead.email, lead.owner, lead.source) == (
        "Marta Gil", "marta@gil.es", admin, "web")
    assert (interaction.channel, interaction.direction, interaction.related) == (
        "web_form", "inbound", lead)


@pytest.mark.django_db
def test_complaint_form_opens_a_complaint_ticket_for_the_known_contact(client, admin):
    QueueFactory(actor=admin, name="Reclamaciones", default_for=["complaint"])
    customer = ContactFactory(actor=admin, email="marta@gil.es")
    complaint = form(admin, kind="complaint", name="Reclamaciones")
    client.post(f"/f/{complaint.uuid}/", {**GOOD, "started": started()})
    with organization_scope(admin.organization):
        ticket = Ticket.objects.get()
    assert (ticket.type, ticket.contact, ticket.channel, ticket.queue.name) == (
        "complaint", customer, "web_form", "Reclamaciones")
    assert ticket.description == "Quiero el catálogo."


@pytest.mark.django_db
@pytest.mark.parametrize("robot", [{"website": "http://spam.example"}, {"started": "fast"},
                                   {"started": "forged"}])
def test_robots_are_thanked_and_nothing_is_kept(client, admin, robot):
    contact_form = form(admin)
    data = {**GOOD, "started": started()}
    if robot.get("started") == "fast":
        data["started"] = started(seconds_ago=0.2)
    elif robot.get("started") == "forged":
        data["started"] = "1700000000.0"
    else:
        data.update(robot)
    answer = client.post(f"/f/{contact_form.uuid}/", data)
    assert answer.status_code == 200 and 'id="form-done"' in answer.content.decode()
    with organization_scope(admin.organization):
        assert not Lead.objects.exists() and not Interaction.objects.exists()


@pytest.mark.django_db
def test_bad_fields_are_named_and_nothing_is_written(client, admin):
    contact_form = form(admin)
    answer = client.post(f"/f/{contact_form.uuid}/", {
        "name": "", "email": "not-an-address", "message": "", "started": started()})
    assert answer.status_code == 400
    body = answer.content.decode()
    for text in ("Tell us your name.", "Enter a valid e-mail address.", "Write your message."):
        assert text in body
    with organization_scope(admin.organization):
        assert not WebFormSubmission.objects.exists() and not Lead.objects.exists()


@pytest.mark.django_db
def test_a_visitor_is_limited_per_hour(client, admin):
    contact_form = form(admin, max_per_hour=2)
    url = f"/f/{contact_form.uuid}/"
    for n in range(2):
        assert client.post(url, {**GOOD, "email": f"m{n}@gil.es",
                                 "started": started()}).status_code == 200
    limited = client.post(url, {**GOOD, "started": started()})
    assert limited.status_code == 429
    other_visitor = client.post(url, {**GOOD, "started": started()}, REMOTE_ADDR="10.0.0.9")
    assert other_visitor.status_code == 200
    with organization_scope(admin.organization):
        assert Lead.objects.count() == 3
        assert "127.0.0.1" not in str(list(WebFormSubmission.objects.values()))


@pytest.mark.django_db
def test_an_inactive_or_unknown_form_is_not_found(client, admin):
    closed = form(admin, active=False)
    assert client.get(f"/f/{closed.uuid}/").status_code == 404
    assert client.post(f"/f/{closed.uuid}/", {**GOOD, "started": started()}).status_code == 404
