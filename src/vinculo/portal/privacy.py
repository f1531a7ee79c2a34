"""The portal's account and privacy pieces: credit notes and payments, loyalty and service
package of the account (read through those apps' selectors: the portal is the top layer),
the contact's consents (changed through the customers service, each change logged), the
"download my data" file and the erasure request.

Everything starts from the portal user: their account's documents, their own contact."""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from vinculo.billing.models import Invoice, InvoiceKind, InvoiceStatus, Payment
from vinculo.core import privacy as personal
from vinculo.core.privacy import declarations as data_declarations
from vinculo.customers import services as customers
from vinculo.customers.models import Channel, Consent, ErasureRequest, ErasureStatus
from vinculo.customers.privacy import subject_for
from vinculo.loyalty import selectors as loyalty
from vinculo.packages import selectors as packages
from vinculo.portal.models import PortalAction, PortalUser
from vinculo.portal.services import activity_record

# ---- reading ---------------------------------------------------------------------------------


def credit_notes(portal_user: PortalUser) -> QuerySet:
    return (Invoice.objects.filter(account_id=portal_user.account_id,
                                   kind=InvoiceKind.CREDIT_NOTE)
            .exclude(status=InvoiceStatus.DRAFT).select_related("credited_invoice")
            .order_by("-issue_date", "-id"))


def payments(portal_user: PortalUser) -> QuerySet:
    return (Payment.objects.filter(invoice__account_id=portal_user.account_id)
            .select_related("invoice").order_by("-paid_on", "-id"))


def loyalty_of(portal_user: PortalUser) -> list[dict[str, Any]]:
    """Balance and tier per programme the account belongs to (empty when none)."""
    return [{"program": row["program"], "member": row["member"], "balance": row["balance"],
             "expiring": row["expiring"]} for row in loyalty.account_summary(portal_user.account)]


def package_of(portal_user: PortalUser) -> Any:
    return packages.package_of(portal_user.account)


def consents(portal_user: PortalUser) -> list[dict[str, Any]]:
    """Every channel with the contact's current answer (None: never asked)."""
    given = {c.channel: c for c in Consent.objects.filter(contact=portal_user.contact)}
    return [{"channel": value, "label": label, "consent": given.get(value)}
            for value, label in Channel.choices]


def kept_after_erasure() -> list[str]:
    """What each app keeps after an erasure and why, as the apps declare it."""
    return [str(d.kept) for d in data_declarations() if d.kept]


def erasure_pending(portal_user: PortalUser) -> ErasureRequest | None:
    return ErasureRequest.objects.filter(
        contact=portal_user.contact,
        status__in=(ErasureStatus.REQUESTED, ErasureStatus.APPROVED)).first()


# ---- acting ----------------------------------------------------------------------------------


@transaction.atomic
def consent_change(*, portal_user: PortalUser, channel: str, granted: Any) -> Consent:
    """The contact's own answer for a channel, through the customers service (``actor=None``:
    the person themself, no staff permission), logged on the portal's activity."""
    if channel not in Channel.values:
        raise ValidationError({"channel": _("Unknown channel.")})
    if granted not in ("yes", "no"):
        raise ValidationError({"granted": _("Choose yes or no.")})
    consent = customers.consent_record(actor=None, contact=portal_user.contact, channel=channel,
                                       granted=granted == "yes", source="portal")
    label = dict(Channel.choices)[channel]
    activity_record(portal_user, PortalAction.CONSENT_CHANGED,
                    f"{label}: {_('yes') if consent.granted else _('no')}")
    return consent


@transaction.atomic
def erasure_ask(*, portal_user: PortalUser) -> ErasureRequest:
    request = customers.erasure_request(contact=portal_user.contact, source="portal")
    activity_record(portal_user, PortalAction.ERASURE_REQUESTED)
    return request


def personal_data(portal_user: PortalUser) -> dict[str, Any]:
    """The contact's self-service copy of their data: one section per app that declares
    personal data (``core/privacy.py``, the same declarations the erasure runs), built from
    the session's portal user only.

    It is the customer-facing export (``customer_facing=True``): it keeps the person's own
    data and what was sent to them or received from them, and leaves out what staff wrote
    for themselves — internal notes of interactions and tickets, tasks, comments and files on
    their record, notes of documents, amounts of opportunities, costs and margins — as
    everywhere in the portal. The complete export, internal notes included, is staff's
    (``customers.services.personal_data_export``), to answer a formal request of access."""
    return {
        "generated_at": timezone.now().isoformat(),
        "organization": portal_user.organization.name,
        "account": portal_user.account.name,
        **personal.export(subject_for(portal_user.contact), customer_facing=True),
    }


def personal_data_zip(portal_user: PortalUser) -> bytes:
    """The export as a ZIP holding ``datos.json`` (UTF-8, indented)."""
    data = personal_data(portal_user)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("datos.json", json.dumps(data, ensure_ascii=False, indent=2))
    activity_record(portal_user, PortalAction.DATA_EXPORTED)
    return buffer.getvalue()



# ---- staff: deciding an erasure request ------------------------------------------------------


def erasure_requests(account: Any) -> list[ErasureRequest]:
    """Staff's panel: the erasure requests of the account's contacts still to decide."""
    return list(ErasureRequest.objects.filter(
        contact__accounts=account, status=ErasureStatus.REQUESTED).select_related("contact"))


def erasure_decided(*, actor: Any, request: ErasureRequest, approve: bool) -> ErasureRequest:
    """Staff's decision through the customers service; once approved every app's eraser ran
    (the portal's own ends the contact's portal access: ``portal/privacy_data.py``)."""
    return customers.erasure_decide(actor=actor, request=request, approve=approve)
