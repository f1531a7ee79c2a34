"""Tickets: numbering, routing, assignment rules, the SLA clock in business hours and its
pauses, replies by e-mail, resolution and the satisfaction survey."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError

from tests.conftest import make_user
from tests.core.factories import as_user
from tests.customers.factories import AccountFactory, ContactFactory
from tests.sales.factories import OrderFactory
from tests.service.factories import (
    BusinessCalendarFactory,
    QueueFactory,
    SlaPolicyFactory,
    TicketFactory,
)
from vinculo.core.services import team_get_or_create
from vinculo.core.tenancy import organization_scope
from vinculo.customers import services as customer_services
from vinculo.interactions import services as interactions
from vinculo.service import services
from vinculo.service.models import Survey, Ticket

MADRID = ZoneInfo("Europe/Madrid")


def madrid(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=MADRID)


@pytest.fixture
def desk(admin):
    """Office hours in Madrid, one generic policy, one queue."""
    cal = BusinessCalendarFactory(actor=admin)
    return {"calendar": cal, "policy": SlaPolicyFactory(actor=admin, cal=cal),
            "queue": QueueFactory(actor=admin)}


@pytest.mark.django_db
def test_numbers_follow_a_series_per_year(admin, desk):
    with time_machine.travel(madrid(2026, 12, 4, 10), tick=False):
        first, second = TicketFactory(actor=admin), TicketFactory(actor=admin)
    assert (first.number, second.number) == ("TK-2026-000001", "TK-2026-000002")


@pytest.mark.django_db
def test_due_times_count_only_working_hours(admin, desk):
    # Friday 16:30: 30 minutes of Friday, then Monday from 09:00.
    with time_machine.travel(madrid(2026, 12, 4, 16, 30), tick=False):
        ticket = TicketFactory(actor=admin, priority="normal")  # 240 min / 2400 min
    assert ticket.sla_policy == desk["policy"]
    assert ticket.first_response_due == madrid(2026, 12, 7, 12, 30)  # 30 + 210
    assert ticket.first_response_warn == madrid(2026, 12, 7, 11, 42)  # 80 %: 30 + 162
    assert ticket.resolution_due == madrid(2026, 12, 11, 16, 30)  # 30 + 4 × 480 + 450


@pytest.mark.django_db
def test_a_holiday_moves_the_due_time_and_open_tickets_follow(admin, desk):
    with time_machine.travel(madrid(2026, 12, 4, 16, 30), tick=False):
        ticket = TicketFactory(actor=admin, priority="normal")
        with as_user(admin):
            services.holiday_create(actor=admin, calendar=desk["calendar"],
                                 date=dt.date(2026, 12, 8), name="Inmaculada Concepción")
    ticket.refresh_from_db()
    assert ticket.resolution_due == madrid(2026, 12, 14, 16, 30)  # Tuesday 8 is off
    assert ticket.first_response_due == madrid(2026, 12, 7, 12, 30)  # before the holiday


@pytest.mark.django_db
def test_waiting_on_the_customer_stops_the_clock(admin, desk):
    with time_machine.travel(madrid(2026, 12, 7, 10, 0), tick=False):
        ticket = TicketFactory(actor=admin, priority="high", requester_email="ana@cliente.es")
    assert ticket.resolution_due == madrid(2026, 12, 9, 10, 0)  # 420 + 480 + 60
    with time_machine.travel(madrid(2026, 12, 7, 10, 20), tick=False), \
            as_user(admin):
        services.ticket_set_status(actor=admin, ticket=ticket, status="waiting")
    ticket.refresh_from_db()
    assert ticket.status == "waiting" and ticket.resolution_due is None
    with time_machine.travel(madrid(2026, 12, 9, 11, 0), tick=False), \
            as_user(admin):
        # the customer answers: any inbound contact about the ticket takes it back to open
        interactions.interaction_log(actor=admin, data={"channel": "phone",
                                                        "direction": "inbound"},
                                     related=ticket)
    ticket.refresh_from_db()
    assert ticket.status == "open"
    # 20 minutes ran before the pause; 940 remain from Wednesday 11:00: 360 + 480 + 100
    assert ticket.resolution_due == madrid(2026, 12, 11, 10, 40)
    assert ticket.first_response_at is None  # an inbound call is not the desk's response


@pytest.mark.django_db
def test_tier_policy_wins_over_the_generic_one(admin, desk):
    gold = SlaPolicyFactory(actor=admin, name="Oro", tier="gold", cal=desk["calendar"],
                            targets={"normal": (30, 480)})
    rich = AccountFactory(actor=admin, service_tier="gold")
    plain = AccountFactory(actor=admin)
    with time_machine.travel(madrid(2026, 12, 7, 10, 0), tick=False):
        gold_ticket = TicketFactory(actor=admin, account=rich)
        plain_ticket = TicketFactory(actor=admin, account=plain)
    assert (gold_ticket.tier, gold_ticket.sla_policy) == ("gold", gold)
    assert gold_ticket.first_response_due == madrid(2026, 12, 7, 10, 30)
    assert plain_ticket.sla_policy == desk["policy"]


@pytest.mark.django_db
def test_a_new_priority_sets_new_targets(admin, desk):
    with time_machine.travel(madrid(2026, 12, 7, 10, 0), tick=False):
        ticket = TicketFactory(actor=admin, priority="low")
        with as_user(admin):
            services.ticket_update(actor=admin, ticket=ticket, data={"priority": "urgent"},
                                   expected_version=ticket.version)
    ticket.refresh_from_db()
    assert ticket.first_response_target == 30
    assert ticket.first_response_due == madrid(2026, 12, 7, 10, 30)


@pytest.mark.django_db
def test_tickets_are_routed_by_type_and_assigned_round_robin(admin, desk):
    team = team_get_or_create(organization=admin.organization, name="Reclamaciones")
    agents = [make_user(admin.organization, "service_agent", f"agente{i}@acme.test", team=team)
              for i in range(3)]
    complaints = QueueFactory(actor=admin, name="Reclamaciones", team=team,
                              assignment="round_robin", default_for=["complaint"])
    tickets = [TicketFactory(actor=admin, type="complaint") for _ in range(4)]
    assert {t.queue for t in tickets} == {complaints}
    assert [t.assignee for t in tickets] == [*agents, agents[0]]
    request = TicketFactory(actor=admin, type="request")
    assert request.queue.name == "Reclamaciones"  # first queue by name when none is the default


@pytest.mark.django_db
def test_by_tier_assignment_gives_gold_customers_their_agent(admin, desk):
    expert = make_user(admin.organization, "service_agent", "experta@acme.test")
    queue = QueueFactory(actor=admin, name="VIP", assignment="by_tier")
    with as_user(admin):
        services.queue_update(actor=admin, queue=queue, data={}, expected_version=None,
                              tier_routes={"gold": expert})
    gold = TicketFactory(actor=admin, queue=queue, account=AccountFactory(
        actor=admin, service_tier="gold"))
    standard = TicketFactory(actor=admin, queue=queue, account=AccountFactory(actor=admin))
    assert gold.assignee == expert and standard.assignee is None


@pytest.mark.django_db
def test_round_robin_needs_a_team(admin):
    with pytest.raises(ValidationError) as error, as_user(admin):
        services.queue_create(actor=admin, data={"name": "Q", "assignment": "round_robin"})
    assert "team" in error.value.message_dict


@pytest.mark.django_db
@pytest.mark.parametrize(("data", "field"), [
    ({"subject": " "}, "subject"),
    ({"type": "gossip"}, "type"),
    ({"priority": "whenever"}, "priority"),
])
def test_bad_ticket_input_names_the_field_and_writes_nothing(admin, desk, data, field):
    with pytest.raises(ValidationError) as error:
        TicketFactory(actor=admin, **data)
    assert field in error.value.message_dict
    with organization_scope(admin.organization):
        assert not Ticket.objects.exists()


@pytest.mark.django_db
def test_an_order_of_another_account_is_refused(admin, desk):

    order = OrderFactory(actor=admin)
    with pytest.raises(ValidationError) as error:
        TicketFactory(actor=admin, account=AccountFactory(actor=admin), order=order)
    assert "order" in error.value.message_dict


@pytest.mark.django_db
def test_replies_are_threaded_emails_and_the_first_is_the_first_response(
        admin, desk, mail_server, django_capture_on_commit_callbacks):
    customer = ContactFactory(actor=admin, email="ana@cliente.es")
    with time_machine.travel(madrid(2026, 12, 7, 10, 0), tick=False):
        ticket = TicketFactory(actor=admin, contact=customer, priority="high")
    with time_machine.travel(madrid(2026, 12, 7, 10, 45), tick=False), \
            as_user(admin), django_capture_on_commit_callbacks(execute=True):
        services.ticket_reply(actor=admin, ticket=ticket, body="Lo miramos ya.",
                              status_after="open")
    with time_machine.travel(madrid(2026, 12, 7, 11, 0), tick=False), \
            as_user(admin), django_capture_on_commit_callbacks(execute=True):
        services.ticket_reply(actor=admin, ticket=ticket, body="Resuelto, ¿nos confirmas?")
    first, second = mail_server
    assert first["To"] == "ana@cliente.es" and f"[#{ticket.number}]" in first["Subject"]
    assert second["In-Reply-To"] == first["Message-ID"]
    assert first["Message-ID"] in second["References"]
    ticket.refresh_from_db()
    assert ticket.first_response_at == madrid(2026, 12, 7, 10, 45)
    assert ticket.first_response_minutes == 45 and ticket.first_response_state == "met"
    assert ticket.status == "waiting"
    from vinculo.interactions.models import EmailMessage

    with organization_scope(admin.organization):
        assert set(EmailMessage.objects.values_list("status", flat=True)) == {"sent"}


@pytest.mark.django_db
def test_a_reply_without_an_address_is_refused(admin, desk):
    ticket = TicketFactory(actor=admin)
    with pytest.raises(ValidationError), as_user(admin):
        services.ticket_reply(actor=admin, ticket=ticket, body="Hola")
    with organization_scope(admin.organization):
        from vinculo.interactions.models import Interaction

        assert not Interaction.objects.exists()


@pytest.mark.django_db
def test_resolving_sends_a_one_click_survey(admin, desk, mail_server, client,
                                            django_capture_on_commit_callbacks):
    customer = ContactFactory(actor=admin, email="luis@cliente.es")
    with as_user(admin):  # a survey is not a message he asked for: it needs his consent
        customer_services.consent_record(actor=admin, contact=customer, channel="email",
                                         granted=True)
    ticket = TicketFactory(actor=admin, contact=customer)
    with as_user(admin), django_capture_on_commit_callbacks(execute=True):
        services.ticket_set_status(actor=admin, ticket=ticket, status="resolved")
    (message,) = mail_server
    assert message["To"] == "luis@cliente.es"
    text = next(part.get_payload(decode=True).decode() for part in message.walk()
                if part.get_content_type() == "text/plain")
    links = re.findall(r"http://\S+\?csat=(\d)", text)
    assert links == ["1", "2", "3", "4", "5"]
    link = re.search(r"http://[^/]+(/survey/\S+\?csat=4)", text).group(1)
    answered = client.get(link)
    assert answered.status_code == 200 and "4 out of 5" in answered.content.decode()
    path = link.split("?")[0]
    assert client.post(path, {"csat": "4", "nps": "11"}).status_code == 400
    assert client.post(path, {"csat": "4", "nps": "9", "comment": "Rápidos"}).status_code == 200
    with organization_scope(admin.organization):
        survey = Survey.objects.get()
    assert (survey.csat, survey.nps, survey.comment) == (4, 9, "Rápidos")
    assert client.get("/survey/forged-token/?csat=5").status_code == 404
    # resolved again later: no second survey
    with as_user(admin), django_capture_on_commit_callbacks(execute=True):
        services.ticket_set_status(actor=admin, ticket=ticket, status="open")
        services.ticket_set_status(actor=admin, ticket=ticket, status="resolved")
    assert len(mail_server) == 1


@pytest.mark.django_db
def test_a_customer_message_reopens_a_resolved_ticket(admin, desk):
    customer = ContactFactory(actor=admin)
    with time_machine.travel(madrid(2026, 12, 7, 10, 0), tick=False):
        ticket = TicketFactory(actor=admin, contact=customer)
    with time_machine.travel(madrid(2026, 12, 7, 12, 0), tick=False), \
            as_user(admin):
        services.ticket_set_status(actor=admin, ticket=ticket, status="resolved")
    ticket.refresh_from_db()
    assert ticket.resolution_minutes == 120 and ticket.resolution_state == "met"
    with time_machine.travel(madrid(2026, 12, 8, 9, 30), tick=False), \
            as_user(admin):
        interactions.interaction_log(actor=admin, data={
            "channel": "email", "direction": "inbound", "contact": customer}, related=ticket)
    ticket.refresh_from_db()
    assert (ticket.status, ticket.reopened_count, ticket.resolved_at) == ("open", 1, None)
    # the night it sat resolved did not count: 120 minutes ran, 2280 remain from 09:30 Tuesday
    # (450 + 3 × 480 + 390)
    assert ticket.resolution_due == madrid(2026, 12, 14, 15, 30)


@pytest.mark.django_db
def test_closing_needs_a_resolved_ticket(admin, desk):
    ticket = TicketFactory(actor=admin)
    with pytest.raises(ValidationError) as error, as_user(admin):
        services.ticket_set_status(actor=admin, ticket=ticket, status="closed")
    assert "status" in error.value.message_dict


@pytest.mark.django_db
def test_read_only_users_see_tickets_but_cannot_act(users, desk, client):
    ticket = TicketFactory(actor=users["admin"])
    client.force_login(users["read_only"])
    assert client.get(f"/service/tickets/{ticket.uuid}/").status_code == 200
    assert client.post(f"/service/tickets/{ticket.uuid}/note/",
                       {"body": "x"}).status_code == 403
    assert client.get("/service/tickets/new/").status_code == 403


@pytest.mark.django_db
def test_a_ticket_opened_from_an_order_is_about_it(page, admin, desk):

    order = OrderFactory(actor=admin, account=AccountFactory(actor=admin, name="Hnos. Gil SL"))
    order_page = page.get(f"/sales/orders/{order.uuid}/").content.decode()
    assert f"/service/tickets/new/?order={order.uuid}" in order_page
    form = page.get(f"/service/tickets/new/?order={order.uuid}").content.decode()
    assert "Hnos. Gil SL" in form and str(order.uuid) in form
    incident = services.type_for_kind(admin.organization_id, "incident")
    created = page.post(f"/service/tickets/new/?order={order.uuid}", {
        "ticket_type": str(incident.uuid), "subject": "Faltan dos cajas", "priority": "normal",
        "account": str(order.account.uuid), "order": str(order.uuid)})
    assert created.status_code == 302
    with organization_scope(admin.organization):
        ticket = Ticket.objects.get()
    assert (ticket.order, ticket.account) == (order, order.account)
    assert "Faltan dos cajas" in page.get(
        f"/customers/accounts/{order.account.uuid}/").content.decode()


@pytest.mark.django_db
def test_a_malformed_id_in_a_link_prefills_nothing_instead_of_failing(page):
    for query in ("order=xyz", "invoice=1", "account=nope", "contact=%20"):
        answer = page.get(f"/service/tickets/new/?{query}")
        assert answer.status_code == 200, query
        assert answer.context["form"].initial.get("account") is None
    assert page.get("/service/kb/pick/?q=envío&ticket=bad").status_code == 200


@pytest.mark.django_db
def test_the_reply_form_names_its_cc_and_then_fields(page, admin, desk):
    """The reply's Cc box and its "then" choice had no label: an empty box under the text."""
    ticket = TicketFactory(actor=admin, subject="Factura duplicada")
    html = page.get(f"/service/tickets/{ticket.uuid}/").content.decode()
    assert re.search(r'<label[^>]*for="id_cc"[^>]*>Cc</label>', html)
    assert re.search(r'<label[^>]*for="id_status_after"[^>]*>Then</label>', html)
    assert 'placeholder="Other addresses, separated by commas"' in html
