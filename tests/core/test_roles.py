"""Role × endpoint matrix and the record-level rule for sales representatives."""

from __future__ import annotations

import pytest

from tests import factories
from tests.conftest import token_client
from vinculo.core.roles import Role, role_has
from vinculo.core.tenancy import organization_scope
from vinculo.customers.models import Contact

ROLES = list(Role.values)


def expected(role: str, permission: str, ok: int) -> int:
    return ok if role_has(role, permission) else 403


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_api_matrix(role, users):
    admin = users["admin"]
    api = token_client(users[role])
    contact = factories.contact(admin, owner=users[role])
    other = factories.contact(admin, owner=users[role], email="other@example.es")
    lead = factories.lead(admin, owner=users[role])
    url = f"/api/contacts/{contact.uuid}/"

    assert api.get("/api/contacts/").status_code == 200  # every role may read
    assert api.get(url).status_code == 200
    create = api.post(
        "/api/contacts/", {"first_name": "Nueva", "email": "nueva@example.es"}, format="json"
    )
    assert create.status_code == expected(role, "customers.add", 201), create.content
    patch = api.patch(url, {"title": "CFO", "version": contact.version}, format="json")
    assert patch.status_code == expected(role, "customers.change", 200), patch.content
    merge = api.post(f"{url}merge/", {"duplicate": str(other.uuid)}, format="json")
    assert merge.status_code == expected(role, "customers.merge", 200), merge.content
    convert = api.post(f"/api/leads/{lead.uuid}/convert/")
    assert convert.status_code == expected(role, "leads.convert", 200), convert.content
    audit = api.get("/api/audit/")
    assert audit.status_code == expected(role, "audit.view", 200)
    forecast = api.get("/api/analytics/forecast/")
    assert forecast.status_code == expected(role, "analytics.view", 200)
    field = api.post(
        "/api/custom-fields/",
        {"model": "contact", "key": "k", "label": "K", "type": "text"},
        format="json",
    )
    assert field.status_code == expected(role, "core.manage_custom_fields", 201)
    delete = api.delete(url)
    assert delete.status_code == expected(role, "customers.delete", 204)
    with organization_scope(admin.organization):
        assert Contact.objects.filter(pk=contact.pk).exists() == (delete.status_code != 204)


@pytest.mark.django_db
def test_matrix_denies_what_the_roles_say():
    # The table itself: the read-only role and the analyst never write customer records.
    for permission in ("customers.add", "customers.change", "customers.delete"):
        assert not role_has(Role.READ_ONLY, permission)
        assert not role_has(Role.ANALYST, permission)
    assert not role_has(Role.SALES_REP, "customers.delete")
    assert role_has(Role.ADMIN, "core.manage_custom_fields")
    assert not role_has(Role.SALES_MANAGER, "core.manage_custom_fields")


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_page_matrix(role, users, client):
    client.force_login(users[role])
    assert client.get("/customers/contacts/").status_code == 200
    new = client.get("/customers/contacts/new/")
    assert new.status_code == expected(role, "customers.add", 200)
    assert client.get("/audit/").status_code == expected(role, "audit.view", 200)
    assert client.get("/analytics/forecast/").status_code == expected(role, "analytics.view", 200)
    assert client.get("/settings/custom-fields/").status_code == expected(
        role, "core.manage_custom_fields", 200
    )


@pytest.mark.django_db
def test_sales_rep_sees_own_and_team_records_only(users, client):
    rep, teammate, south = users["sales_rep"], users["sales_rep_2"], users["sales_rep_south"]
    manager = users["sales_manager"]
    mine = factories.contact(rep, last_name="Propio")
    team = factories.contact(teammate, last_name="Equipo")
    foreign = factories.contact(south, last_name="Ajeno")

    seen = {row["id"] for row in token_client(rep).get("/api/contacts/").json()["results"]}
    assert seen == {str(mine.uuid), str(team.uuid)}
    assert token_client(rep).get(f"/api/contacts/{foreign.uuid}/").status_code == 404
    patch = token_client(rep).patch(
        f"/api/contacts/{foreign.uuid}/", {"title": "x", "version": 1}, format="json"
    )
    assert patch.status_code == 404

    seen_by_manager = {
        r["id"] for r in token_client(manager).get("/api/contacts/").json()["results"]
    }
    assert {str(mine.uuid), str(team.uuid), str(foreign.uuid)} <= seen_by_manager

    client.force_login(rep)
    page = client.get("/customers/contacts/").content.decode()
    assert "Propio" in page and "Equipo" in page and "Ajeno" not in page
    assert client.get(f"/customers/contacts/{foreign.uuid}/").status_code == 404
    assert client.get(f"/customers/contacts/{foreign.uuid}/edit/").status_code == 404


@pytest.mark.django_db
def test_sales_rep_edits_team_records_but_reassigns_only_own(users):
    rep, teammate = users["sales_rep"], users["sales_rep_2"]
    team_contact = factories.contact(teammate)
    own = factories.contact(rep)
    api = token_client(rep)
    edit = api.patch(f"/api/contacts/{team_contact.uuid}/",
                     {"title": "Buyer", "owner": str(teammate.uuid), "version": 1}, format="json")
    assert edit.status_code == 200, edit.content
    steal = api.patch(f"/api/contacts/{team_contact.uuid}/",
                      {"owner": str(rep.uuid), "version": 2}, format="json")
    assert steal.status_code == 403
    give = api.patch(f"/api/contacts/{own.uuid}/", {"owner": str(teammate.uuid), "version": 1},
                     format="json")
    assert give.status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.ADMIN, Role.SALES_REP])
def test_custom_field_is_deleted_through_its_service(role, users):
    from vinculo.core.models import CustomField
    from vinculo.core.services import custom_field_create

    admin = users["admin"]
    with organization_scope(admin.organization):
        field = custom_field_create(organization=admin.organization, model="contact",
                                    key="tier", label="Tier", type="text")
    response = token_client(users[role]).delete(f"/api/custom-fields/{field.uuid}/")
    assert response.status_code == expected(role, "core.manage_custom_fields", 204)
    assert CustomField.all_objects.filter(pk=field.pk).exists() == (response.status_code != 204)
