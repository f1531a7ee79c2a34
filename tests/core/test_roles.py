"""The role table itself, and what the generic suites (tests/generic) cannot say: a sales
representative edits their team's records but reassigns only their own. The role × endpoint
matrix and the record-level rule of every endpoint and page are the generic suites'."""

from __future__ import annotations

import pytest

from tests.conftest import token_client
from tests.customers.factories import ContactFactory
from vinculo.core.roles import Role, role_has


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
def test_sales_rep_edits_team_records_but_reassigns_only_own(users):
    rep, teammate = users["sales_rep"], users["sales_rep_2"]
    team_contact = ContactFactory(actor=teammate)
    own = ContactFactory(actor=rep)
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
    from vinculo.core.tenancy import organization_scope

    admin = users["admin"]
    with organization_scope(admin.organization):
        field = custom_field_create(organization=admin.organization, model="contact",
                                    key="tier", label="Tier", type="text")
    response = token_client(users[role]).delete(f"/api/custom-fields/{field.uuid}/")
    allowed = role_has(users[role].role, "core.manage_custom_fields")
    assert response.status_code == (204 if allowed else 403)
    assert CustomField.all_objects.filter(pk=field.pk).exists() == (response.status_code != 204)
