"""Every write of the customer portal (docs/architecture.md, "Customer portal").

Staff invite a contact (``portal.invite``); the contact sets a password with the one-time
link and signs in. What a portal user does on their company's documents goes through the same
services as staff (``sales``, ``billing``, ``service``, ``interactions``), acting as the portal
user's own inactive service account, so every rule, event and audit row is the staff one;
the portal only decides *which* records the contact may act on (``selectors``).
"""

from __future__ import annotations

import datetime as dt
import secrets
import uuid
from collections.abc import Sequence
from decimal import Decimal
from typing import Any, cast

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import validate_email
from django.db import transaction
from django.template import loader
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from vinculo.attachments import services as attachments
from vinculo.billing import returns as billing
from vinculo.billing.models import ReturnAuthorization
from vinculo.core import events
from vinculo.core.audit import acting_as
from vinculo.core.mailqueue import email_queue
from vinculo.core.models import SERVICE_ACCOUNT_DOMAIN, User
from vinculo.core.roles import Role
from vinculo.core.services import org_id, require
from vinculo.customers import services as customers
from vinculo.customers.models import Account, AccountContact, Contact
from vinculo.interactions import services as interactions
from vinculo.interactions.models import Channel, Direction, Interaction
from vinculo.portal.models import (
    PortalAction,
    PortalActivity,
    PortalInvitation,
    PortalRole,
    PortalUser,
)
from vinculo.sales.documents import services as documents
from vinculo.sales.models import Order, OrderLine, Quote, QuoteStatus
from vinculo.service import services as desk
from vinculo.service.models import OPEN_STATUSES, Survey, Ticket, TicketStatus

#: Channel of what a contact writes on the portal (a ticket, a reply, a comment on a quote):
#: the customer typed it into the company's web pages.
PORTAL_CHANNEL = Channel.WEB_FORM
TICKET_CHANNEL = "portal"
MESSAGE_MAX = 5000
#: Files one message on the portal may carry (each within staff's ``VINCULO_MAX_UPLOAD_MB``).
FILES_MAX = 5


# ---- staff side: invitation ------------------------------------------------------------------


#: The staff permissions a portal user's service account may use (``core.roles.SERVICE_SCOPES``):
#: what the portal's own actions need, nothing else, though its role is an administrator's (so
#: the staff services and record rules run for it; the portal checks the account itself).
SERVICE_ACCOUNT_PREFIX = "portal-"
SERVICE_SCOPE = frozenset({"attachments.add", "customers.change", "interactions.add",
                           "sales.add", "sales.change", "service.add"})


def service_account_create(organization_id: int, contact: Contact, account: Account) -> User:
    """The inactive staff user a portal user acts as: no password, no sign-in, left out of
    the people pages (``SERVICE_ACCOUNT_DOMAIN``), named for the contact in the audit log."""
    user = User(email=f"{SERVICE_ACCOUNT_PREFIX}{uuid.uuid4().hex}@{SERVICE_ACCOUNT_DOMAIN}",
                organization_id=organization_id, role=Role.ADMIN, is_active=False,
                first_name=_("Portal")[:150],
                last_name=f"{contact.full_name} ({account.name})"[:150])
    user.set_unusable_password()
    user.save()
    return user


def _new_invitation(*, actor: User, portal_user: PortalUser) -> PortalInvitation:
    now = timezone.now()
    PortalInvitation.objects.filter(portal_user=portal_user, accepted_at__isnull=True,
                                    revoked_at__isnull=True).update(revoked_at=now)
    token = secrets.token_urlsafe(32)
    invitation = PortalInvitation.objects.create(
        organization_id=portal_user.organization_id, portal_user=portal_user,
        invited_by=actor, token_hash=PortalInvitation.hash_token(token),
        expires_at=now + dt.timedelta(days=settings.VINCULO_INVITATION_DAYS))
    _invitation_email(portal_user=portal_user, invited_by=actor, token=token)
    invitation.clear_token = token  # type: ignore[attr-defined]  # for the caller only
    return invitation


def invitation_link(token: str) -> str:
    return settings.SITE_URL + reverse("portal:accept", kwargs={"token": token})


def _invitation_email(*, portal_user: PortalUser, invited_by: User, token: str) -> None:
    """Queued (``core.mailqueue``), in the contact's language, like staff invitations."""
    organization = portal_user.organization
    with translation.override(language_of(portal_user)):
        subject = _("%(organization)s invites you to its customer portal") % {
            "organization": organization}
        body = loader.render_to_string("portal/invitation_email.txt", {
            "portal_user": portal_user, "contact": portal_user.contact,
            "invited_by": invited_by, "organization": organization,
            "account": portal_user.account, "link": invitation_link(token),
            "days": settings.VINCULO_INVITATION_DAYS,
            "role": portal_user.get_role_display()})
    email_queue(to=portal_user.email, subject=subject, body=body,
                organization_id=portal_user.organization_id)


def language_of(portal_user: PortalUser) -> str:
    """The portal user's own choice, else the contact's preferred language, else the
    organisation's."""
    return (portal_user.language or portal_user.contact.preferred_language
            or portal_user.organization.language or settings.LANGUAGE_CODE)


@transaction.atomic
def portal_user_invite(*, actor: User, account: Account, contact: Contact,
                       role: str) -> PortalUser:
    """Invite a contact of ``account`` to the portal (or invite them again): an e-mailed
    one-time link; they cannot sign in until they set their password."""
    require(actor, "portal.invite")
    organization_id = org_id(actor)
    errors: dict[str, str] = {}
    if role not in PortalRole.values:
        errors["role"] = _("Choose a portal role.")
    elif role == PortalRole.SUPPLIER and not account.is_supplier:
        errors["role"] = _("Only a supplier account's contacts get the supplier role.")
    if contact.organization_id != organization_id or not AccountContact.objects.filter(
            account=account, contact=contact).exists():
        errors["contact"] = _("Choose a contact of this account.")
    email = (contact.email or "").strip().lower()
    if "contact" not in errors:
        try:
            validate_email(email)
        except ValidationError:
            errors["contact"] = _("This contact has no e-mail address: add one first.")
    if errors:
        raise ValidationError(errors)
    portal_user = PortalUser.objects.select_for_update().filter(email=email).first()
    if portal_user is not None and portal_user.account_id != account.pk:
        raise ValidationError({"contact": _("This e-mail already uses the portal for another "
                                            "account.")})
    if portal_user is None:
        portal_user = PortalUser.objects.create(
            organization_id=organization_id, account=account, contact=contact, email=email,
            role=role, user=service_account_create(organization_id, contact, account),
            invited_by=actor, language=contact.preferred_language or "")
    else:
        portal_user.role, portal_user.contact = role, contact
        portal_user.save(update_fields=["role", "contact", "updated_at"])
    _new_invitation(actor=actor, portal_user=portal_user)
    activity_record(portal_user, PortalAction.INVITED, str(actor))
    events.publish("portal_user.invited", record=portal_user, actor=actor,
                   data={"account": str(account.uuid), "role": role})
    return portal_user


@transaction.atomic
def portal_user_deactivate(*, actor: User, portal_user: PortalUser) -> PortalUser:
    """Stop the portal user at once: sessions end on their next request, links stop working."""
    require(actor, "portal.invite")
    portal_user.is_active = False
    portal_user.save(update_fields=["is_active", "updated_at"])
    PortalInvitation.objects.filter(portal_user=portal_user, accepted_at__isnull=True,
                                    revoked_at__isnull=True).update(revoked_at=timezone.now())
    return portal_user


# ---- the contact's side: password and sign-in -----------------------------------------------


def invitation_find(token: str) -> PortalInvitation | None:
    """The pending invitation a link names (not used, revoked nor expired)."""
    invitation = (PortalInvitation.all_objects
                  .select_related("portal_user", "portal_user__organization",
                                  "portal_user__account", "portal_user__contact")
                  .filter(token_hash=PortalInvitation.hash_token(token or "")).first())
    return invitation if invitation is not None and invitation.pending else None


@transaction.atomic
def invitation_accept(*, token: str, password: str) -> PortalUser:
    """Set the contact's own password (Django's validators) and open the portal to them; the
    link works once."""
    invitation = invitation_find(token)
    if invitation is None:
        raise ValidationError({"token": _("This link has expired or was already used. Ask "
                                          "your contact at the company for a new one.")})
    locked = PortalInvitation.all_objects.select_for_update().get(pk=invitation.pk)
    if locked.accepted_at is not None:
        raise ValidationError({"token": _("This link was already used.")})
    portal_user = invitation.portal_user
    try:
        # the contact's names and e-mail are what the similarity rule compares with
        validate_password(password, cast(Any, portal_user.contact))
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from None
    with acting_as(portal_user.user):
        portal_user.set_password(password)
        portal_user.is_active = True
        portal_user.save(update_fields=["password", "is_active", "updated_at"])
        locked.accepted_at = timezone.now()
        locked.save(update_fields=["accepted_at", "updated_at"])
        activity_record(portal_user, PortalAction.JOINED)
        events.publish("portal_user.joined", record=portal_user, actor=portal_user.user,
                       data={"account": str(portal_user.account.uuid)})
    return portal_user


def authenticate(*, email: str, password: str) -> PortalUser | None:
    """The active portal user with this e-mail and password (any organisation), or None. A
    miss costs a hash too, so timing does not say whether the address is known."""
    candidates = list(PortalUser.all_objects.select_related("account").filter(
        email=(email or "").strip().lower(), is_active=True, account__active=True))
    for candidate in candidates:
        if candidate.check_password(password or ""):
            now = timezone.now()
            PortalUser.all_objects.filter(pk=candidate.pk).update(last_login_at=now)
            activity_record(candidate, PortalAction.SIGNED_IN)
            return candidate
    if not candidates:
        PortalUser(password="").set_password(password or "")
    return None


def activity_record(portal_user: PortalUser, action: str, subject: str = "") -> None:
    PortalActivity.all_objects.create(organization_id=portal_user.organization_id,
                                      portal_user=portal_user, action=action,
                                      subject=subject[:200])


# ---- acting on the company's documents ------------------------------------------------------


def _message(body: str, field: str = "comment", required: bool = False) -> str:
    text = (body or "").strip()
    if required and not text:
        raise ValidationError({field: _("Write your message.")})
    if len(text) > MESSAGE_MAX:
        raise ValidationError({field: _("At most %(max)d characters.") % {"max": MESSAGE_MAX}})
    return text


def _log_message(portal_user: PortalUser, *, subject: str, body: str,
                 related: Any) -> Interaction:
    """What the contact wrote, on the customer's timeline and the record's: an inbound
    interaction (the same one staff see for a customer's e-mail)."""
    return interactions.interaction_log(actor=portal_user.user, data={
        "channel": PORTAL_CHANNEL, "direction": Direction.INBOUND, "subject": subject[:300],
        "notes": body, "contact": portal_user.contact, "account": portal_user.account},
        related=related)


@transaction.atomic
def quote_answer(*, portal_user: PortalUser, quote: Quote, accept: bool,
                 comment: str = "") -> Quote:
    """Accept (an order is made, as when staff accept) or reject a sent quote, with the
    contact's comment on the quote's timeline."""
    text = _message(comment)
    if quote.account_id != portal_user.account_id or quote.status != QuoteStatus.SENT:
        raise ValidationError({"quote": _("This quote can no longer be answered.")})
    actor = portal_user.user
    with acting_as(actor):
        if accept:
            promised = timezone.localdate() + dt.timedelta(
                days=settings.VINCULO_PORTAL_PROMISE_DAYS)
            documents.quote_accept(actor=actor, quote=quote, promised_date=promised)
        else:
            documents.quote_reject(actor=actor, quote=quote)
        if text:
            verb = _("accepted") if accept else _("rejected")
            _log_message(portal_user, subject=f"{quote.number}: {verb}", body=text,
                         related=quote)
    activity_record(portal_user, PortalAction.QUOTE_ACCEPTED if accept
                    else PortalAction.QUOTE_REJECTED, quote.number)
    quote.refresh_from_db()
    return quote


def _check_files(files: Sequence[UploadedFile]) -> None:
    """The files of one message, checked before anything is written (the attachments app's
    limits again per file, so a bad third file does not leave the first two behind)."""
    if len(files) > FILES_MAX:
        raise ValidationError({"files": _("Attach at most %(max)d files.") % {
            "max": FILES_MAX}})
    limit = attachments.max_upload_bytes()
    for upload in files:
        if not upload.size:
            raise ValidationError({"files": _("The file %(name)s is empty.") % {
                "name": upload.name}})
        if upload.size > limit:
            raise ValidationError({"files": _(
                "The file %(name)s is %(size)s MB; files may be at most %(limit)s MB.") % {
                    "name": upload.name, "size": f"{upload.size / 2**20:.1f}",
                    "limit": f"{limit / 2**20:g}"}})


def _attach(portal_user: PortalUser, ticket: Ticket, files: Sequence[UploadedFile]) -> None:
    """Through the attachments app's own service, as the portal user's service account: the
    same storage, limits, events and audit as a file staff attach."""
    for upload in files:
        attachments.file_attach(actor=portal_user.user, record=ticket, upload=upload,
                                filename=upload.name or "",
                                content_type=upload.content_type or "")


@transaction.atomic
def ticket_open(*, portal_user: PortalUser, subject: str, description: str,
                files: Sequence[UploadedFile] = ()) -> Ticket:
    """A ticket of the account, opened by the contact (routed, assigned and timed by the
    service desk's own rules), with the files they attached."""
    title = (subject or "").strip()
    if not title:
        raise ValidationError({"subject": _("Say what it is about.")})
    if len(title) > 300:
        raise ValidationError({"subject": _("At most %(max)d characters.") % {"max": 300}})
    text = _message(description, "description")
    _check_files(files)
    with acting_as(portal_user.user):
        ticket = desk.ticket_create(actor=portal_user.user, channel=TICKET_CHANNEL, data={
            "subject": title, "description": text, "contact": portal_user.contact,
            "account": portal_user.account, "requester_email": portal_user.email})
        _attach(portal_user, ticket, files)
    activity_record(portal_user, PortalAction.TICKET_OPENED, ticket.number)
    return ticket


@transaction.atomic
def ticket_reply(*, portal_user: PortalUser, ticket: Ticket, body: str,
                 files: Sequence[UploadedFile] = ()) -> Interaction:
    """The contact's message on their ticket: like a customer's e-mail, it reopens a waiting
    or resolved ticket (service's ``interaction.logged`` subscriber)."""
    text = _message(body, "body", required=True)
    if ticket.account_id != portal_user.account_id:
        raise ValidationError({"ticket": _("Not found.")})
    if ticket.status == TicketStatus.CLOSED:
        raise ValidationError({"body": _("This ticket is closed: open a new one.")})
    _check_files(files)
    with acting_as(portal_user.user):
        interaction = _log_message(portal_user, subject=desk.reply_subject(ticket), body=text,
                                   related=ticket)
        _attach(portal_user, ticket, files)
    activity_record(portal_user, PortalAction.TICKET_REPLIED, ticket.number)
    return interaction


def survey_of(ticket: Ticket) -> Survey | None:
    """The ticket's satisfaction survey, once the desk created it (on resolution)."""
    if ticket.status in OPEN_STATUSES:
        return None
    return Survey.objects.filter(ticket=ticket).first()


@transaction.atomic
def survey_answer(*, portal_user: PortalUser, ticket: Ticket, csat: Any,
                  comment: str = "") -> Survey:
    """Answer the ticket's survey through the service desk's own CSAT service."""
    survey = survey_of(ticket) if ticket.account_id == portal_user.account_id else None
    if survey is None:
        raise ValidationError({"csat": _("This ticket has no survey to answer.")})
    survey = desk.survey_answer(survey=survey, csat=csat, comment=comment)
    activity_record(portal_user, PortalAction.SURVEY_ANSWERED, ticket.number)
    return survey


@transaction.atomic
def return_request(*, portal_user: PortalUser, order: Order, line: OrderLine,
                   quantity: Any, reason: str) -> ReturnAuthorization:
    """A return of a delivered line through billing's returns service (RMA number, its
    rules on what may still come back)."""
    if order.account_id != portal_user.account_id or line.order_id != order.pk:
        raise ValidationError({"line": _("Not found.")})
    try:
        amount = Decimal(str(quantity).strip().replace(",", "."))
    except ArithmeticError:
        raise ValidationError({"quantity": _("Enter a number.")}) from None
    with acting_as(portal_user.user):
        rma = billing.return_request(actor=portal_user.user, order=order, reason=reason,
                                     lines=[(line, amount)])
    activity_record(portal_user, PortalAction.RETURN_REQUESTED, rma.number)
    return rma


PROFILE_FIELDS = ("title", "phone", "mobile")


@transaction.atomic
def profile_update(*, portal_user: PortalUser, data: dict[str, Any]) -> PortalUser:
    """The contact changes their own details (through the customers' contact service, so the
    change is validated and kept in the contact's history like staff's) and the portal's
    language."""
    language = str(data.get("language") or "")
    if language and language not in dict(settings.LANGUAGES):
        raise ValidationError({"language": _("Choose a language from the list.")})
    contact = Contact.objects.get(pk=portal_user.contact_id)
    changes = {field: str(data.get(field) or "").strip() for field in PROFILE_FIELDS
               if field in data}
    with acting_as(portal_user.user):
        if changes:
            customers.contact_update(actor=portal_user.user, contact=contact, data=changes,
                                     expected_version=None)
        if language != portal_user.language:
            portal_user.language = language
            portal_user.save(update_fields=["language", "updated_at"])
    activity_record(portal_user, PortalAction.PROFILE_CHANGED)
    return portal_user
