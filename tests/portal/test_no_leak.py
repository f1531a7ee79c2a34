"""No portal response carries what a customer or supplier must never read (#40): every page a
portal user can GET — read from the URL configuration (``tests/portal/routes.py``) — with the
invoice PDF's text and the "download my data" file, searched for planted markers: an internal
ticket note, staff's notes of a call and a comment, a product's cost price, an order line's
margin, the account's cost of goods, cost to serve and profit, another account's name and
another organisation's."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from decimal import Decimal

import pytest
from django.http import HttpResponse
from django.test import Client
from django.utils import timezone
from pypdf import PdfReader

from tests.attachments.factories import comment
from tests.catalog.factories import ProductFactory
from tests.core.factories import as_user
from tests.customers.factories import AccountFactory
from tests.portal.factories import portal_user, signed_in
from tests.portal.routes import readable_urls
from tests.portal.world import documents_of
from tests.sales.factories import OrderFactory
from tests.segments.factories import snapshot
from vinculo.analytics.demand import add_months
from vinculo.billing import services as billing
from vinculo.billing.models import Invoice
from vinculo.catalog import supplier_services as links
from vinculo.catalog.models import Product
from vinculo.core.tenancy import organization_scope
from vinculo.customers.models import Contact
from vinculo.interactions import services as interactions
from vinculo.sales.models import Order

COST_PRICE = "7391.83"  # the product's cost price (sold at 9,000.00: the line's margin below)
MARGIN = "1608.17"
COST_OF_GOODS, COST_TO_SERVE, PROFIT = "6482.57", "5173.29", "4826.31"  # the account's P&L
#: Staff's notes; the other account's name and documents (its public help article is the
#: organisation's, every customer's: not a marker); anything of the other organisation
#: ("Globex" in tests/conftest.py, its account "Globex SA", its records' "AJENO").
WORDS = ("NOTA-INTERNA", "LLAMADA-INTERNA", "COMENTARIO-INTERNO", "Vecina Secreta",
         "Oferta VECINO", "Pedido VECINO", "Vinagre VECINO", "Incidencia VECINO", "foto-VECINO",
         "AJENO", "Globex")


def figures(*values: str) -> set[str]:
    """Each amount as any locale may print it: 7391.83, 7391,83, 7,391.83, 7.391,83, 7 391,83…"""
    found = set()
    for value in values:
        whole, cents = value.split(".")
        grouped = f"{int(whole):,}"
        for sep in ("", ",", ".", " ", "\xa0", "\u202f"):
            digits = grouped.replace(",", sep)
            found |= {f"{digits}.{cents}", f"{digits},{cents}"}
    return found


def text_of(response: HttpResponse) -> str:
    """What a response says: a PDF's text, every file of a ZIP, or the body."""
    raw = b"".join(response.streaming_content) if response.streaming else response.content
    kind = response.get("Content-Type", "")
    if kind.startswith("application/pdf"):
        return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(raw)).pages)
    if kind.startswith("application/zip"):
        archive = zipfile.ZipFile(io.BytesIO(raw))
        return "\n".join(archive.read(name).decode() for name in archive.namelist())
    return raw.decode("utf-8", "replace")


def walk_for_leaks(client: Client, urls: set[str], needles: set[str]) -> dict[str, str]:
    """GET every URL; no answer may hold a needle. Answers the text of each page read (200)."""
    read = {}
    for url in sorted(urls):
        response = client.get(url)
        assert response.status_code in (200, 302, 404), (url, response.status_code)
        text = text_of(response)
        leaked = sorted(needle for needle in needles if needle in text)
        assert not leaked, (url, leaked)
        if response.status_code == 200:
            read[url] = text
    return read


@pytest.mark.django_db
def test_no_portal_page_pdf_or_data_file_shows_internal_notes_costs_or_other_customers(
        admin, other_admin):
    user = portal_user(admin, language="es")
    with as_user(admin):
        neighbour = AccountFactory(actor=admin, name="Vecina Secreta SA")
    own = documents_of(admin, user.account, "PROPIO")  # its ticket: "NOTA-INTERNA PROPIO"
    documents_of(admin, neighbour, "VECINO")
    documents_of(other_admin, AccountFactory(actor=other_admin, name="Globex SA"), "AJENO")
    with organization_scope(admin.organization_id):
        contact = Contact.objects.get(pk=user.contact_id)
    with as_user(admin):
        costly = ProductFactory(actor=admin, name="Aceite reserva", list_price="9000.00",
                                cost_price=Decimal(COST_PRICE))
        order = OrderFactory(actor=admin, account=user.account, contact=contact,
                             lines=[{"product": costly, "quantity": Decimal(1)}])
        invoice = billing.invoice_issue(actor=admin, invoice=billing.invoice_from_order(
            actor=admin, order=order, basis="all"))
        interactions.interaction_log(actor=admin, data={
            "channel": "phone", "contact": contact, "notes": "LLAMADA-INTERNA"})
    comment(admin, contact, "COMENTARIO-INTERNO")
    snapshot(user.account, timezone.localdate(), cost_of_goods=Decimal(COST_OF_GOODS),
             cost_to_serve=Decimal(COST_TO_SERVE), profit=Decimal(PROFIT),
             cost_breakdown={"order": COST_TO_SERVE})
    client = signed_in(user)
    urls = set(readable_urls(own)) | set(readable_urls({Order: order, Invoice: invoice}))
    read = walk_for_leaks(client, urls, {*WORDS, *figures(
        COST_PRICE, MARGIN, COST_OF_GOODS, COST_TO_SERVE, PROFIT)})
    # the walk did read the pages that matter, with their own data in them
    pdf = read[f"/portal/invoices/{invoice.uuid}/pdf/"]
    assert invoice.number in pdf and "Aceite reserva" in pdf
    assert user.email in read["/portal/privacy/my-data/"]
    assert "Aceite reserva" in read[f"/portal/orders/{order.uuid}/"]
    assert {"/portal/", "/portal/quotes/", "/portal/orders/", "/portal/invoices/",
            "/portal/tickets/", "/portal/payments/", "/portal/benefits/", "/portal/privacy/",
            "/portal/profile/", "/portal/help/"} <= set(read)
    assert len(read) >= 20, sorted(read)


@pytest.mark.django_db
def test_no_supplier_page_shows_the_cost_price_customers_or_other_suppliers(
        admin, other_admin):
    with as_user(admin):
        supplier = AccountFactory(actor=admin, name="Aceites del Sur", is_supplier=True)
        other_supplier = AccountFactory(actor=admin, name="Vecino Proveedor SL",
                                        is_supplier=True)
        supplied = ProductFactory(actor=admin, name="Aceite reserva",
                                  cost_price=Decimal(COST_PRICE))
        elsewhere = ProductFactory(actor=admin, name="Vinagre ajeno")
        links.product_supplier_set(actor=admin, product=supplied, supplier=supplier,
                                   data={"supplier_code": "AS-77", "cost": "3.20"})
        links.product_supplier_set(actor=admin, product=elsewhere, supplier=other_supplier,
                                   data={"cost": "1.10"})
        customer = AccountFactory(actor=admin, name="Vecina Secreta SA")
        first = add_months(dt.date.today().replace(day=1), -6)
        for k in range(6):  # the demand the forecast is made of: the customer's orders
            OrderFactory(actor=admin, account=customer, ordered_on=add_months(first, k),
                         lines=[{"product": supplied, "quantity": Decimal(10 + k)}])
    with as_user(other_admin):
        links.product_supplier_set(
            actor=other_admin, product=ProductFactory(actor=other_admin, name="AJENO"),
            supplier=AccountFactory(actor=other_admin, name="Globex Supply",
                                    is_supplier=True), data={})
    user = portal_user(admin, supplier, role="supplier", first_name="Sara")
    read = walk_for_leaks(signed_in(user), set(readable_urls({Product: supplied})),
                          {*WORDS, "Vecino Proveedor", "Vinagre ajeno",
                           *figures(COST_PRICE)})
    assert "Aceite reserva" in read["/portal/supply/"] and "AS-77" in read["/portal/supply/"]
    assert "Aceite reserva" in read[f"/portal/supply/{supplied.uuid}/"]
