"""The migration that brought ticket types: organisations that existed before get the four
default types in their language, and their tickets the type of their kind."""

from __future__ import annotations

from tests.databases import migrate_to

BEFORE = [("service", "0002_texts_bounded")]
AFTER = [("service", "0004_choicelists_ticket_types_defaults")]


def test_existing_organisations_get_the_default_types_and_their_tickets_one(scratch_database):
    db = scratch_database
    old = migrate_to(db, BEFORE, latest=("core",))  # core at its latest: the language
    org = old.get_model("core", "Organization").objects.using(db).create(
        name="Hnos. Gil", country="ES", language="es")
    queue = old.get_model("service", "Queue").objects.using(db).create(organization_id=org.pk,
                                                                       name="Soporte")
    Ticket = old.get_model("service", "Ticket")
    for n, kind in enumerate(("complaint", "request", "complaint")):
        Ticket.objects.using(db).create(organization_id=org.pk, number=f"TK-2026-{n}",
                                        type=kind, subject="Roto", queue_id=queue.pk)
    new = migrate_to(db, AFTER, latest=("core",))
    types = new.get_model("service", "TicketCategory").objects.using(db).filter(
        organization_id=org.pk)
    assert sorted(types.values_list("kind", "name")) == [
        ("complaint", "Reclamación"), ("incident", "Incidencia"), ("request", "Solicitud"),
        ("return", "Solicitud de devolución")]
    tickets = new.get_model("service", "Ticket").objects.using(db).filter(
        organization_id=org.pk)
    assert sorted(tickets.values_list("type", "ticket_type__kind")) == [
        ("complaint", "complaint"), ("complaint", "complaint"), ("request", "request")]
    # and back: the migration is reversible, and seeds the types again on the way forward
    migrate_to(db, BEFORE, latest=("core",))
    migrate_to(db, AFTER, latest=("core",))
    assert types.count() == 4
