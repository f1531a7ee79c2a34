"""Customer records through the services and the API: normalisation, validation, 409, audit."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from tests.customers.factories import AccountFactory, ContactFactory
from vinculo.core.models import AuditEntry
from vinculo.core.services import ConflictError, custom_field_create
from vinculo.customers import services
from vinculo.customers.models import Contact


@pytest.mark.django_db
def test_contact_is_stored_normalised(as_admin):
    contact = services.contact_create(
        actor=as_admin,
        data={
            "first_name": "  José ",
            "last_name": "Núñez",
            "email": " Jose.Nunez@Example.ES ",
            "phone": "600 12 34 56",
            "mobile": "+44 20 7946 0958",
        },
    )
    assert contact.email == "jose.nunez@example.es"
    assert contact.phone == "+34600123456"
    assert contact.mobile == "+442079460958"
    assert contact.full_name == "José Núñez"
    assert contact.search_text == "jose nunez jose.nunez@example.es 34600123456 442079460958"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("email", "not-an-email"),
        ("phone", "12"),
        ("phone", "call me"),
        ("preferred_channel", "fax"),
    ],
)
def test_bad_contact_input_names_the_field_and_writes_nothing(as_admin, field, value):
    with pytest.raises(ValidationError) as error:
        services.contact_create(actor=as_admin, data={"first_name": "Ana", field: value})
    assert field in error.value.message_dict
    assert not Contact.objects.exists()
    assert not AuditEntry.objects.filter(object_type="customers.contact").exists()


@pytest.mark.django_db
def test_spanish_tax_id_is_validated(as_admin):
    account = services.account_create(
        actor=as_admin, data={"name": "Dulces SL", "tax_id": "b-5841 4764"}
    )
    assert account.tax_id == "B58414764"
    with pytest.raises(ValidationError) as error:
        services.account_create(actor=as_admin, data={"name": "Mala SL", "tax_id": "B58414765"})
    assert "tax_id" in error.value.message_dict


@pytest.mark.django_db
class TestCustomFields:
    @pytest.fixture(autouse=True)
    def fields(self, as_admin):
        org = as_admin.organization
        custom_field_create(
            organization=org,
            model="contact",
            key="shoe_size",
            label="Shoe",
            type="number",
            required=True,
        )
        custom_field_create(
            organization=org, model="contact", key="ratio", label="Ratio", type="decimal"
        )
        custom_field_create(
            organization=org, model="contact", key="since", label="Since", type="date"
        )
        custom_field_create(
            organization=org, model="contact", key="vip", label="VIP", type="boolean"
        )
        custom_field_create(
            organization=org,
            model="contact",
            key="tier",
            label="Tier",
            type="choice",
            choices=["gold", "silver"],
        )
        custom_field_create(
            organization=org,
            model="contact",
            key="topics",
            label="Topics",
            type="multi_choice",
            choices=["wine", "cheese", "bread"],
        )

    def test_valid_values_are_canonicalised(self, as_admin):
        contact = services.contact_create(
            actor=as_admin,
            data={
                "first_name": "Eva",
                "custom_fields": {
                    "shoe_size": "38",
                    "ratio": "1,5",
                    "since": "2024-02-29",
                    "vip": "sí",
                    "tier": "gold",
                    "topics": ["wine", "bread"],
                },
            },
        )
        assert contact.custom_fields == {
            "shoe_size": 38,
            "ratio": "1.5",
            "since": "2024-02-29",
            "vip": True,
            "tier": "gold",
            "topics": ["wine", "bread"],
        }

    @pytest.mark.parametrize(
        ("key", "value"),
        [
            ("shoe_size", "38.5"),
            ("shoe_size", "big"),
            ("ratio", "NaN"),
            ("since", "29/02/2024"),
            ("since", "2023-02-29"),
            ("vip", "maybe"),
            ("tier", "bronze"),
            ("topics", ["beer"]),
            ("unknown", "x"),
        ],
    )
    def test_bad_values_name_the_field(self, as_admin, key, value):
        data = {"first_name": "Eva", "custom_fields": {"shoe_size": 40, key: value}}
        with pytest.raises(ValidationError) as error:
            services.contact_create(actor=as_admin, data=data)
        assert f"custom_fields.{key}" in error.value.message_dict
        assert not Contact.objects.exists()

    def test_required_field_is_enforced_on_create_not_on_partial_update(self, as_admin):
        with pytest.raises(ValidationError) as error:
            services.contact_create(actor=as_admin, data={"first_name": "Eva"})
        assert "custom_fields.shoe_size" in error.value.message_dict
        contact = services.contact_create(
            actor=as_admin, data={"first_name": "Eva", "custom_fields": {"shoe_size": 37}}
        )
        services.contact_update(
            actor=as_admin, contact=contact, data={"title": "CEO"}, expected_version=contact.version
        )
        contact.refresh_from_db()
        assert contact.custom_fields == {"shoe_size": 37}

    def test_api_filters_and_shows_custom_fields(self, as_admin, api):
        ContactFactory(actor=as_admin, custom_fields={"shoe_size": 38, "tier": "gold"})
        ContactFactory(actor=as_admin, custom_fields={"shoe_size": 44, "tier": "silver"})
        rows = api.get("/api/contacts/?cf_tier=gold").json()["results"]
        assert [r["custom_fields"]["shoe_size"] for r in rows] == [38]
        rows = api.get("/api/contacts/?cf_shoe_size=44").json()["results"]
        assert [r["custom_fields"]["tier"] for r in rows] == ["silver"]
        bad = api.post(
            "/api/contacts/",
            {"first_name": "X", "custom_fields": {"shoe_size": "xl"}},
            format="json",
        )
        assert bad.status_code == 400
        assert "custom_fields.shoe_size" in bad.json()


@pytest.mark.django_db
def test_stale_version_in_the_service(as_admin):
    contact = ContactFactory(actor=as_admin)
    services.contact_update(
        actor=as_admin, contact=contact, data={"title": "A"}, expected_version=1
    )
    stale = Contact.objects.get(pk=contact.pk)
    stale.version = 1
    with pytest.raises(ConflictError):
        services.contact_update(
            actor=as_admin, contact=stale, data={"title": "B"}, expected_version=1
        )
    assert Contact.objects.get(pk=contact.pk).title == "A"


@pytest.mark.django_db
def test_stale_edit_form_shows_a_conflict(as_admin, page):
    contact = ContactFactory(actor=as_admin, title="Buyer")
    url = f"/customers/contacts/{contact.uuid}/edit/"
    form = {
        "first_name": contact.first_name,
        "last_name": contact.last_name,
        "email": contact.email,
        "title": "Head buyer",
        "lifecycle_stage": "prospect",
        "version": 1,
    }
    assert page.post(url, form).status_code == 302
    again = page.post(url, {**form, "title": "Intern"})
    assert again.status_code == 409
    assert "Someone else changed this record" in again.content.decode()
    contact.refresh_from_db()
    assert contact.title == "Head buyer"


@pytest.mark.django_db
def test_api_errors_are_json_naming_the_field(api):
    response = api.post(
        "/api/contacts/", {"first_name": "A", "email": "nope", "phone": "1"}, format="json"
    )
    assert response.status_code == 400
    body = response.json()
    assert set(body) >= {"email"}
    response = api.post("/api/contacts/", {"first_name": "A", "phone": "12"}, format="json")
    assert response.status_code == 400 and "phone" in response.json()


@pytest.mark.django_db
def test_every_change_is_in_the_history_with_before_and_after(as_admin, api):
    contact = ContactFactory(actor=as_admin, title="Buyer", tags=["vip"])
    api.patch(f"/api/contacts/{contact.uuid}/", {"title": "CFO", "version": 1}, format="json")
    history = api.get(f"/api/contacts/{contact.uuid}/history/").json()
    assert history[0]["action"] == "update"
    assert history[0]["changes"]["title"] == ["Buyer", "CFO"]
    assert history[0]["actor"] == str(as_admin)
    assert any(
        h["action"] == "create" and h["changes"]["title"] == [None, "Buyer"] for h in history
    )
    assert any(h["changes"].get("tags") == {"added": ["vip"]} for h in history)
    # the audit API is read-only
    assert api.delete("/api/audit/1/").status_code == 405
    assert api.post("/api/audit/", {}, format="json").status_code == 405


@pytest.mark.django_db
def test_delete_is_audited_with_the_last_values(as_admin, api):
    contact = ContactFactory(actor=as_admin, title="Buyer")
    assert api.delete(f"/api/contacts/{contact.uuid}/").status_code == 204
    entry = AuditEntry.objects.get(object_uuid=contact.uuid, action="delete")
    assert entry.changes["title"] == ["Buyer", None]
    assert entry.actor == as_admin


@pytest.mark.django_db
def test_contact_with_accounts_and_consents_in_one_call(as_admin, api):
    account = AccountFactory(actor=as_admin, name="Bodegas Rioja SA")
    response = api.post(
        "/api/contacts/",
        {
            "first_name": "Iker",
            "last_name": "Etxeberria",
            "email": "iker@bodegas.es",
            "accounts": [{"account": str(account.uuid), "role": "Enólogo", "is_primary": True}],
            "consents": [
                {"channel": "email", "granted": True, "source": "feria 2026"},
                {"channel": "sms", "granted": False},
            ],
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["accounts"] == [
        {
            "account": str(account.uuid),
            "account_name": "Bodegas Rioja SA",
            "role": "Enólogo",
            "is_primary": True,
        }
    ]
    assert {(c["channel"], c["granted"], c["source"]) for c in body["consents"]} == {
        ("email", True, "feria 2026"),
        ("sms", False, ""),
    }
    # a bad consent channel leaves nothing behind: one transaction
    bad = api.post(
        "/api/contacts/",
        {
            "first_name": "Nadie",
            "email": "nadie@x.es",
            "consents": [{"channel": "pigeon", "granted": True}],
        },
        format="json",
    )
    assert bad.status_code == 400
    assert not Contact.objects.filter(email="nadie@x.es").exists()


@pytest.mark.django_db
def test_consent_recorded_from_the_page_fragment(as_admin, page, client, users):
    contact = ContactFactory(actor=as_admin)
    response = page.post(
        f"/customers/contacts/{contact.uuid}/consent/",
        {"channel": "phone", "granted": "no", "source": "llamada"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert 'id="consents"' in response.content.decode()
    consent = contact.consents.get()
    assert (consent.channel, consent.granted, consent.source) == ("phone", False, "llamada")
    client.force_login(users["read_only"])
    assert (
        client.post(
            f"/customers/contacts/{contact.uuid}/consent/", {"channel": "email", "granted": "yes"}
        ).status_code
        == 403
    )
    assert contact.consents.count() == 1


def test_detail_pages_show_phones_grouped_with_a_call_link(as_admin, page):
    """Stored in E.164 (+34986024697), read grouped the way the country writes it, dialled
    from the link as stored; an empty number is a dash, not an empty link."""
    contact = ContactFactory(actor=as_admin, phone="+34 986 02 46 97", mobile="")
    account = AccountFactory(actor=as_admin, phone="986024697")
    html = page.get(f"/customers/contacts/{contact.uuid}/").content.decode()
    assert '<a href="tel:+34986024697">+34 986 02 46 97</a>' in html
    assert 'href="tel:"' not in html
    html = page.get(f"/customers/accounts/{account.uuid}/").content.decode()
    assert '<a href="tel:+34986024697">+34 986 02 46 97</a>' in html
