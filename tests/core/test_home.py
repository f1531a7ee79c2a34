"""The home page: each role finds its own work first (a representative's opportunities, an
agent's tickets, a manager's key figures; read-only sees figures only), every figure links to
the list behind it filtered the same way, empty panels say what to do, and the page's queries
do not grow with the data."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.utils import timezone

from tests.billing.factories import InvoiceFactory
from tests.core.factories import as_user
from tests.customers.factories import AccountFactory
from tests.generic.suites import assert_baseline, count_queries
from tests.interactions.factories import TaskFactory
from tests.sales.factories import OpportunityFactory, free_line
from tests.service.factories import QueueFactory, TicketFactory
from vinculo.analytics.models import AnalyticsRun, CustomerSnapshot, RunStatus
from vinculo.core.roles import Role
from vinculo.service.models import Ticket

pytestmark = pytest.mark.django_db


def panels(client) -> list[str]:
    """The keys of the home page's panels, in the order shown."""
    response = client.get("/")
    assert response.status_code == 200
    return re.findall(r'data-testid="panel-([a-z_]+)"', response.content.decode())


def links(html: str, text: str) -> str:
    """The href of the first link whose text contains ``text``."""
    match = re.search(r'<a[^>]*href="([^"]+)"[^>]*>[^<]*' + re.escape(text), html)
    assert match, f"no link {text!r}"
    return match.group(1).replace("&amp;", "&")


def snapshot(account, as_of: dt.date, *, segment: str, tier: str, p_alive: float,
             clv: str = "1000", m_score: int = 3) -> CustomerSnapshot:
    zero = Decimal(0)
    return CustomerSnapshot.all_objects.create(
        organization_id=account.organization_id, account=account, as_of=as_of,
        first_purchase=as_of - dt.timedelta(days=400), last_purchase=as_of, recency_days=10,
        frequency=3, monetary=Decimal(100), T=400, r_score=3, f_score=3, m_score=m_score,
        rfm_segment=segment, p_alive=p_alive, clv=Decimal(clv), revenue=Decimal(500),
        cost_of_goods=zero, cost_to_serve=zero, profit=zero, profit_segment="Medium",
        value_tier=tier)


def test_each_role_sees_its_own_work_first(client, users):
    order = {}
    for role in (Role.SALES_REP, Role.SERVICE_AGENT, Role.SALES_MANAGER, Role.ADMIN,
                 Role.READ_ONLY, Role.ANALYST):
        client.force_login(users[role])
        order[role] = panels(client)
    assert order[Role.SALES_REP][0] == "my_opportunities"
    assert "my_tickets" not in order[Role.SALES_REP]
    assert order[Role.SERVICE_AGENT][0] == "my_tickets"
    assert "my_opportunities" not in order[Role.SERVICE_AGENT]
    assert "my_leads" not in order[Role.SERVICE_AGENT]  # leads are the sellers' work
    assert "my_leads" in order[Role.SALES_REP]
    assert order[Role.SALES_MANAGER][0] == "key_figures"
    assert order[Role.ADMIN][:1] == ["key_figures"]
    assert {"my_tasks", "my_opportunities", "my_tickets"} <= set(order[Role.ADMIN])
    assert order[Role.READ_ONLY] == ["key_figures"]  # figures only
    assert order[Role.ANALYST] == ["key_figures"]
    assert "key_figures" not in order[Role.SALES_REP] + order[Role.SERVICE_AGENT]


def test_empty_panels_say_what_to_do_next(client, users):
    client.force_login(users[Role.ADMIN])
    html = client.get("/").content.decode()
    assert "Nothing overdue or due today." in html and "/interactions/tasks/new/" in html
    assert "You have no open opportunities." in html and "/sales/opportunities/new/" in html
    assert "No tickets are waiting on you." in html and 'href="/service/"' in html
    assert "appear after the first analytics run" in html
    assert "No open leads of yours" in html and "/customers/leads/new/" in html
    assert "/customers/import/" in html


def test_a_representatives_opportunities_with_weighted_value_and_the_filtered_list(client,
                                                                                     users):
    rep, other = users[Role.SALES_REP], users["sales_rep_south"]
    OpportunityFactory(actor=rep, name="Caldera nueva", amount=Decimal("1000.00"),
                       probability=Decimal("25"))
    OpportunityFactory(actor=rep, name="Revisión anual", amount=Decimal("300.00"),
                       probability=Decimal("50"))
    OpportunityFactory(actor=other, name="Ajeno", amount=Decimal("9999.00"),
                       probability=Decimal("90"))
    client.force_login(rep)
    html = client.get("/").content.decode()
    assert 'data-testid="weighted-EUR">€400.00' in html  # 1000 × 25 % + 300 × 50 %
    assert "€1,300.00" in html and "Ajeno" not in html
    listed = client.get(links(html, "My open opportunities")).content.decode()
    assert "Caldera nueva" in listed and "Revisión anual" in listed
    # the manager sees everyone's on the plain list, only their own through the link
    manager = users[Role.SALES_MANAGER]
    OpportunityFactory(actor=manager, name="Del jefe", amount=Decimal("10.00"),
                       probability=Decimal("10"))
    client.force_login(manager)
    listed = client.get(links(client.get("/").content.decode(), "My open opportunities"))
    assert "Del jefe" in listed.content.decode()
    assert "Caldera nueva" not in listed.content.decode()


def test_tasks_overdue_and_due_today_link_to_the_same_tasks(client, users):
    rep = users[Role.SALES_REP]
    now = timezone.localtime()
    TaskFactory(actor=rep, title="Cobrar factura", due_at=now - dt.timedelta(days=2))
    later_today = min(now + dt.timedelta(minutes=30),
                      now.replace(hour=23, minute=59, second=0, microsecond=0))
    TaskFactory(actor=rep, title="Llamar a Marta", due_at=later_today)
    TaskFactory(actor=rep, title="Visita del jueves", due_at=now + dt.timedelta(days=3))
    TaskFactory(actor=users["sales_rep_2"], title="De otro", due_at=now - dt.timedelta(days=1))
    client.force_login(rep)
    html = client.get("/").content.decode()
    assert "Cobrar factura" in html and "Llamar a Marta" in html
    assert "Visita del jueves" not in html and "De otro" not in html
    overdue = client.get(links(html, "Overdue")).content.decode()
    assert "Cobrar factura" in overdue and "Llamar a Marta" not in overdue
    assert "De otro" not in overdue
    today = client.get(links(html, "Due today")).content.decode()
    assert "Llamar a Marta" in today
    assert "Cobrar factura" not in today and "Visita del jueves" not in today


def test_tickets_waiting_on_an_agent_and_those_about_to_breach(client, users, admin):
    agent = users[Role.SERVICE_AGENT]
    QueueFactory(actor=admin)
    calm = TicketFactory(actor=admin, subject="Factura duplicada", assignee=agent)
    hurry = TicketFactory(actor=admin, subject="Sin servicio", assignee=agent)
    TicketFactory(actor=admin, subject="De otra persona", assignee=admin)
    Ticket.all_objects.filter(pk=hurry.pk).update(resolution_state="warning")
    client.force_login(agent)
    html = client.get("/").content.decode()
    assert "1 about to breach" in html and "2 open tickets" in html
    mine = client.get(links(html, "Tickets waiting on me")).content.decode()
    assert calm.number in mine and hurry.number in mine and "De otra persona" not in mine
    warning = client.get(links(html, "about to breach")).content.decode()
    assert hurry.number in warning and calm.number not in warning


def test_key_figures_from_invoices_and_the_snapshot_link_to_filtered_lists(client, users,
                                                                          admin):
    today = timezone.localdate()
    first = today.replace(day=1)
    account = AccountFactory(actor=admin, name="Ferretería Luna")
    lines = [free_line("Tornillos", "10", "12.50")]
    this_month = InvoiceFactory(actor=admin, account=account, lines=lines, issued=True,
                                issue_date=first)
    last_month = InvoiceFactory(actor=admin, account=account, lines=lines, issued=True,
                                issue_date=first - dt.timedelta(days=1))
    InvoiceFactory(actor=admin, account=account, lines=lines)  # a draft: not revenue
    as_of = today - dt.timedelta(days=1)
    with as_user(admin):
        AnalyticsRun.objects.create(organization=admin.organization, as_of=as_of,
                                    status=RunStatus.DONE)
    risky = AccountFactory(actor=admin, name="Gran Cliente en Riesgo")
    calm = AccountFactory(actor=admin, name="Cliente Tranquilo")
    small = AccountFactory(actor=admin, name="Pequeño en Riesgo")
    # high value by what they spent (M score), not by the CLV's tier: at risk lowers the CLV
    snapshot(risky, as_of, segment="Can't lose", tier="Iron", p_alive=0.3, m_score=5)
    snapshot(calm, as_of, segment="Champions", tier="Gold", p_alive=0.9, m_score=5)
    snapshot(small, as_of, segment="At risk", tier="Lead", p_alive=0.6, m_score=3)
    snapshot(risky, as_of - dt.timedelta(days=30), segment="Champions", tier="Gold",
             p_alive=0.9)  # an older date does not count

    client.force_login(users[Role.READ_ONLY])
    html = client.get("/").content.decode()
    assert 'data-testid="figure-revenue"' in html and "€125.00" in html
    assert re.search(r'data-testid="figure-active"><a [^>]*>2<', html)
    assert re.search(r'data-testid="figure-at-risk"><a [^>]*>1<', html)
    invoices = client.get(links(html, "€125.00")).content.decode()
    assert this_month.number in invoices and last_month.number not in invoices
    at_risk = client.get(re.search(r'figure-at-risk"><a [^>]*href="([^"]+)"', html)
                         .group(1).replace("&amp;", "&")).content.decode()
    assert "Gran Cliente en Riesgo" in at_risk
    assert "3 · 3 · 5" in at_risk  # the scores that make it "high value at risk"
    assert "Cliente Tranquilo" not in at_risk and "Pequeño en Riesgo" not in at_risk
    active = client.get(re.search(r'figure-active"><a [^>]*href="([^"]+)"', html)
                        .group(1)).content.decode()
    assert "Cliente Tranquilo" in active and "Pequeño en Riesgo" in active
    assert "Gran Cliente en Riesgo" not in active


def test_the_list_behind_the_figures_is_refused_to_roles_without_them(client, users):
    client.force_login(users[Role.SALES_REP])
    assert client.get("/analytics/customers/").status_code == 403


def test_home_page_in_spanish(client, users):
    users[Role.SERVICE_AGENT].language = "es"
    users[Role.SERVICE_AGENT].save()
    client.force_login(users[Role.SERVICE_AGENT])
    html = client.get("/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "Tickets que esperan por mí" in html and "Mis tareas" in html


def test_home_page_query_count_does_not_grow_with_the_data(client, users, admin):
    QueueFactory(actor=admin)
    today = timezone.localdate()
    with as_user(admin):
        AnalyticsRun.objects.create(organization=admin.organization, as_of=today,
                                    status=RunStatus.DONE)

    def add(n: int) -> None:
        for i in range(n):
            account = AccountFactory(actor=admin)
            OpportunityFactory(actor=admin, account=account, amount=Decimal("10.00"))
            TaskFactory(actor=admin, due_at=timezone.now() - dt.timedelta(hours=i + 1))
            TicketFactory(actor=admin, assignee=admin)
            InvoiceFactory(actor=admin, account=account, issued=True)
            snapshot(account, today, segment="At risk", tier="Gold", p_alive=0.7)

    client.force_login(admin)
    add(3)
    client.get("/")  # warm the caches (session, permissions)
    few, _response = count_queries(lambda: client.get("/"))
    add(4)
    many, response = count_queries(lambda: client.get("/"))
    assert response.status_code == 200
    assert many == few, f"{few} queries with 3 of each, {many} with 7: an N+1"
    assert_baseline("page home admin", many)
