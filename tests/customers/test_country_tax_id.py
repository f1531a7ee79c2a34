"""Leads and accounts carry a country; their tax id is checked by that country's rules, and a
refused conversion names the lead's field to fix, on the lead's form."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from tests.customers.factories import AccountFactory, LeadFactory
from vinculo.customers import services
from vinculo.customers.models import Account, Lead, LeadStatus

GB_VAT = "GB 980 7806 84"  # HM Revenue & Customs' own example, valid


@pytest.mark.django_db
def test_uk_lead_with_a_valid_gb_vat_number_converts(as_admin):
    lead = LeadFactory(actor=as_admin, company_name="Baker & Sons Ltd", country="gb",
                       tax_id=GB_VAT)
    assert (lead.country, lead.tax_id) == ("GB", "980780684")
    account, _contact = services.lead_convert(actor=as_admin, lead=lead)
    assert (account.country, account.tax_id) == ("GB", "980780684")
    lead.refresh_from_db()
    assert lead.status == LeadStatus.CONVERTED


@pytest.mark.django_db
def test_invalid_gb_vat_number_is_refused_naming_the_country(as_admin):
    with pytest.raises(ValidationError) as refused:
        LeadFactory(actor=as_admin, country="GB", tax_id="GB 980 7806 85")
    assert refused.value.message_dict == {
        "tax_id": ["Not a valid tax id or VAT number for United Kingdom (GB)."]}
    assert not Lead.objects.exists()


@pytest.mark.django_db
def test_refused_conversion_names_the_lead_and_its_field(as_admin):
    lead = LeadFactory(actor=as_admin, company_name="Baker & Sons Ltd", country="GB")
    Lead.objects.filter(pk=lead.pk).update(tax_id="GB123")  # kept from before the rule
    with pytest.raises(ValidationError) as refused:
        services.lead_convert(actor=as_admin, lead=lead)
    assert refused.value.message_dict == {"tax_id": [
        f"Lead '{lead}': tax id: Not a valid tax id or VAT number for United Kingdom (GB)."]}
    lead.refresh_from_db()
    assert lead.status == LeadStatus.NEW and not Account.objects.exists()


@pytest.mark.django_db
def test_spanish_nif_is_still_checked_and_the_country_defaults_to_the_organisation(as_admin):
    lead = LeadFactory(actor=as_admin, tax_id="b-12345674")
    assert (lead.country, lead.tax_id) == ("ES", "B12345674")
    with pytest.raises(ValidationError) as refused:
        LeadFactory(actor=as_admin, tax_id="B12345678")
    assert refused.value.message_dict == {
        "tax_id": ["Not a valid tax id or VAT number for Spain (ES)."]}
    # a UK VAT number on a Spanish record is what the old rule refused, and still does
    with pytest.raises(ValidationError):
        AccountFactory(actor=as_admin, tax_id=GB_VAT)
    account = AccountFactory(actor=as_admin, tax_id="A58818501")
    assert account.country == "ES"


@pytest.mark.django_db
def test_changing_the_country_checks_the_kept_tax_id_again(as_admin):
    account = AccountFactory(actor=as_admin, country="GB", tax_id=GB_VAT)
    with pytest.raises(ValidationError) as refused:
        services.account_update(actor=as_admin, account=account, data={"country": "ES"},
                                expected_version=account.version)
    assert list(refused.value.message_dict) == ["tax_id"]
    with pytest.raises(ValidationError) as unknown:
        services.account_update(actor=as_admin, account=account, data={"country": "XX"},
                                expected_version=account.version)
    assert list(unknown.value.message_dict) == ["country"]


@pytest.mark.django_db
def test_lead_page_shows_country_and_tax_id_and_convert_refusal_opens_the_form(page, as_admin):
    lead = LeadFactory(actor=as_admin, company_name="Baker & Sons Ltd", country="GB",
                       tax_id=GB_VAT)
    html = page.get(reverse("customers:lead_detail", args=[lead.uuid])).content.decode()
    assert "United Kingdom" in html and "980780684" in html
    Lead.objects.filter(pk=lead.pk).update(tax_id="GB123")
    response = page.post(reverse("customers:lead_convert", args=[lead.uuid]))
    assert response.status_code == 400
    html = response.content.decode()
    assert f'action="{reverse("customers:lead_update", args=[lead.uuid])}"' in html
    assert "tax id: Not a valid tax id or VAT number for United Kingdom (GB)." in html
    assert 'name="tax_id"' in html and 'name="country"' in html
    # the fix, saved through that form, lets the lead convert
    form = {"first_name": lead.first_name, "last_name": lead.last_name, "email": lead.email,
            "company_name": lead.company_name, "country": "GB", "tax_id": GB_VAT,
            "status": "new", "score": "0", "version": str(lead.version)}
    assert page.post(reverse("customers:lead_update", args=[lead.uuid]), form).status_code == 302
    response = page.post(reverse("customers:lead_convert", args=[lead.uuid]))
    assert response.status_code == 302
    assert Account.objects.get().country == "GB"


@pytest.mark.django_db
def test_api_takes_the_country_and_names_a_bad_tax_id(api):
    response = api.post("/api/leads/", {"last_name": "Baker", "company_name": "Baker Ltd",
                                        "country": "GB", "tax_id": GB_VAT}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["country"] == "GB"
    response = api.post("/api/accounts/", {"name": "Baker Ltd", "country": "GB",
                                           "tax_id": "GB 1"}, format="json")
    assert response.status_code == 400
    assert response.json()["tax_id"] == [
        "Not a valid tax id or VAT number for United Kingdom (GB)."]
