"""What the service desk holds about a contact (``core/privacy.py``): the tickets they opened
or are the contact of, with the public conversation and their survey answers.

After an erasure their tickets stay as dated cases (numbers, types, SLA clocks and scores feed
the service metrics) without subject, description, requester address or survey comment; the
internal notes on them are blanked too, and mentions of the person in any other ticket, note or
article go. The complete export (staff answering a request of access) holds the internal
notes too; the person's own download on the portal leaves them out, as everything the customer
sees does: they are the company's working papers on a case (docs/architecture.md, "Customer
portal")."""

from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import Q

from vinculo.core.privacy import MARK, Subject, plain, scrub_org
from vinculo.interactions.models import Channel, Interaction
from vinculo.service.models import Article, EntryKind, Survey, Ticket, TicketEntry


def _tickets(subject: Subject) -> Any:
    condition = Q(contact_id=subject.contact.pk)
    for address in subject.emails:
        condition |= Q(requester_email__iexact=address)
    return Ticket.all_objects.filter(condition, organization_id=subject.organization_id)


def export_tickets(subject: Subject, *, internal: bool = True) -> list[dict[str, Any]]:
    tickets = list(_tickets(subject).select_related("survey").order_by("created_at", "id"))
    notes: dict[int, list[dict[str, Any]]] = {}
    if internal:
        for entry in TicketEntry.all_objects.filter(
                ticket__in=tickets, kind=EntryKind.NOTE).order_by("created_at", "id"):
            notes.setdefault(entry.ticket_id, []).append(
                {"date": entry.created_at, "text": entry.body})
    kind = ContentType.objects.get_for_model(Ticket)
    messages: dict[int, list[dict[str, Any]]] = {}
    for item in Interaction.all_objects.filter(
            related_type=kind, related_id__in=[t.pk for t in tickets],
            channel__in=(Channel.EMAIL, Channel.WEB_FORM)).order_by("occurred_at", "id"):
        messages.setdefault(item.related_id, []).append(
            {"date": item.occurred_at, "text": item.notes})
    result = []
    for ticket in tickets:
        survey = getattr(ticket, "survey", None)
        result.append(plain({
            "number": ticket.number, "subject": ticket.subject,
            "status": ticket.get_status_display(), "opened": ticket.created_at,
            "description": ticket.description, "requester_email": ticket.requester_email,
            "messages": messages.get(ticket.pk, []),
            **({"internal_notes": notes.get(ticket.pk, [])} if internal else {}),
            "survey": None if survey is None or survey.answered_at is None else {
                "csat": survey.csat, "nps": survey.nps, "comment": survey.comment}}))
    return result


def export_tickets_for_customer(subject: Subject) -> list[dict[str, Any]]:
    """The person's own download: the tickets with their public conversation only."""
    return export_tickets(subject, internal=False)


def erase_tickets(subject: Subject) -> None:
    theirs = _tickets(subject)
    ids = list(theirs.values_list("pk", flat=True))
    subject.mark(Ticket, ids, fields=("subject", "description", "requester_email"))
    theirs.update(subject=MARK, description="", requester_email="")
    entries = TicketEntry.all_objects.filter(ticket_id__in=ids)
    subject.mark(TicketEntry, entries.values_list("pk", flat=True), fields=("body",))
    entries.update(body=MARK)
    Survey.all_objects.filter(ticket_id__in=ids).update(comment="")
    scrub_org(subject, Ticket, "subject", "description")
    scrub_org(subject, TicketEntry, "body")
    scrub_org(subject, Survey, "comment")
    scrub_org(subject, Article, "title", "body", "keywords", "search_text")
