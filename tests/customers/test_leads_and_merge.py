"""Lead conversion (matching existing customers) and merging duplicates."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from tests.customers.factories import AccountFactory, ContactFactory, LeadFactory
from vinculo.core.models import AuditEntry
from vinculo.customers import selectors, services
from vinculo.customers.models import Account, AccountContact, Consent, Contact, Lead, LeadStatus


@pytest.mark.django_db
def test_lead_convert_creates_account_and_contact(as_admin):
    lead = LeadFactory(
        actor=as_admin,
        company_name="Quesos Manchegos SL",
        title="Compras",
        phone="+34 911 22 33 44",
        tags=["feria"],
    )
    account, contact = services.lead_convert(actor=as_admin, lead=lead)
    lead.refresh_from_db()
    assert lead.status == LeadStatus.CONVERTED
    assert (lead.converted_account, lead.converted_contact) == (account, contact)
    assert account.name == "Quesos Manchegos SL"
    assert contact.email == lead.email and contact.phone == "+34911223344"
    assert AccountContact.objects.get(account=account, contact=contact).role == "Compras"
    assert set(contact.tags.values_list("name", flat=True)) == {"feria"}
    with pytest.raises(ValidationError):
        services.lead_convert(actor=as_admin, lead=lead)


@pytest.mark.django_db
def test_lead_convert_matches_existing_duplicates(as_admin):
    account = AccountFactory(actor=as_admin, name="Quesos Manchegos S.L.")
    contact = ContactFactory(actor=as_admin, email="compras@quesos.es")
    lead = LeadFactory(actor=as_admin, company_name="Quesos Manchegos SL",
                       email="COMPRAS@quesos.es")
    got_account, got_contact = services.lead_convert(actor=as_admin, lead=lead)
    assert (got_account, got_contact) == (account, contact)
    assert Account.objects.count() == 1 and Contact.objects.count() == 1


@pytest.mark.django_db
def test_convert_via_api(as_admin, api):
    lead = LeadFactory(actor=as_admin)
    response = api.post(f"/api/leads/{lead.uuid}/convert/")
    assert response.status_code == 200
    assert Contact.objects.get(uuid=response.json()["contact"]).email == lead.email


@pytest.mark.django_db
def test_duplicates_are_detected_by_email_phone_and_name(as_admin):
    ana = ContactFactory(
        actor=as_admin,
        first_name="Ana María",
        last_name="López García",
        email="ana@example.es",
        phone="600111222",
    )
    by_email = ContactFactory(
        actor=as_admin, first_name="A.", last_name="López", email="ANA@example.es"
    )
    by_phone = ContactFactory(
        actor=as_admin,
        first_name="Anita",
        last_name="L",
        email="anita@example.es",
        phone="+34 600 111 222",
    )
    by_name = ContactFactory(
        actor=as_admin, first_name="Ana Maria", last_name="Lopez Garcia", email="amlg@example.es"
    )
    unrelated = ContactFactory(
        actor=as_admin, first_name="Pedro", last_name="Sánchez", email="pedro@example.es"
    )
    found = {c.record.pk: c.reasons for c in selectors.contact_duplicates(ana)}
    assert found[by_email.pk] == ["email"]
    assert found[by_phone.pk] == ["phone"]
    assert found[by_name.pk] == ["name"]
    assert unrelated.pk not in found


@pytest.mark.django_db
def test_merge_moves_everything_to_the_survivor(as_admin, api):
    acme = AccountFactory(actor=as_admin, name="Acme")
    beta = AccountFactory(actor=as_admin, name="Beta")
    survivor = ContactFactory(
        actor=as_admin, first_name="Ana", last_name="López", email="ana@example.es", title="",
        tags=["a"],
    )
    duplicate = ContactFactory(
        actor=as_admin,
        first_name="Ana",
        last_name="López",
        email="ana.lopez@work.es",
        title="CFO",
        tags=["b"],
    )
    services.contact_link_account(actor=as_admin, contact=survivor, account=acme)
    services.contact_link_account(actor=as_admin, contact=duplicate, account=acme)
    services.contact_link_account(actor=as_admin, contact=duplicate, account=beta, role="Board")
    services.consent_record(
        actor=as_admin, contact=duplicate, channel="email", granted=True, source="web form"
    )
    lead = LeadFactory(actor=as_admin, email="ana.lopez@work.es", company_name="Acme")
    services.lead_convert(actor=as_admin, lead=lead)  # converts into `duplicate` (same e-mail)
    lead.refresh_from_db()
    assert lead.converted_contact == duplicate

    response = api.post(
        f"/api/contacts/{survivor.uuid}/merge/", {"duplicate": str(duplicate.uuid)}, format="json"
    )
    assert response.status_code == 200, response.content
    survivor.refresh_from_db()
    assert not Contact.objects.filter(pk=duplicate.pk).exists()
    assert survivor.title == "CFO"  # blank filled from the duplicate
    assert survivor.other_emails == ["ana.lopez@work.es"]
    assert set(survivor.accounts.values_list("name", flat=True)) == {"Acme", "Beta"}
    assert AccountContact.objects.get(contact=survivor, account=beta).role == "Board"
    assert Consent.objects.get(contact=survivor, channel="email").granted is True
    assert set(survivor.tags.values_list("name", flat=True)) == {"a", "b"}
    lead.refresh_from_db()
    assert lead.converted_contact == survivor
    # the audit trail keeps the duplicate's history and records its removal
    assert AuditEntry.objects.filter(object_uuid=duplicate.uuid, action="create").exists()
    assert AuditEntry.objects.filter(object_uuid=duplicate.uuid, action="delete").exists()


@pytest.mark.django_db
def test_merge_refuses_self_and_other_organisations(as_admin, api, other_admin):
    contact = ContactFactory(actor=as_admin)
    foreign = ContactFactory(actor=other_admin)
    with pytest.raises(ValidationError):
        services.contact_merge(actor=as_admin, survivor=contact, duplicate=contact)
    response = api.post(
        f"/api/contacts/{contact.uuid}/merge/", {"duplicate": str(foreign.uuid)}, format="json"
    )
    assert response.status_code == 404
    assert Contact.all_objects.filter(pk=foreign.pk).exists()


@pytest.mark.django_db
def test_account_merge_via_page(as_admin, page):
    survivor = AccountFactory(actor=as_admin, name="Ferretería Pérez", tax_id="B58414764")
    duplicate = AccountFactory(actor=as_admin, name="Ferreteria Perez SL", website="https://fp.es")
    contact = ContactFactory(actor=as_admin)
    services.contact_link_account(actor=as_admin, contact=contact, account=duplicate)
    detail = page.get(f"/customers/accounts/{survivor.uuid}/").content.decode()
    assert "Ferreteria Perez SL" in detail  # offered as a possible duplicate
    response = page.post(
        f"/customers/accounts/{survivor.uuid}/merge/", {"duplicate": str(duplicate.uuid)}
    )
    assert response.status_code == 302
    survivor.refresh_from_db()
    assert survivor.website == "https://fp.es"
    assert list(survivor.contacts.all()) == [contact]
    assert not Account.objects.filter(pk=duplicate.pk).exists()
    assert Lead.objects.count() == 0
