"""The right to erasure: a contact asks (from the customer portal), staff approve, and then
everything the company holds about the person is anonymised in one transaction — in every
app, through the ``personal_data`` each app declares in its contract (``core/privacy.py``), so
customers imports no app above it. What the law requires to keep stays (issued invoices; see
each declaration's ``kept`` and docs/architecture.md, "Personal data"). The export reads the
same declarations (:func:`personal_data_export`)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from vinculo.core import privacy
from vinculo.core.models import User
from vinculo.core.services import require
from vinculo.customers.models import Contact, ErasureRequest, ErasureStatus
from vinculo.customers.privacy import subject_for


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
    """Carry out an APPROVED request (refused otherwise): every app's eraser, then the
    request is marked anonymised. Any error undoes all of it."""
    request = _locked(request)
    if request.status != ErasureStatus.APPROVED:
        raise ValidationError({"status": _("Only an approved erasure request is carried out.")})
    contact = Contact.all_objects.select_for_update().get(pk=request.contact_id)
    privacy.erase(subject_for(contact))
    request.status, request.anonymised_at = ErasureStatus.ANONYMISED, timezone.now()
    request.save(update_fields=["status", "anonymised_at", "updated_at"])
    return request


def personal_data_export(*, contact: Contact) -> dict[str, Any]:
    """Everything the company holds about the contact, one section per declaring app."""
    return privacy.export(subject_for(contact))
