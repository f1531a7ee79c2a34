"""Industries: the organisation's list (Settings > Industries and /api/industries/), suggested
on the account form and the account list filter; accounts keep their industry as text, so
values typed before the list keep working."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.core.factories import as_user
from tests.customers.factories import AccountFactory
from tests.databases import migrate_to
from vinculo.core.roles import Role
from vinculo.customers.models import Industry
from vinculo.customers.settings import services

NOT_ADMINS = [r for r in Role.values if r != Role.ADMIN]


def names_of(organization) -> list[str]:
    return list(Industry.all_objects.filter(organization_id=organization.pk)
                .order_by("order", "name").values_list("name", flat=True))


def industry(admin, **data):
    with as_user(admin):
        return services.industry_create(actor=admin, data=data)


@pytest.mark.django_db
def test_an_administrator_keeps_the_list_and_the_account_pages_offer_it(page, admin):
    created = page.post(reverse("customers:industry_create"), {
        "name": "  Hostelería   y turismo ", "order": "2", "active": "on"})
    assert created.status_code == 302
    assert names_of(admin.organization) == ["Hostelería y turismo"]
    industry(admin, name="Minería", active=False)
    form = page.get(reverse("customers:account_create")).content.decode()
    assert 'list="industry-options"' in form
    assert '<option value="Hostelería y turismo">' in form
    assert "Minería" not in form  # inactive: no longer offered
    listing = page.get(reverse("customers:account_list")).content.decode()
    assert 'list="industry-filter-options"' in listing
    assert '<option value="Hostelería y turismo">' in listing


@pytest.mark.django_db
def test_words_outside_the_list_keep_working_and_the_filter_ignores_case(page, api, admin):
    industry(admin, name="Textil")
    legacy = AccountFactory(actor=admin, name="Hilaturas Gil SL", industry="textil")
    AccountFactory(actor=admin, name="Otra SL", industry="Cerámica artesanal")
    listing = page.get(reverse("customers:account_list"), {"industry": "Textil"})
    assert "Hilaturas Gil SL" in listing.content.decode()
    assert "Otra SL" not in listing.content.decode()
    found = api.get("/api/accounts/", {"industry": "cerámica ARTESANAL"}).json()["results"]
    assert [row["name"] for row in found] == ["Otra SL"]
    # editing the list never rewrites the accounts that have the words
    textil = Industry.all_objects.get(organization_id=admin.organization_id, name="Textil")
    renamed = api.patch(f"/api/industries/{textil.uuid}/", {"name": "Moda", "version": 1},
                        format="json")
    assert renamed.status_code == 200
    assert api.delete(f"/api/industries/{textil.uuid}/").status_code == 204
    legacy.refresh_from_db()
    assert legacy.industry == "textil"


@pytest.mark.django_db
def test_bad_input_names_the_field_and_writes_nothing(page, api, admin):
    industry(admin, name="Textil")
    blank = page.post(reverse("customers:industry_create"), {"name": " ", "order": "0"})
    assert blank.status_code == 400 and set(blank.context["form"].errors) == {"name"}
    taken = api.post("/api/industries/", {"name": "TEXTIL"}, format="json")
    assert taken.status_code == 400 and list(taken.json()) == ["name"]
    too_long = api.post("/api/industries/", {"name": "x" * 101}, format="json")
    assert too_long.status_code == 400 and list(too_long.json()) == ["name"]
    bad_order = api.post("/api/industries/", {"name": "Minería", "order": "primero"},
                         format="json")
    assert bad_order.status_code == 400 and list(bad_order.json()) == ["order"]
    assert names_of(admin.organization) == ["Textil"]


@pytest.mark.django_db
@pytest.mark.parametrize("role", NOT_ADMINS)
def test_only_administrators_change_the_list(client, admin, users, role):
    textil = industry(admin, name="Textil")
    client.force_login(users[role])
    assert client.get(reverse("customers:industry_list")).status_code == 403
    assert client.post(reverse("customers:industry_delete", args=[textil.uuid])).status_code == 403
    assert names_of(admin.organization) == ["Textil"]


@pytest.mark.django_db
def test_another_organisations_list_is_out_of_reach(page, api, admin, other_admin):
    theirs = industry(other_admin, name="Petróleo")
    assert page.get(reverse("customers:industry_update", args=[theirs.uuid])).status_code == 404
    assert page.post(reverse("customers:industry_delete", args=[theirs.uuid])).status_code == 404
    assert api.get("/api/industries/").json()["results"] == []
    assert api.delete(f"/api/industries/{theirs.uuid}/").status_code == 404
    assert "Petróleo" not in page.get(reverse("customers:account_create")).content.decode()
    assert names_of(other_admin.organization) == ["Petróleo"]


def test_the_list_starts_with_what_accounts_already_have(scratch_database):
    db = scratch_database
    old = migrate_to(db, [("customers", "0009_orgsettings_country")])
    org = old.get_model("core", "Organization").objects.using(db).create(name="Hnos. Gil",
                                                                         country="ES")
    Account = old.get_model("customers", "Account")
    for n, name in enumerate(["Textil", "textil ", "Textil", "Hostelería", ""]):
        Account.objects.using(db).create(organization_id=org.pk, name=f"Cuenta {n}",
                                         industry=name)
    new = migrate_to(db, [("customers", "0011_choicelists_industries_seed")])
    seeded = new.get_model("customers", "Industry").objects.using(db).filter(
        organization_id=org.pk)
    assert sorted(seeded.values_list("name", flat=True)) == ["Hostelería", "Textil"]
