"""The portal's "download my data" is the person's self-service copy: it leaves out what staff
wrote for themselves (internal notes of interactions and tickets, tasks, comments, notes of
documents, amounts of opportunities) and keeps their own data and what was sent to them; the
complete export staff produce (``customers.services.personal_data_export``) keeps all of it."""

from __future__ import annotations

import io
import json
import zipfile
from decimal import Decimal

import pytest

from tests.attachments.factories import comment
from tests.core.factories import as_user
from tests.interactions.factories import TaskFactory
from tests.portal.factories import portal_user, signed_in
from tests.portal.world import documents_of
from tests.sales.factories import OpportunityFactory, OrderFactory, free_line
from vinculo.core import plugins
from vinculo.core.privacy import declarations
from vinculo.core.tenancy import organization_scope
from vinculo.customers import services as customers
from vinculo.customers.models import Contact
from vinculo.interactions import services as interactions
from vinculo.service.models import Ticket

#: What staff wrote for themselves about the contact, one marker per kind.
STAFF_WROTE = ("MARCA-LLAMADA", "ASUNTO-LLAMADA", "MARCA-TAREA", "MARCA-COMENTARIO",
               "NOTA-INTERNA PROPIO", "MARCA-PEDIDO", "98765.43")


def plant(admin, user) -> Contact:
    """The contact of ``user`` with a call, a task, a comment, an internal note on their
    ticket, an order with staff's notes and an opportunity with an amount — and an e-mail sent
    to them."""
    docs = documents_of(admin, user.account, "PROPIO")  # its ticket has "NOTA-INTERNA PROPIO"
    with organization_scope(user.organization_id):
        contact = Contact.objects.get(pk=user.contact_id)
        Ticket.objects.filter(pk=docs[Ticket].pk).update(contact=contact)
    with as_user(admin):
        interactions.interaction_log(actor=admin, data={
            "channel": "phone", "contact": contact, "subject": "ASUNTO-LLAMADA",
            "notes": "MARCA-LLAMADA", "outcome": "not_interested"})
        interactions.interaction_log(actor=admin, data={
            "channel": "email", "direction": "outbound", "contact": contact,
            "subject": "Su pedido", "notes": "MENSAJE-ENVIADO"})
        TaskFactory(actor=admin, contact=contact, title="Revisar", notes="MARCA-TAREA")
        OpportunityFactory(actor=admin, account=user.account, contact=contact,
                           name="Renovación anual", amount=Decimal("98765.43"))
        OrderFactory(actor=admin, account=user.account, contact=contact,
                     lines=[free_line("Aceite", "1", "10.00")], notes="MARCA-PEDIDO")
    comment(admin, contact, "MARCA-COMENTARIO")
    return contact


def my_data(client) -> tuple[dict, str]:
    response = client.get("/portal/privacy/my-data/")
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    text = zipfile.ZipFile(io.BytesIO(response.content)).read("datos.json").decode()
    return json.loads(text), text


@pytest.mark.django_db
def test_my_data_leaves_out_what_staff_wrote_and_the_staff_export_keeps_it(admin):
    user = portal_user(admin, language="en", email="ana@propio.example")
    contact = plant(admin, user)
    data, text = my_data(signed_in(user))
    for marker in STAFF_WROTE:
        assert marker not in text, marker
    # their own data and what was sent to them stay
    assert (data["contact"]["email"], data["contact"]["first_name"]) == (
        "ana@propio.example", "Ana")
    sent = [i for i in data["interactions"] if i["channel"] == "email"]
    assert [(i["subject"], i["notes"]) for i in sent] == [("Su pedido", "MENSAJE-ENVIADO")]
    call = [i for i in data["interactions"] if i["channel"] == "phone"]
    assert len(call) == 1 and set(call[0]) == {"date", "channel", "direction"}
    assert [t["subject"] for t in data["tickets"]] == ["Incidencia PROPIO"]
    assert [o["name"] for o in data["opportunities"]] == ["Renovación anual"]
    assert len(data["orders"]) == 1 and "notes" not in data["orders"][0]
    assert "tasks" not in data and "files" not in data  # staff's own sections
    assert data["emails_sent"]  # the portal invitation the product sent them
    # the complete export, staff's answer to a formal request of access, holds everything
    with organization_scope(user.organization_id):
        full = json.dumps(customers.personal_data_export(contact=contact), ensure_ascii=False)
    for marker in (*STAFF_WROTE, "MENSAJE-ENVIADO"):
        assert marker in full, marker


def test_every_customer_facing_section_names_an_exporter_or_leaves_the_section_out():
    for declaration in declarations():
        if declaration.customer_export:
            assert callable(plugins.resolve(declaration.customer_export)), declaration.key
        else:
            assert declaration.customer_export in (None, ""), declaration.key
