"""The migration that brought ticket types: organisations that existed before get the four
default types in their language, and their tickets the type of their kind."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("service", "0002_texts_bounded")]
AFTER = [("service", "0004_choicelists_ticket_types_defaults")]


def migrate(targets):
    """Migrate service to ``targets``, with core at its latest (the organisation's language)."""
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    targets = [*targets, *executor.loader.graph.leaf_nodes("core")]
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.fixture
def back_to_latest():
    """Leave the database fully migrated: rolling an app back also rolls back the apps that
    depend on it (segments and marketing on customers), which the tests after this one need."""
    yield
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_existing_organisations_get_the_default_types_and_their_tickets_one(back_to_latest):
    old = migrate(BEFORE)
    org = old.get_model("core", "Organization").objects.create(name="Hnos. Gil", country="ES",
                                                               language="es")
    queue = old.get_model("service", "Queue").objects.create(organization_id=org.pk,
                                                             name="Soporte")
    Ticket = old.get_model("service", "Ticket")
    for n, kind in enumerate(("complaint", "request", "complaint")):
        Ticket.objects.create(organization_id=org.pk, number=f"TK-2026-{n}", type=kind,
                              subject="Roto", queue_id=queue.pk)
    new = migrate(AFTER)
    types = new.get_model("service", "TicketCategory").objects.filter(organization_id=org.pk)
    assert sorted(types.values_list("kind", "name")) == [
        ("complaint", "Reclamación"), ("incident", "Incidencia"), ("request", "Solicitud"),
        ("return", "Solicitud de devolución")]
    tickets = new.get_model("service", "Ticket").objects.filter(organization_id=org.pk)
    assert sorted(tickets.values_list("type", "ticket_type__kind")) == [
        ("complaint", "complaint"), ("complaint", "complaint"), ("request", "request")]
    # and back: the migration is reversible
    migrate(BEFORE)
    migrate(AFTER)
