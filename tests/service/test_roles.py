"""The record-level rule of tickets where it goes beyond the generic suites (tests/generic): a
sales representative also sees the tickets assigned to them."""

from __future__ import annotations

import pytest

from tests.conftest import token_client
from tests.customers.factories import AccountFactory
from tests.service.factories import QueueFactory, TicketFactory


@pytest.mark.django_db
def test_a_sales_rep_sees_tickets_of_their_customers_and_their_own(users):
    admin, rep = users["admin"], users["sales_rep"]
    QueueFactory(actor=admin)
    mine = TicketFactory(actor=admin, account=AccountFactory(actor=admin, owner=rep))
    team = TicketFactory(actor=admin, account=AccountFactory(actor=admin,
                                                             owner=users["sales_rep_2"],
                                                             team=rep.team))
    other = TicketFactory(actor=admin, account=AccountFactory(actor=admin,
                                                              owner=users["sales_rep_south"]))
    assigned = TicketFactory(actor=admin, assignee=rep)
    api = token_client(rep)
    ids = {row["id"] for row in api.get("/api/tickets/").json()["results"]}
    assert ids == {str(mine.uuid), str(team.uuid), str(assigned.uuid)}
    assert api.get(f"/api/tickets/{other.uuid}/").status_code == 404
