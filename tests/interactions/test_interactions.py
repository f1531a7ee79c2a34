"""Interactions: logging a contact from the 360° page, validation, visibility, the API, and
the cost-to-serve counts analytics reads from them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from tests.conftest import token_client
from tests.core.factories import as_user
from tests.customers.factories import AccountFactory, ContactFactory, LeadFactory
from vinculo.core.tenancy import organization_scope
from vinculo.customers import services as customer_services
from vinculo.interactions import services
from vinculo.interactions.models import Interaction

HTMX = {"HTTP_HX_REQUEST": "true"}


def _account_with_contact(user, **contact):
    account = AccountFactory(actor=user, name="Talleres Ruiz SL")
    person = ContactFactory(actor=user, first_name="Irene", last_name="Ruiz", **contact)
    with as_user(user):
        customer_services.contact_link_account(actor=user, contact=person, account=account,
                                               is_primary=True)
    return account, person


@pytest.mark.django_db
def test_logging_takes_the_actor_and_the_contacts_primary_account(as_admin):
    account, person = _account_with_contact(as_admin)
    call = services.interaction_log(actor=as_admin, data={
        "channel": "phone", "contact": person, "subject": "Pedido de marzo",
        "duration_seconds": 420, "outcome": "completed"})
    assert call.user == as_admin and call.account == account and call.direction == "outbound"
    assert call.occurred_at <= timezone.now()


@pytest.mark.django_db
@pytest.mark.parametrize(("data", "field"), [
    ({"channel": "pigeon"}, "channel"),
    ({"channel": "phone", "duration_seconds": 90_000}, "duration_seconds"),
    ({"channel": "visit", "occurred_at": "future"}, "occurred_at"),
    ({"channel": "phone", "outcome": "maybe"}, "outcome"),
])
def test_bad_input_names_the_field_and_writes_nothing(as_admin, data, field):
    _account, person = _account_with_contact(as_admin)
    if data.get("occurred_at") == "future":
        data["occurred_at"] = timezone.now() + dt.timedelta(days=2)
    with pytest.raises(ValidationError) as error:
        services.interaction_log(actor=as_admin, data={"contact": person, **data})
    assert field in error.value.message_dict
    assert not Interaction.objects.exists()


@pytest.mark.django_db
def test_an_interaction_with_nobody_is_refused(as_admin):
    with pytest.raises(ValidationError) as error:
        services.interaction_log(actor=as_admin, data={"channel": "phone"})
    assert "contact" in error.value.message_dict


@pytest.mark.django_db
def test_a_contact_of_another_organisation_is_not_found(as_admin, other_admin):
    foreign = ContactFactory(actor=other_admin)
    with pytest.raises(ValidationError) as error:
        services.interaction_log(actor=as_admin, data={"channel": "phone", "contact": foreign})
    assert error.value.message_dict == {"contact": ["Not found."]}


@pytest.mark.django_db
def test_two_clicks_on_the_account_page_log_a_call_onto_its_timeline(page, admin):
    account, person = _account_with_contact(admin)
    detail = page.get(f"/customers/accounts/{account.uuid}/")
    assert b'id="log-buttons"' in detail.content
    # click 1: the "Phone" button fetches the form, channel preset, the account's contacts offered
    form = page.get(f"/interactions/log/?channel=phone&account={account.uuid}", **HTMX)
    body = form.content.decode()
    assert form.status_code == 200 and 'value="phone" selected' in body and "Irene Ruiz" in body
    # click 2: save (subject typed in between)
    saved = page.post("/interactions/log/", {
        "channel": "phone", "direction": "outbound", "account": str(account.uuid),
        "contact_choice": str(person.uuid), "subject": "Llamada de seguimiento",
        "duration_minutes": "7", "notes": "Quiere presupuesto"}, **HTMX)
    assert saved.status_code == 200 and saved["HX-Trigger"] == "interaction-logged"
    with organization_scope(admin.organization):
        call = Interaction.objects.get()
    assert (call.contact, call.account, call.duration_seconds) == (person, account, 420)
    timeline = page.get(f"/interactions/timeline/?account={account.uuid}")
    assert "Llamada de seguimiento" in timeline.content.decode()
    assert "Llamada de seguimiento" in page.get(
        f"/customers/contacts/{person.uuid}/").content.decode()


@pytest.mark.django_db
def test_the_form_shows_service_errors_on_their_fields(page, admin):
    account, _person = _account_with_contact(admin)
    future = (timezone.localtime() + dt.timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    response = page.post("/interactions/log/", {
        "channel": "visit", "direction": "outbound", "account": str(account.uuid),
        "occurred_at": future}, **HTMX)
    assert response.status_code == 400
    assert "plan a future one as a task" in response.content.decode()
    with organization_scope(admin.organization):
        assert not Interaction.objects.exists()


@pytest.mark.django_db
def test_a_sales_rep_sees_what_they_handled_and_what_happened_on_their_customers(users):
    admin, rep, other_rep = users["admin"], users["sales_rep"], users["sales_rep_south"]
    own = AccountFactory(actor=admin, owner=rep)
    foreign = AccountFactory(actor=admin, owner=other_rep)
    with as_user(admin):
        on_own = services.interaction_log(actor=admin, data={"channel": "phone",
                                                             "account": own})
        on_foreign = services.interaction_log(actor=admin, data={"channel": "phone",
                                                                 "account": foreign})
    with as_user(rep):
        handled = services.interaction_log(actor=rep, data={"channel": "visit",
                                                            "account": foreign})
        visible = set(Interaction.objects.all().restrict(rep))
    assert visible == {on_own, handled}
    api = token_client(rep)
    assert api.get(f"/api/interactions/{on_foreign.uuid}/").status_code == 404
    assert api.get(f"/api/interactions/{on_own.uuid}/").status_code == 200


@pytest.mark.django_db
def test_api_logs_reads_by_related_record_and_refuses_a_stale_version(admin, api):
    account, person = _account_with_contact(admin)
    lead = LeadFactory(actor=admin)
    created = api.post("/api/interactions/", {
        "channel": "chat", "direction": "inbound", "contact": str(person.uuid),
        "subject": "¿Tenéis stock?", "related": f"customers.lead:{lead.uuid}"}, format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["account"] == str(account.uuid) and body["related"] == f"customers.lead:{lead.uuid}"
    listed = api.get(f"/api/interactions/?related=customers.lead:{lead.uuid}").json()
    assert [row["id"] for row in listed["results"]] == [body["id"]]
    url = f"/api/interactions/{body['id']}/"
    assert api.patch(url, {"notes": "Sí", "version": 1}, format="json").status_code == 200
    stale = api.patch(url, {"notes": "No", "version": 1}, format="json")
    assert stale.status_code == 409
    with organization_scope(admin.organization):
        assert Interaction.objects.get().notes == "Sí"
    bad = api.post("/api/interactions/", {"channel": "chat", "contact": str(person.uuid),
                                          "related": "customers.lead:not-a-uuid"}, format="json")
    assert bad.status_code == 400 and "related" in bad.json()


@pytest.mark.django_db
def test_cost_drivers_count_calls_visits_emails_and_minutes_per_account(as_admin):
    import numpy as np

    from vinculo.analytics.drivers import names
    from vinculo.analytics.services import driver_counts

    account, _person = _account_with_contact(as_admin)
    other = AccountFactory(actor=as_admin)
    now = timezone.now()
    for channel, minutes, days_ago, who in (
            ("phone", 5, 1, account), ("phone", 10, 2, account), ("visit", 60, 3, account),
            ("email", None, 4, account), ("phone", 3, 400, account), ("visit", 30, 5, other)):
        services.interaction_log(actor=as_admin, data={
            "channel": channel, "account": who, "occurred_at": now - dt.timedelta(days=days_ago),
            "duration_seconds": minutes * 60 if minutes else None})
    ids = np.array(sorted([account.pk, other.pk]))
    counts = driver_counts(organization_id=as_admin.organization_id, account_ids=ids,
                           start=now.date() - dt.timedelta(days=365), end=now.date())
    row = dict(zip(names(), counts[list(ids).index(account.pk)], strict=True))
    assert (row["call"], row["visit"], row["email"], row["handling_minute"]) == (2, 1, 1, 75)
    other_row = dict(zip(names(), counts[list(ids).index(other.pk)], strict=True))
    assert (other_row["visit"], other_row["handling_minute"]) == (1, 30)


@pytest.mark.django_db
def test_an_interaction_about_an_opportunity_shows_on_its_page(page, admin):
    from vinculo.sales import services as sales_services

    account, person = _account_with_contact(admin)
    with as_user(admin):
        deal = sales_services.opportunity_create(actor=admin, data={"name": "Renovación",
                                                                     "account": account})
    form = page.get(f"/interactions/log/?channel=visit&related=sales.opportunity:{deal.uuid}")
    assert f"sales.opportunity:{deal.uuid}" in form.content.decode()
    page.post("/interactions/log/", {"channel": "visit", "direction": "outbound",
                                     "related": f"sales.opportunity:{deal.uuid}",
                                     "contact": str(person.uuid), "subject": "Demo en su sede"})
    detail = page.get(f"/sales/opportunities/{deal.uuid}/").content.decode()
    assert "Demo en su sede" in detail.split('id="related-interactions"')[1][:600]
