"""The API and the pages of quotes, orders, invoices, payments and returns: the flow, other
organisations (404), read-only users (403 on writes, nothing changed)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from tests.catalog.factories import ProductFactory
from tests.conftest import token_client
from tests.customers.factories import AccountFactory
from tests.sales.factories import DeliveryFactory, OrderFactory, free_line
from vinculo.billing.models import Invoice, Payment, ReturnAuthorization
from vinculo.sales.models import Delivery, Order, Quote

TODAY = dt.date.today()


@pytest.mark.django_db
def test_api_quote_to_cash(as_admin, api):
    account = AccountFactory(actor=as_admin)
    oil = ProductFactory(actor=as_admin, list_price="42.50", tax_rate="10")
    created = api.post("/api/quotes/", {"account": str(account.uuid), "lines": [
        {"product": str(oil.uuid), "quantity": "10"},
        {"description": "Transport", "quantity": "1", "unit_price": "35.00", "tax_rate": "21"}]},
        format="json")
    assert created.status_code == 201, created.content
    quote = created.json()
    assert (quote["total_amount"], quote["revision"]) == ("509.85", 1)
    order = api.post(f"/api/quotes/{quote['id']}/accept/",
                     {"promised_date": str(TODAY + dt.timedelta(days=3))}, format="json")
    assert order.status_code == 201, order.content
    order = order.json()
    first_line = order["lines"][0]
    delivered = api.post(f"/api/orders/{order['id']}/deliver/", {"lines": [
        {"order_line": first_line["id"], "quantity": "11"}]}, format="json")
    assert delivered.status_code == 400 and "lines.0.quantity" in delivered.json()
    delivered = api.post(f"/api/orders/{order['id']}/deliver/", {"lines": [
        {"order_line": line["id"], "quantity": line["quantity"]} for line in order["lines"]]},
        format="json")
    assert delivered.status_code == 201
    invoice = api.post("/api/invoices/from-order/", {"order": order["id"]}, format="json")
    assert invoice.status_code == 201, invoice.content
    invoice_id = invoice.json()["id"]
    issued = api.post(f"/api/invoices/{invoice_id}/issue/", {}, format="json").json()
    assert issued["number"] == f"F-{TODAY.year}-000001" and issued["outstanding"] == "509.85"
    changed = api.patch(f"/api/invoices/{invoice_id}/", {"version": issued["version"],
                                                         "notes": "x"}, format="json")
    assert changed.status_code == 400
    too_much = api.post(f"/api/invoices/{invoice_id}/pay/", {"amount": "600.00"}, format="json")
    assert too_much.status_code == 400
    paid = api.post(f"/api/invoices/{invoice_id}/pay/", {"amount": "509.85"}, format="json")
    assert paid.status_code == 201
    assert api.get(f"/api/invoices/{invoice_id}/").json()["status"] == "paid"
    pdf = api.get(f"/api/invoices/{invoice_id}/pdf/")
    assert pdf.content.startswith(b"%PDF")
    rma = api.post("/api/returns/", {"order": order["id"], "reason": "Broken", "lines": [
        {"order_line": first_line["id"], "quantity": "1"}]}, format="json")
    assert rma.status_code == 201 and rma.json()["number"].startswith("RMA-")
    for step in ("authorise", "receive"):
        assert api.post(f"/api/returns/{rma.json()['id']}/{step}/").status_code == 200
    closed = api.post(f"/api/returns/{rma.json()['id']}/close/",
                      {"resolution": "credit_note"}, format="json")
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    aging = api.get("/api/invoices/aging/")
    assert aging.status_code == 200
    levels = api.get("/api/service-levels/?by=month")
    assert levels.status_code == 200


@pytest.fixture
def documents_a(as_admin):
    order = OrderFactory(actor=as_admin)
    DeliveryFactory(actor=as_admin, order=order)
    from vinculo.billing import returns, services
    invoice = services.invoice_issue(
        actor=as_admin, invoice=services.invoice_from_order(actor=as_admin, order=order))
    payment = services.payment_record(actor=as_admin, invoice=invoice, amount="10.00")
    rma = returns.return_request(actor=as_admin, order=order, reason="x",
                                 lines=[(order.lines.first(), 1)])
    quote = __import__("vinculo.sales.documents.services", fromlist=["x"]).quote_create(
        actor=as_admin, account=order.account, lines=[free_line()])
    return {"quotes": quote, "orders": order, "deliveries": order.deliveries.first(),
            "invoices": invoice, "payments": payment, "returns": rma}


def _snapshot():
    return [list(model.all_objects.values()) for model in
            (Quote, Order, Delivery, Invoice, Payment, ReturnAuthorization)]


@pytest.mark.django_db
def test_other_organisation_gets_404_on_every_document_endpoint(documents_a, other_admin):
    api = token_client(other_admin)
    before = _snapshot()
    for base, record in documents_a.items():
        url = f"/api/{base}/{record.uuid}/"
        assert api.get(url).status_code == 404
        assert api.get(f"/api/{base}/").json()["results"] == [] if isinstance(
            api.get(f"/api/{base}/").json(), dict) else api.get(f"/api/{base}/").json() == []
    for url in (f"/api/quotes/{documents_a['quotes'].uuid}/accept/",
                f"/api/quotes/{documents_a['quotes'].uuid}/send/",
                f"/api/orders/{documents_a['orders'].uuid}/deliver/",
                f"/api/invoices/{documents_a['invoices'].uuid}/pay/",
                f"/api/invoices/{documents_a['invoices'].uuid}/credit/",
                f"/api/returns/{documents_a['returns'].uuid}/authorise/"):
        assert api.post(url, {"amount": "1.00"}, format="json").status_code == 404, url
    assert api.post("/api/invoices/from-order/", {"order": str(documents_a["orders"].uuid)},
                    format="json").status_code == 400
    assert _snapshot() == before


@pytest.mark.django_db
def test_pages_list_and_detail(documents_a, page):
    for url in ("/sales/quotes/", "/sales/orders/", "/sales/deliveries/", "/billing/invoices/",
                "/billing/payments/", "/billing/returns/", "/billing/aging/",
                "/billing/service-levels/", "/sales/quotes/new/", "/billing/invoices/new/"):
        assert page.get(url).status_code == 200, url
    invoice = documents_a["invoices"]
    html = page.get(f"/billing/invoices/{invoice.uuid}/").content.decode()
    assert invoice.number in html
    assert page.get(f"/sales/orders/{documents_a['orders'].uuid}/").status_code == 200
    assert page.get(f"/sales/quotes/{documents_a['quotes'].uuid}/").status_code == 200
    assert page.get(f"/billing/returns/{documents_a['returns'].uuid}/").status_code == 200
    pdf = page.get(f"/billing/invoices/{invoice.uuid}/pdf/")
    assert pdf["Content-Type"] == "application/pdf"


@pytest.mark.django_db
def test_page_payment_and_overpayment_message(documents_a, page):
    invoice = documents_a["invoices"]
    response = page.post(f"/billing/invoices/{invoice.uuid}/pay/",
                         {"amount": "99999.00", "method": "transfer"}, follow=True)
    assert "more than the outstanding" in response.content.decode()
    assert Payment.objects.filter(invoice=invoice).count() == 1
    page.post(f"/billing/invoices/{invoice.uuid}/pay/", {"amount": "5.00", "method": "cash"})
    assert Payment.objects.filter(invoice=invoice).count() == 2
    assert sum(p.amount for p in Payment.objects.filter(invoice=invoice)) == Decimal("15.00")


@pytest.mark.django_db
def test_api_deletes_a_draft_invoice_through_its_service_and_refuses_an_issued_one(
        documents_a, api, users):
    issued = documents_a["invoices"]
    draft = api.post("/api/invoices/", {
        "account": str(issued.account.uuid),
        "lines": [{"description": "Consulting", "quantity": "1", "unit_price": "100.00"}]},
        format="json")
    assert draft.status_code == 201, draft.content
    url = f"/api/invoices/{draft.json()['id']}/"
    assert token_client(users["read_only"]).delete(url).status_code == 403
    assert Invoice.objects.filter(uuid=draft.json()["id"]).exists()
    assert api.delete(url).status_code == 204
    assert not Invoice.all_objects.filter(uuid=draft.json()["id"]).exists()
    refused = api.delete(f"/api/invoices/{issued.uuid}/")
    assert refused.status_code == 400
    assert Invoice.objects.filter(pk=issued.pk, status="issued").exists()


@pytest.mark.django_db
def test_page_deletes_a_draft_invoice_and_refuses_an_issued_one(documents_a, as_admin, page):
    from vinculo.billing import services
    issued = documents_a["invoices"]
    draft = services.invoice_create(actor=as_admin, account=issued.account,
                                    lines=[free_line()])
    confirm = page.get(f"/billing/invoices/{draft.uuid}/delete/")
    assert confirm.status_code == 200
    gone = page.post(f"/billing/invoices/{draft.uuid}/delete/")
    assert gone.status_code == 302 and gone["Location"] == "/billing/invoices/"
    assert not Invoice.all_objects.filter(pk=draft.pk).exists()
    kept = page.post(f"/billing/invoices/{issued.uuid}/delete/", follow=True)
    assert kept.redirect_chain[0][0] == f"/billing/invoices/{issued.uuid}/"
    assert "credit note" in kept.content.decode()
    assert Invoice.objects.filter(pk=issued.pk, status="issued").exists()
