"""What a portal user does: answer quotes (the sales service staff use), follow orders and
deliveries, read invoices and download their PDF, open and follow tickets and answer the
survey, request a return — and never see internal notes, costs or other customers' data."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.core.factories import as_user
from tests.customers.factories import AccountFactory
from tests.portal.factories import portal_user, signed_in
from tests.portal.world import documents_of
from vinculo.billing import services as billing
from vinculo.billing.models import Invoice, ReturnAuthorization
from vinculo.core import events
from vinculo.core.tenancy import organization_scope
from vinculo.interactions import services as interactions
from vinculo.portal.models import PortalActivity
from vinculo.sales.models import Order, Quote
from vinculo.service import services as desk
from vinculo.service.models import Survey, Ticket


@pytest.fixture
def world(admin):
    user = portal_user(admin, language="en")
    docs = documents_of(admin, user.account, "PROPIO")
    return user, docs, signed_in(user)


def _actions(user) -> list[str]:
    with organization_scope(user.organization_id):
        return list(PortalActivity.objects.filter(portal_user=user)
                    .values_list("action", flat=True))


@pytest.mark.django_db
def test_accepting_a_quote_makes_the_order_through_the_sales_service(world):
    user, docs, client = world
    quote = docs[Quote]
    page = client.get(f"/portal/quotes/{quote.uuid}/").content.decode()
    assert "Oferta PROPIO" in page and "Accept the quote" in page
    with events.recording() as published:
        response = client.post(f"/portal/quotes/{quote.uuid}/",
                               {"answer": "accept", "comment": "Adelante, gracias"})
    assert response.status_code == 302
    names = [o.name for o in published]
    assert "quote.accepted" in names and "order.created" in names
    with organization_scope(user.organization_id):
        quote.refresh_from_db()
        order = Order.objects.get(quote=quote)
        comment = [i for i in interactions_of(quote) if i.notes == "Adelante, gracias"]
    assert quote.status == "accepted" and order.account_id == user.account_id
    assert comment and comment[0].direction == "inbound"
    assert "quote_accepted" in _actions(user)
    again = client.post(f"/portal/quotes/{quote.uuid}/", {"answer": "reject"})
    assert again.status_code == 400  # answered once: nothing changes
    with organization_scope(user.organization_id):
        quote.refresh_from_db()
    assert quote.status == "accepted"


def interactions_of(record):
    from django.contrib.contenttypes.models import ContentType

    from vinculo.interactions.models import Interaction

    return list(Interaction.objects.filter(
        related_type=ContentType.objects.get_for_model(type(record)), related_id=record.pk))


@pytest.mark.django_db
def test_rejecting_needs_a_choice_and_records_the_rejection(world):
    user, docs, client = world
    quote = docs[Quote]
    assert client.post(f"/portal/quotes/{quote.uuid}/", {"answer": "maybe"}).status_code == 400
    assert client.post(f"/portal/quotes/{quote.uuid}/",
                       {"answer": "reject", "comment": "x" * 5001}).status_code == 400
    with organization_scope(user.organization_id):
        quote.refresh_from_db()
    assert quote.status == "sent"  # nothing half-written
    assert client.post(f"/portal/quotes/{quote.uuid}/",
                       {"answer": "reject", "comment": "Caro"}).status_code == 302
    with organization_scope(user.organization_id):
        quote.refresh_from_db()
    assert quote.status == "rejected" and "quote_rejected" in _actions(user)


@pytest.mark.django_db
def test_an_order_shows_its_deliveries_dates_and_what_is_pending(world):
    _user, docs, client = world
    order = docs[Order]
    page = client.get(f"/portal/orders/{order.uuid}/").content.decode()
    assert order.number in page and "DN-" in page  # the partial delivery
    assert page.count("pending 4") == 2  # 10 ordered, 6 delivered; 4 vinegar, none yet
    assert order.promised_date.strftime("%d/%m/%Y") in page or \
        order.promised_date.strftime("%m/%d/%Y") in page


@pytest.mark.django_db
def test_invoices_show_state_and_balance_and_the_pdf_is_theirs_only(world, admin):
    user, docs, client = world
    invoice = docs[Invoice]
    with as_user(admin):
        billing.payment_record(actor=admin, invoice=invoice, amount="100.00")
    page = client.get("/portal/invoices/").content.decode()
    assert invoice.number in page and "Open" in page
    balance = invoice.total_amount - Decimal("100.00")
    assert f"{balance:,.2f}".replace(",", "") in page.replace(",", "")
    response = client.get(f"/portal/invoices/{invoice.uuid}/pdf/")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF") and "invoice_pdf" in _actions(user)


@pytest.mark.django_db
def test_tickets_open_reply_and_never_show_internal_notes(world, admin):
    user, docs, client = world
    response = client.post("/portal/tickets/new/", {"subject": "", "description": "x"})
    assert response.status_code == 400
    response = client.post("/portal/tickets/new/", {"subject": "La máquina pita",
                                                   "description": "Desde ayer"})
    assert response.status_code == 302
    with organization_scope(user.organization_id):
        ticket = Ticket.objects.get(subject="La máquina pita")
    assert ticket.account_id == user.account_id and ticket.contact_id == user.contact_id
    assert ticket.channel == "portal"
    with as_user(admin):
        desk.ticket_note(actor=admin, ticket=ticket, body="NOTA-INTERNA cliente difícil")
        interactions.interaction_log(actor=admin, data={
            "channel": "phone", "subject": "LLAMADA-INTERNA", "notes": "LLAMADA-INTERNA",
            "account": user.account}, related=ticket)
        # an e-mail staff exchanged about the ticket with a supplier: the company's own
        supplier = AccountFactory(actor=admin, name="Proveedor Secreto SL")
        interactions.interaction_log(actor=admin, data={
            "channel": "email", "subject": "CORREO-PROVEEDOR", "notes": "CORREO-PROVEEDOR",
            "account": supplier}, related=ticket)
        desk.ticket_set_status(actor=admin, ticket=ticket, status="waiting")
    url = f"/portal/tickets/{ticket.uuid}/"
    assert client.post(url, {"body": "  "}).status_code == 400
    assert client.post(url, {"body": "Sigue pitando"}).status_code == 302
    page = client.get(url).content.decode()
    assert "Sigue pitando" in page and "Desde ayer" in page
    assert "NOTA-INTERNA" not in page and "LLAMADA-INTERNA" not in page
    assert "CORREO-PROVEEDOR" not in page and "Proveedor Secreto" not in page
    with organization_scope(user.organization_id):
        ticket.refresh_from_db()
    assert ticket.status == "open"  # the customer's message reopened the waiting ticket
    old = client.get(f"/portal/tickets/{docs[Ticket].uuid}/").content.decode()
    assert "NOTA-INTERNA" not in old


@pytest.mark.django_db
def test_the_survey_is_answered_through_the_service_desk(world, admin):
    user, _docs, client = world
    client.post("/portal/tickets/new/", {"subject": "Factura duplicada"})
    with organization_scope(user.organization_id):
        ticket = Ticket.objects.get(subject="Factura duplicada")
    url = f"/portal/tickets/{ticket.uuid}/"
    assert client.post(url, {"csat": "5"}).status_code == 400  # open: no survey yet
    with as_user(admin):
        desk.ticket_set_status(actor=admin, ticket=ticket, status="resolved")
    with organization_scope(user.organization_id):
        desk.survey_send(ticket.pk)  # what the desk's task does on resolution
    assert "How did we do?" in client.get(url).content.decode()
    assert client.post(url, {"csat": "9"}).status_code == 400
    with events.recording() as published:
        assert client.post(url, {"csat": "4", "comment": "Rápidos"}).status_code == 302
    assert "survey.answered" in [o.name for o in published]
    with organization_scope(user.organization_id):
        survey = Survey.objects.get(ticket=ticket)
    assert (survey.csat, survey.comment) == (4, "Rápidos") and "survey" in _actions(user)


@pytest.mark.django_db
def test_a_return_on_a_delivered_line_gets_an_rma_through_the_returns_service(world):
    user, docs, client = world
    order = docs[Order]
    with organization_scope(user.organization_id):
        delivered = order.lines.order_by("position", "id").first()
        undelivered = order.lines.order_by("position", "id").last()
    url = f"/portal/orders/{order.uuid}/"
    too_many = client.post(url, {"line": str(delivered.uuid), "quantity": "7",
                                 "reason": "Rotas"})
    assert too_many.status_code == 400  # 6 were delivered
    assert client.post(url, {"line": str(undelivered.uuid), "quantity": "1",
                             "reason": "x"}).status_code == 400
    assert client.post(url, {"line": str(delivered.uuid), "quantity": "2",
                             "reason": ""}).status_code == 400
    with organization_scope(user.organization_id):
        assert not ReturnAuthorization.objects.exists()  # nothing half-written
    assert client.post(url, {"line": str(delivered.uuid), "quantity": "2",
                             "reason": "Llegaron rotas"}).status_code == 302
    with organization_scope(user.organization_id):
        rma = ReturnAuthorization.objects.get()
    assert rma.number.startswith("RMA-") and rma.account_id == user.account_id
    assert rma.number in client.get(url).content.decode()


@pytest.mark.django_db
def test_no_page_shows_costs(admin):
    from tests.catalog.factories import ProductFactory
    from tests.sales.factories import OrderFactory
    from vinculo.catalog import services as catalog

    user = portal_user(admin, language="en")
    with as_user(admin):
        product = ProductFactory(actor=admin, name="Bomba", list_price=Decimal("250.00"))
        catalog.product_update(actor=admin, product=product, data={
            "cost_price": Decimal("987.65")}, expected_version=product.version)
        order = OrderFactory(actor=admin, account=user.account, lines=[
            {"product": product, "quantity": Decimal("1")}])
    client = signed_in(user)
    for url in ("/portal/", "/portal/orders/", f"/portal/orders/{order.uuid}/"):
        body = client.get(url).content.decode()
        assert "987" not in body, url
    assert "Bomba" in client.get(f"/portal/orders/{order.uuid}/").content.decode()


@pytest.mark.django_db
def test_the_contact_changes_their_details_with_the_record_kept(world):
    from vinculo.core.models import AuditEntry

    user, _docs, client = world
    bad = client.post("/portal/profile/", {"phone": "no es un teléfono", "language": "en"})
    assert bad.status_code == 400
    assert client.post("/portal/profile/", {"phone": "+34 600 000 001", "title": "Jefa de compras",
                                            "language": "es"}).status_code == 302
    with organization_scope(user.organization_id):
        user.refresh_from_db()
        contact = user.contact
        contact.refresh_from_db()
        history = AuditEntry.objects.filter(object_uuid=contact.uuid, actor=user.user)
        assert history.exists()  # the change is in the contact's history, by the portal user
    assert contact.title == "Jefa de compras" and contact.phone.replace(" ", "").endswith(
        "600000001")
    assert user.language == "es" and "profile" in _actions(user)
    assert 'lang="es"' in client.get("/portal/").content.decode()


@pytest.mark.django_db
def test_the_home_counts_each_order_with_something_pending_once(world, admin):
    """The world's order has two lines pending (one in part): one order. A second order
    delivered in full is not counted; another account's pending order neither."""
    from tests.sales.factories import DeliveryFactory, OrderFactory
    from vinculo.portal import selectors

    user, _docs, _browser = world
    with as_user(admin):
        DeliveryFactory(actor=admin, order=OrderFactory(actor=admin, account=user.account))
        OrderFactory(actor=admin, account=AccountFactory(actor=admin))
    with organization_scope(user.organization_id):
        assert selectors.home(user)["orders"] == 1
    with as_user(admin):
        OrderFactory(actor=admin, account=user.account)
    with organization_scope(user.organization_id):
        assert selectors.home(user)["orders"] == 2
