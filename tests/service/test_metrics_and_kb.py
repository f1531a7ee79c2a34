"""Service metrics (against figures worked out by hand from the scenario) and the knowledge
base: search that ignores accents, suggestions on a ticket, links."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from tests.conftest import make_user
from tests.core.factories import as_user
from tests.customers.factories import AccountFactory, ContactFactory
from tests.service.factories import (
    BusinessCalendarFactory,
    QueueFactory,
    SlaPolicyFactory,
    TicketFactory,
)
from vinculo.service import selectors, services
from vinculo.service.models import Survey

MADRID = ZoneInfo("Europe/Madrid")


def madrid(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=MADRID)


def _at(moment, fn, **kwargs):
    with time_machine.travel(moment, tick=False):
        return fn(**kwargs)


@pytest.fixture
def history(admin):
    """Two resolved tickets in Soporte (one answered late), one open in Reclamaciones."""
    cal = BusinessCalendarFactory(actor=admin)
    SlaPolicyFactory(actor=admin, cal=cal)  # normal: first response 240, resolution 2400
    agent = make_user(admin.organization, "service_agent", "agente@acme.test")
    support = QueueFactory(actor=admin, name="Soporte")
    complaints = QueueFactory(actor=admin, name="Reclamaciones")
    customer = ContactFactory(actor=admin, email="cliente@example.es")
    gold = AccountFactory(actor=admin, service_tier="gold")
    with as_user(admin):
        fast = _at(madrid(2026, 11, 2, 9), services.ticket_create, actor=admin, data={
            "subject": "Factura duplicada", "queue": support, "contact": customer,
            "assignee": agent})
        slow = _at(madrid(2026, 11, 2, 9), services.ticket_create, actor=admin, data={
            "subject": "Envío perdido", "queue": support, "contact": customer,
            "account": gold, "assignee": agent})
        _at(madrid(2026, 11, 2, 9, 30), services.ticket_reply, actor=admin, ticket=fast,
            body="Anulada.", status_after="open")
        _at(madrid(2026, 11, 2, 11), services.ticket_set_status, actor=admin, ticket=fast,
            status="resolved")
        _at(madrid(2026, 11, 3, 9), services.ticket_reply, actor=admin, ticket=slow,
            body="Reenviado.", status_after="open")
        _at(madrid(2026, 11, 3, 10), services.ticket_set_status, actor=admin, ticket=slow,
            status="resolved")
        _at(madrid(2026, 12, 1, 10), services.ticket_create, actor=admin, data={
            "subject": "Trato en tienda", "queue": complaints, "type": "complaint"})
    for ticket, csat, nps in ((fast, 5, 10), (slow, 2, 3)):
        Survey.all_objects.create(organization_id=admin.organization_id, ticket=ticket)
        services.survey_answer(survey=ticket.survey, csat=csat, nps=nps)
    return {"fast": fast, "slow": slow}


@pytest.mark.django_db
def test_metrics_by_queue(as_admin, history):
    rows = {row["group"]: row for row in selectors.metrics(by="queue")}
    support = rows["Soporte"]
    assert (support["created"], support["backlog"], support["resolved"]) == (2, 0, 2)
    # first responses: 30 and 480 business minutes (Monday 09:00 → Tuesday 09:00)
    assert support["first_response_minutes"] == pytest.approx((30 + 480) / 2)
    assert support["resolution_minutes"] == pytest.approx((120 + 540) / 2)
    assert support["first_response_compliance"] == 50.0  # 480 > 240
    assert support["resolution_compliance"] == 100.0
    assert support["reopen_rate"] == 0.0
    assert support["csat"] == 3.5 and support["csat_satisfied"] == 50.0
    assert support["nps"] == 0.0  # one promoter, one detractor
    complaints = rows["Reclamaciones"]
    assert (complaints["created"], complaints["backlog"], complaints["resolved"]) == (1, 1, 0)
    assert complaints["first_response_compliance"] is None and complaints["csat"] is None


@pytest.mark.django_db
def test_metrics_by_tier_month_and_agent(as_admin, history):
    tiers = {row["group"]: row["created"] for row in selectors.metrics(by="tier")}
    assert tiers == {"gold": 1, "standard": 2}
    months = {row["group"]: row["created"] for row in selectors.metrics(by="month")}
    assert months == {"2026-11": 2, "2026-12": 1}
    agents = {row["group"]: row["resolved"] for row in selectors.metrics(by="agent")}
    assert agents == {"agente@acme.test": 2, None: 0}


@pytest.mark.django_db
def test_metrics_page_and_csv(page, history, admin):
    html = page.get("/service/metrics/?by=queue").content.decode()
    assert "Soporte" in html and "50.0 %" in html
    csv = page.get("/service/metrics/?by=queue&format=csv").content.decode()
    header, *lines = csv.strip().splitlines()
    assert header.startswith("queue,created,backlog") and len(lines) == 2


@pytest.mark.django_db
def test_analysts_see_metrics_but_marketing_does_not(users, history, client):
    client.force_login(users["analyst"])
    assert client.get("/service/metrics/").status_code == 200
    client.force_login(users["marketing"])
    assert client.get("/service/metrics/").status_code == 403


@pytest.mark.django_db
def test_knowledge_base_search_ignores_accents_and_drafts(as_admin):
    shipping = services.article_create(actor=as_admin, data={
        "title": "Plazos de envío", "body": "Los envíos urgentes llegan en 24 h.",
        "keywords": "entrega transporte", "status": "published"})
    services.article_create(actor=as_admin, data={
        "title": "Envío internacional (borrador)", "body": "…", "status": "draft"})
    assert list(selectors.article_search("ENVIO urgentes")) == [shipping]
    assert list(selectors.article_search("transporte")) == [shipping]
    assert selectors.article_search("envio", published_only=False).count() == 2


@pytest.mark.django_db
def test_articles_are_suggested_and_linked_from_a_ticket(page, admin):
    QueueFactory(actor=admin)
    with as_user(admin):
        article = services.article_create(actor=admin, data={
            "title": "Seguimiento de un envío", "body": "Con el número de seguimiento…",
            "status": "published"})
    ticket = TicketFactory(actor=admin, subject="¿Dónde está mi envío?")
    with as_user(admin):
        assert selectors.suggested_articles(ticket) == [article]
    assert page.post(f"/service/tickets/{ticket.uuid}/link/",
                     {"article": str(article.uuid)}).status_code == 302
    detail = page.get(f"/service/tickets/{ticket.uuid}/").content.decode()
    assert "Seguimiento de un envío" in detail.split('id="linked-articles"')[1][:400]
    kb = page.get(f"/service/kb/{article.uuid}/").content.decode()
    assert ticket.number in kb
