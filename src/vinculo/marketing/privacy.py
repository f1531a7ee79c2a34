"""What marketing holds about a contact (``core/privacy.py``): the campaigns sent to them
(with what they did: delivered, opened, clicked, replied, unsubscribed), their place on the
suppression list and the suggestions about them.

After an erasure the recipient rows stay, without the address, so a campaign's counts and
attribution stay right; the suppression rows of their addresses go (the address is the
personal data; the contact is inactive and its consents are withdrawn, so nothing is sent to
it); mentions in suggestions' facts and reasons go."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from vinculo.core.privacy import Subject, rows, scrub, scrub_org
from vinculo.marketing.actions.models import Suggestion
from vinculo.marketing.models import CampaignRecipient, Suppression


def _recipients(subject: Subject) -> Any:
    condition = Q(contact_id=subject.contact.pk)
    for address in subject.emails:
        condition |= Q(email__iexact=address)
    return CampaignRecipient.objects.filter(condition, organization_id=subject.organization_id)


def _suppressions(subject: Subject) -> Any:
    return Suppression.all_objects.filter(
        organization_id=subject.organization_id,
        email__in=[address.lower() for address in subject.emails])


def export_campaigns(subject: Subject) -> dict[str, Any]:
    return {
        "received": rows(_recipients(subject).order_by("id"), "campaign__name", "email",
                         "status", "sent_at", "opened_at", "clicked_at", "replied_at",
                         "unsubscribed_at"),
        "suppressed": rows(_suppressions(subject), "email", "reason", "created_at"),
        "suggestions": rows(Suggestion.all_objects.filter(
            organization_id=subject.organization_id, contact_id=subject.contact.pk)
            .order_by("created_at", "id"), "rule", "action", "status", "created_at"),
    }


def erase_campaigns(subject: Subject) -> None:
    _recipients(subject).update(email="")
    _suppressions(subject).delete()
    scrub(CampaignRecipient.objects.filter(organization_id=subject.organization_id),
          ("skipped_reason",), subject)
    scrub_org(subject, Suppression, "detail")
    scrub_org(subject, Suggestion, "facts", "dismiss_reason")
