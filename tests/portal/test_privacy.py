"""The portal's payments and credit notes, loyalty and package, consents, "download my
data" and the erasure request — each only the portal user's own (another account: nothing)."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from django.test import Client

from tests.core.factories import as_user
from tests.customers.factories import AccountFactory
from tests.loyalty.factories import member, paid_invoice, program
from tests.packages.factories import TOP, make_package, recompute
from tests.portal.factories import PORTAL_PASSWORD, contact_of, portal_user, signed_in
from tests.portal.world import documents_of
from tests.sales.factories import free_line
from vinculo.billing import services as billing
from vinculo.billing.models import Invoice
from vinculo.core.models import User
from vinculo.core.tenancy import organization_scope
from vinculo.customers.models import Consent, Contact, ErasureRequest
from vinculo.packages import services as package_services
from vinculo.portal.models import PortalActivity, PortalUser
from vinculo.service.models import Ticket


def _actions(user) -> list[str]:
    with organization_scope(user.organization_id):
        return list(PortalActivity.objects.filter(portal_user=user)
                    .values_list("action", flat=True))


def _invoice_naming(admin, user) -> Invoice:
    with organization_scope(user.organization_id):
        contact = Contact.objects.get(pk=user.contact_id)
    with as_user(admin):
        return billing.invoice_issue(actor=admin, invoice=billing.invoice_create(
            actor=admin, account=user.account, contact=contact,
            lines=[free_line("Aceite", "1", "10.00")]))


@pytest.mark.django_db
def test_payments_and_credit_notes_of_the_own_account_in_the_contacts_locale(admin):
    user = portal_user(admin, language="es")
    neighbour = AccountFactory(actor=admin, name="Vecina SA")
    mine = paid_invoice(admin, user.account, amount="1234.50")
    paid_invoice(admin, neighbour, amount="777.00")
    with as_user(admin):
        note = billing.credit_note_create(actor=admin, invoice=mine, reason="Devolución")
    page = signed_in(user).get("/portal/payments/").content.decode()
    assert "1.234,50" in page and note.number in page and mine.number in page
    assert "777" not in page  # the neighbour's payment
    technical = portal_user(admin, user.account, role="technical", first_name="Teo")
    assert signed_in(technical).get("/portal/payments/").status_code == 404


@pytest.mark.django_db
def test_payments_empty_state_says_what_comes(admin):
    page = signed_in(portal_user(admin, language="en")).get("/portal/payments/")
    assert "No payments recorded yet" in page.content.decode()


@pytest.mark.django_db
def test_benefits_show_loyalty_and_package_through_their_selectors(admin):
    user = portal_user(admin, language="en")
    client = signed_in(user)
    assert "no loyalty programme or service package" in client.get(
        "/portal/benefits/").content.decode()
    club = program(admin, name="Club Aceite")
    member(admin, club, user.account)
    paid_invoice(admin, user.account, amount="200.00")
    make_package(admin, name="Oro", rank=30, rule=TOP)
    recompute({user.account: "High"})
    with as_user(admin):
        package_services.packages_evaluate(organization=admin.organization)
    page = client.get("/portal/benefits/").content.decode()
    assert "Club Aceite" in page and "points available" in page and "Oro" in page
    other = portal_user(admin, first_name="Olga")  # another account: none of it
    assert "Club Aceite" not in signed_in(other).get("/portal/benefits/").content.decode()


@pytest.mark.django_db
def test_consents_change_through_the_customers_service_and_bad_input_writes_nothing(admin):
    user = portal_user(admin, language="en")
    client = signed_in(user)
    assert client.post("/portal/privacy/", {"channel": "pigeon", "granted": "yes"}
                       ).status_code == 400
    assert client.post("/portal/privacy/", {"channel": "email", "granted": "maybe"}
                       ).status_code == 400
    with organization_scope(user.organization_id):
        assert not Consent.objects.exists()
    assert client.post("/portal/privacy/", {"channel": "email", "granted": "yes"}
                       ).status_code == 302
    assert client.post("/portal/privacy/", {"channel": "email", "granted": "no"}
                       ).status_code == 302
    with organization_scope(user.organization_id):
        consent = Consent.objects.get(contact=user.contact_id)
    assert (consent.granted, consent.source) == (False, "portal")
    assert _actions(user).count("consent") == 2  # each change logged for staff
    page = client.get("/portal/privacy/").content.decode()
    assert "Not asked yet" in page
    # what an erasure keeps, as the apps declare it (billing: issued invoices)
    assert "What is kept after an erasure" in page and "the law requires keeping" in page


@pytest.mark.django_db
def test_my_data_holds_the_contact_and_only_them(admin):
    user = portal_user(admin, language="en", email="ana@propio.example")
    docs = documents_of(admin, user.account, "PROPIO")
    with organization_scope(user.organization_id):
        Ticket.objects.filter(pk=docs[Ticket].pk).update(contact=user.contact_id)
    named = _invoice_naming(admin, user)
    client = signed_in(user)
    client.post("/portal/privacy/", {"channel": "email", "granted": "yes"})
    response = client.get("/portal/privacy/my-data/")
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    data = json.loads(zipfile.ZipFile(io.BytesIO(response.content)).read("datos.json"))
    assert data["contact"]["email"] == "ana@propio.example"
    assert data["consents"][0]["granted"] is True
    assert [t["subject"] for t in data["tickets"]] == ["Incidencia PROPIO"]
    assert [i["number"] for i in data["invoices"]] == [named.number]  # not the unnamed one
    assert "NOTA-INTERNA" not in response.content.decode("latin-1")
    assert "data_export" in _actions(user)
    colleague = portal_user(admin, user.account, first_name="Berta")
    theirs = signed_in(colleague).get("/portal/privacy/my-data/")
    other = json.loads(zipfile.ZipFile(io.BytesIO(theirs.content)).read("datos.json"))
    assert other["contact"]["first_name"] == "Berta" and other["tickets"] == []
    assert Client().get("/portal/privacy/my-data/").status_code == 302  # signed out


@pytest.mark.django_db
def test_erasure_is_requested_on_the_portal_and_carried_out_when_staff_approve(
        admin, page, other_admin):
    user = portal_user(admin, language="en", email="ana@propio.example")
    account = user.account
    colleague = contact_of(admin, account, "Berta", "berta@propio.example")
    named = _invoice_naming(admin, user)
    client = signed_in(user)
    assert client.post("/portal/privacy/", {"erase": "1"}).status_code == 302
    assert client.post("/portal/privacy/", {"erase": "1"}).status_code == 302  # no duplicate
    with organization_scope(user.organization_id):
        request = ErasureRequest.objects.get()
    panel_url = f"/portal/staff/panel/?record=customers.account:{account.uuid}"
    assert "asked on" in page.get(panel_url).content.decode()
    url = f"/portal/staff/erasure/{request.uuid}/"
    assert page.post(url, {"decision": "perhaps"}).status_code == 400
    stranger = Client()
    stranger.force_login(other_admin)
    assert stranger.post(url, {"decision": "approve"}).status_code == 404
    assert page.post(url, {"decision": "approve"}).status_code == 200
    with organization_scope(user.organization_id):
        contact = Contact.all_objects.get(pk=user.contact_id)
        invoice = Invoice.objects.get(pk=named.pk)
        berta = Contact.objects.get(pk=colleague.pk)
        gone = PortalUser.all_objects.get(pk=user.pk)
    assert (contact.email, contact.phone, contact.active) == ("", "", False)
    assert "Ana" not in contact.full_name
    assert invoice.contact_id == contact.pk and invoice.number  # the law's copy stays
    assert (berta.first_name, berta.email) == ("Berta", "berta@propio.example")
    assert not gone.is_active and "ana@" not in gone.email
    # the service account it acted as (named for the contact in the audit log) is renamed too
    acting = User.objects.get(pk=gone.user_id)
    assert "Ana" not in f"{acting.first_name} {acting.last_name}"
    assert Client().post("/portal/login/", {"email": "ana@propio.example",
                                            "password": PORTAL_PASSWORD}).status_code != 302
    assert page.post(url, {"decision": "approve"}).status_code == 400  # decided already
