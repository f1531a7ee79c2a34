"""Record histories for people (issue 17): field labels in the user's language, values
formatted for them (dates in their locale, durations, choices by label, references by name),
no raw internals (lists of ISO timestamps, ``0.0`` minutes, ``app.model`` names). One formatter,
``core.history``, behind every history page, the audit log and the API's readable changes."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from tests.customers.factories import AccountFactory, ContactFactory
from tests.service.factories import (
    BusinessCalendarFactory,
    QueueFactory,
    SlaPolicyFactory,
    TicketFactory,
)
from vinculo.core.models import AuditEntry
from vinculo.core.tenancy import organization_scope
from vinculo.customers.services import contact_link_account
from vinculo.service import services

ISO_TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d")


def _section(html: str, start: str, end: str) -> str:
    return html[html.index(start):html.index(end, html.index(start))]


@pytest.fixture
def ticket(as_admin):
    admin = as_admin
    cal = BusinessCalendarFactory(actor=admin)
    SlaPolicyFactory(actor=admin, cal=cal)
    QueueFactory(actor=admin)
    account = AccountFactory(actor=admin, name="Aceites Sol")
    ticket = TicketFactory(actor=admin, account=account, priority="high")
    services.ticket_set_status(actor=admin, ticket=ticket, status="waiting")
    services.ticket_set_status(actor=admin, ticket=ticket, status="open")
    return services.ticket_set_status(actor=admin, ticket=ticket, status="resolved")


@pytest.mark.django_db
def test_a_ticket_history_in_spanish_has_labels_and_values_for_people(page, ticket):
    page.cookies["django_language"] = "es"
    html = page.get(reverse("service:ticket_detail", kwargs={"uuid": ticket.uuid})).content
    history = _section(html.decode(), 'id="history"', "</main>")
    assert "Resuelto el" in history  # resolved_at, by its translated label
    assert "Tiempo hasta la resolución" in history
    assert "Aceites Sol" in history  # the account by its name, not its id
    assert "Alta" in history  # the priority by its label
    for raw in ("Resolution minutes", "resolution minutes", "sla pauses", "sla_pauses",
                "0.0", "[", "warn", "resolved_at"):
        assert raw not in history, raw
    assert not ISO_TIMESTAMP.search(history)
    assert re.search(r"\d\d/\d\d/\d{4} \d\d:\d\d", history)  # a date as Spain writes it


@pytest.mark.django_db
def test_the_audit_log_names_kinds_of_records_and_fields_for_people(page, admin):
    with organization_scope(admin.organization):
        account = AccountFactory(actor=admin, name="Textil Norte")
        contact = ContactFactory(actor=admin, first_name="Ana", last_name="Ruiz")
        contact_link_account(actor=admin, contact=contact, account=account, role="Compras")
    page.cookies["django_language"] = "es"
    html = page.get(reverse("audit_log")).content.decode()
    table = _section(html, "<tbody>", "</tbody>")
    assert "customers." not in table
    assert "Vinculación con la cuenta: Ana Ruiz" in table  # customers.accountcontact
    assert "account_id" not in table and "contact_id" not in table
    assert "Cuenta" in table


@pytest.mark.django_db
def test_the_api_keeps_raw_changes_and_adds_readable_ones(api, ticket):
    with organization_scope(ticket.organization):
        entry = AuditEntry.objects.filter(object_type="service.ticket",
                                          changes__has_key="resolved_at").first()
    response = api.get("/api/audit/?object_type=service.ticket", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    body = next(e for e in response.json()["results"] if "resolved_at" in e["changes"])
    assert ISO_TIMESTAMP.match(body["changes"]["resolved_at"][1])  # raw, for machines
    assert body["object_label"] == "Ticket"
    readable = {c["field"]: c for c in body["readable_changes"]}
    assert readable["resolved_at"]["label"] == "Resolved at"
    assert not ISO_TIMESTAMP.search(readable["resolved_at"]["after"])
    assert "sla_pauses" not in readable
    assert entry is not None


@pytest.mark.django_db
def test_a_users_history_shows_a_password_as_set_and_no_django_flags(page, admin):
    """The audit log of a user: the password only as set (never its digest), and none of
    Django's staff or superuser flags, which the product never sets."""
    from vinculo.core.people import services as people

    with organization_scope(admin.organization):
        people.user_invite(actor=admin, data={"email": "nuevo@acme.test", "role": "sales_rep"})
    html = page.get("/audit/").content.decode()
    assert "(secret" not in html
    assert "Superuser status" not in html and "Staff status" not in html
    assert "Role: Sales representative" in html


@pytest.mark.django_db
def test_changes_made_by_no_user_read_as_system_in_the_users_language(page, admin):
    """The audit log's "Who" said "system" on Spanish pages (the label stored for the API)."""
    with organization_scope(admin.organization):
        AuditEntry.objects.create(organization=admin.organization, actor=None,
                                  actor_label="system", action="create",
                                  object_type="customers.account", object_id=1,
                                  object_repr="Probe")
    page.cookies["django_language"] = "es"
    table = _section(page.get(reverse("audit_log")).content.decode(), "<tbody>", "</tbody>")
    assert "<td>sistema</td>" in table and "<td>system</td>" not in table


@pytest.mark.django_db
def test_values_labelled_by_their_app_read_as_people_say_them(page, admin):
    """A cost driver is named by the label its app declares and a queue's ticket kinds by
    theirs (the walk found "handling_minute" and "request, incident" in the Spanish log)."""
    from decimal import Decimal

    from vinculo.analytics.services.costs import cost_rate_update

    with organization_scope(admin.organization):
        cost_rate_update(actor=admin, organization=admin.organization, driver="order",
                         rate=Decimal("1.50"))
        QueueFactory(actor=admin, name="Reclamaciones", default_for=["complaint", "return"])
    page.cookies["django_language"] = "es"
    admin.language = "es"
    admin.save(update_fields=["language"])
    table = _section(page.get(reverse("audit_log")).content.decode(), "<tbody>", "</tbody>")
    assert "Reclamación, Solicitud de devolución" in table
    assert "complaint" not in table and "Inductor: order" not in table
