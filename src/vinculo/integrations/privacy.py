"""What integrations holds about a contact (``core/privacy.py``): the webhook deliveries whose
payload names them (a record's display name, an e-mail) and the receivers' answers logged.
At an erasure the identifiers go from the payloads (a delivery still to send goes out
without them) and from the logged answers; the deliveries stay for the receivers' order."""

from __future__ import annotations

from typing import Any

from vinculo.core.privacy import Subject, mentioning, rows, scrub_org
from vinculo.integrations.models import WebhookAttempt, WebhookDelivery


def export_deliveries(subject: Subject) -> list[dict[str, Any]]:
    found = mentioning(WebhookDelivery.all_objects.filter(
        organization_id=subject.organization_id), ("body",), subject)
    # the event and when: the payload is the record's, which may name others too
    return rows(found.order_by("created_at", "id"), "event", "created_at", "status")


def erase_deliveries(subject: Subject) -> None:
    scrub_org(subject, WebhookDelivery, "body")
    scrub_org(subject, WebhookAttempt, "response_excerpt", "error")
