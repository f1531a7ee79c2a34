"""The right to erasure: a contact asks (from the customer portal), staff approve, and the
contact is then anonymised. Invoices and other documents the law requires to keep are not
touched here: they hold the account's fiscal data, not the person's, and name the contact only
through a link that now points at an anonymous record."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from vinculo.core.models import User
from vinculo.core.services import require
from vinculo.customers.models import Contact, ErasureRequest, ErasureStatus
from vinculo.customers.services.cleaning import search_text_for

#: What anonymisation blanks on the contact (the person's data; the link to the account stays).
ERASED_FIELDS = ("first_name", "last_name", "email", "phone", "mobile", "title")


@transaction.atomic
def erasure_request(*, contact: Contact, source: str = "") -> ErasureRequest:
    """The contact's own request (``source`` says where from). One open request per contact:
    asking twice returns the pending one."""
    if contact.pk is None or not contact.active:
        raise ValidationError({"contact": _("This contact cannot ask for erasure.")})
    pending = ErasureRequest.all_objects.filter(
        organization_id=contact.organization_id, contact=contact,
        status__in=(ErasureStatus.REQUESTED, ErasureStatus.APPROVED)).first()
    if pending is not None:
        return pending
    return ErasureRequest.all_objects.create(organization_id=contact.organization_id,
                                             contact=contact, source=source[:100])


def _locked(request: ErasureRequest) -> ErasureRequest:
    return ErasureRequest.all_objects.select_for_update().get(pk=request.pk)


@transaction.atomic
def erasure_decide(*, actor: User, request: ErasureRequest, approve: bool) -> ErasureRequest:
    """Staff approve (then the contact is anonymised at once) or refuse a pending request."""
    require(actor, "customers.change")
    request = _locked(request)
    if request.organization_id != actor.organization_id:
        raise ValidationError({"request": _("Not found.")})
    if request.status != ErasureStatus.REQUESTED:
        raise ValidationError({"status": _("This request was already decided.")})
    request.status = ErasureStatus.APPROVED if approve else ErasureStatus.REFUSED
    request.decided_by, request.decided_at = actor, timezone.now()
    request.save(update_fields=["status", "decided_by", "decided_at", "updated_at"])
    if approve:
        request = contact_anonymise(request=request)
    return request


@transaction.atomic
def contact_anonymise(*, request: ErasureRequest) -> ErasureRequest:
    """Blank the person's data of an APPROVED request's contact; refused otherwise."""
    request = _locked(request)
    if request.status != ErasureStatus.APPROVED:
        raise ValidationError({"status": _("Only an approved erasure request is carried out.")})
    contact = Contact.all_objects.select_for_update().get(pk=request.contact_id)
    for name in ERASED_FIELDS:
        setattr(contact, name, "")
    contact.first_name = _("Anonymised contact")
    contact.full_name = contact.first_name
    contact.other_emails, contact.custom_fields = [], {}
    contact.active = False
    contact.search_text = search_text_for(contact)
    contact.save()
    # no channel may reach the anonymous record again; the rows stay as the record kept
    contact.consents.update(granted=False, source="erasure", recorded_at=timezone.now())
    request.status, request.anonymised_at = ErasureStatus.ANONYMISED, timezone.now()
    request.save(update_fields=["status", "anonymised_at", "updated_at"])
    return request
