"""Role × endpoint matrix of interactions and the service desk (API and pages), from the one
table in ``core/roles.py``; a refused call changes nothing."""

from __future__ import annotations

import pytest

from tests import factories
from tests.conftest import token_client
from tests.service import helpers
from vinculo.core.roles import Role, role_has
from vinculo.core.tenancy import organization_scope
from vinculo.interactions.models import Interaction
from vinculo.service.models import Article, Ticket


def expected(role: str, permission: str, ok: int) -> int:
    return ok if role_has(role, permission) else 403


@pytest.mark.django_db
@pytest.mark.parametrize("role", list(Role.values))
def test_api_matrix(role, users):
    admin = users["admin"]
    helpers.queue(admin)
    account = factories.account(admin, owner=users[role])
    ticket = helpers.ticket(admin, account=account, requester_email="c@cliente.es")
    api = token_client(users[role])

    assert api.get("/api/tickets/").status_code == 200
    assert api.get(f"/api/tickets/{ticket.uuid}/").status_code == 200
    created = api.post("/api/tickets/", {"subject": "Nuevo", "account": str(account.uuid)},
                       format="json")
    assert created.status_code == expected(role, "service.add", 201), created.content
    note = api.post(f"/api/tickets/{ticket.uuid}/note/", {"body": "interna"}, format="json")
    assert note.status_code == expected(role, "service.change", 200)
    metrics = api.get("/api/tickets/metrics/")
    assert metrics.status_code == expected(role, "service.metrics", 200)
    logged = api.post("/api/interactions/", {"channel": "phone", "account": str(account.uuid)},
                      format="json")
    assert logged.status_code == expected(role, "interactions.add", 201)
    article = api.post("/api/articles/", {"title": "T", "body": "B"}, format="json")
    assert article.status_code == expected(role, "kb.add", 201)
    with organization_scope(admin.organization):
        assert ticket.entries.exists() == (note.status_code == 200)
        assert Interaction.objects.exists() == (logged.status_code == 201)
        assert Article.objects.exists() == (article.status_code == 201)
    deleted = api.delete(f"/api/tickets/{ticket.uuid}/")
    assert deleted.status_code == expected(role, "service.delete", 204)
    with organization_scope(admin.organization):
        assert Ticket.objects.filter(pk=ticket.pk).exists() == (deleted.status_code != 204)


@pytest.mark.django_db
@pytest.mark.parametrize("role", list(Role.values))
def test_page_matrix(role, users, client):
    helpers.queue(users["admin"])
    client.force_login(users[role])
    assert client.get("/service/").status_code == 200
    assert client.get("/service/tickets/").status_code == 200
    assert client.get("/service/kb/").status_code == 200
    assert client.get("/interactions/").status_code == 200
    assert client.get("/service/tickets/new/").status_code == expected(role, "service.add", 200)
    assert client.get("/service/kb/new/").status_code == expected(role, "kb.add", 200)
    assert client.get("/service/metrics/").status_code == expected(role, "service.metrics", 200)
    assert client.get("/interactions/email/new/").status_code == expected(
        role, "interactions.add", 200)


@pytest.mark.django_db
def test_a_sales_rep_sees_tickets_of_their_customers_and_their_own(users):
    admin, rep = users["admin"], users["sales_rep"]
    helpers.queue(admin)
    mine = helpers.ticket(admin, account=factories.account(admin, owner=rep))
    team = helpers.ticket(admin, account=factories.account(admin, owner=users["sales_rep_2"],
                                                            team=rep.team))
    other = helpers.ticket(admin, account=factories.account(admin,
                                                             owner=users["sales_rep_south"]))
    assigned = helpers.ticket(admin, assignee=rep)
    api = token_client(rep)
    ids = {row["id"] for row in api.get("/api/tickets/").json()["results"]}
    assert ids == {str(mine.uuid), str(team.uuid), str(assigned.uuid)}
    assert api.get(f"/api/tickets/{other.uuid}/").status_code == 404
