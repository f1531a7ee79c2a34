"""Writes on campaigns: create and change them and their A/B variants, start them (the
audience built from the segment, the control group held out), finish them.

``campaign_start`` is the one way a campaign reaches people. It refreshes the segment, reads
its current contacts in bulk and writes one ``CampaignRecipient`` per contact:

- a contact without the channel's consent (``channels.CONSENT``; a withdrawn one counts as
  none), without an e-mail address (e-mail campaigns) or whose address is suppressed is
  *skipped*, with the reason on the row;
- of the others (the contactable), a random ``control_share`` % is the *control group*: held
  out, never contacted, the baseline of the lift. The draw is a shuffle of the contactable
  contacts' ids (ascending) by ``random.Random`` seeded with the campaign's UUID, so starting
  the same campaign on the same members draws the same group, and no one can steer who lands
  in it;
- the rest are split across the variants by their shares, in the same shuffled order (so
  each variant is a random sample too), and stay *pending* for the channel.

Then the channel's ``deliver(campaign)`` (``channels.DELIVERY``) is called: e-mail enqueues
the background sender (``marketing.sending``) once the transaction commits. The consent is
checked again when each message is sent, so a withdrawal after the start is respected.
"""

from __future__ import annotations

import importlib.util
import random
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, models, transaction
from django.db.models import Exists, OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from vinculo.core import events, plugins
from vinculo.core.deletion import delete_record
from vinculo.core.models import User
from vinculo.core.services import org_id, require, versioned_save
from vinculo.customers.models import AccountContact, Consent
from vinculo.interactions.merge_fields import template_check
from vinculo.marketing import channels
from vinculo.marketing.identifiers import new_token
from vinculo.marketing.models import (
    Campaign,
    CampaignChannel,
    CampaignRecipient,
    CampaignStatus,
    CampaignVariant,
    RecipientStatus,
    Suppression,
)
from vinculo.segments import selectors as segment_selectors
from vinculo.segments.services import segment_refresh

CAMPAIGN_FIELDS = ("name", "objective", "segment", "channel", "owner", "starts_on", "ends_on",
                   "currency", "budget", "fixed_cost", "cost_per_message", "control_share",
                   "attribution_days", "messages_per_minute")
#: What may still change once a campaign has started: its audience and channel are fixed.
STARTED_FIELDS = ("name", "objective", "owner", "ends_on", "budget", "fixed_cost",
                  "cost_per_message", "attribution_days", "messages_per_minute")
VARIANT_FIELDS = ("name", "subject", "body", "share")
EDITABLE = (CampaignStatus.DRAFT, CampaignStatus.SCHEDULED)
MAX_CONTROL_SHARE = 90
_CURRENCY = re.compile(r"^[A-Z]{3}$")
_BULK = 5000


def _assign(instance: models.Model, data: dict[str, Any], allowed: tuple[str, ...],
            organization_id: int) -> list[str]:
    unknown = set(data) - set(allowed)
    if unknown:
        raise ValidationError({name: _("This field cannot be set.") for name in sorted(unknown)})
    for key, value in data.items():
        field = instance._meta.get_field(key)
        if isinstance(field, models.ForeignKey):
            if value is not None and getattr(value, "organization_id",
                                             organization_id) != organization_id:
                raise ValidationError({key: _("Choose a record of your organisation.")})
        elif value is None and isinstance(field, models.CharField | models.TextField):
            value = ""
        elif isinstance(value, str) and isinstance(field, models.CharField):
            value = value.strip()
        setattr(instance, key, value)
    return list(data)


def _check_campaign(campaign: Campaign) -> None:
    errors: dict[str, str] = {}
    campaign.currency = (campaign.currency or "").upper()
    if not _CURRENCY.match(campaign.currency):
        errors["currency"] = _("Enter a three-letter currency code (ISO 4217), e.g. EUR.")
    for name in ("budget", "fixed_cost", "cost_per_message"):
        value = getattr(campaign, name)
        if value is not None and Decimal(str(value)) < 0:
            errors[name] = _("A cost cannot be negative.")
    if campaign.control_share is not None and not 0 <= campaign.control_share \
            <= MAX_CONTROL_SHARE:
        errors["control_share"] = _("Hold out between 0 and %(max)d %% of the segment.") % {
            "max": MAX_CONTROL_SHARE}
    if campaign.starts_on and campaign.ends_on and campaign.ends_on < campaign.starts_on:
        errors["ends_on"] = _("The campaign cannot end before it starts.")
    if errors:
        raise ValidationError(errors)
    try:
        campaign.full_clean(exclude=["organization", "segment", "owner"])
    except ValidationError as exc:
        raise ValidationError(exc.message_dict) from None


@transaction.atomic
def campaign_create(*, actor: User, data: dict[str, Any]) -> Campaign:
    require(actor, "marketing.add")
    campaign = Campaign(organization_id=org_id(actor), owner=actor)
    _assign(campaign, data, CAMPAIGN_FIELDS, campaign.organization_id)
    _check_campaign(campaign)
    campaign.save()
    CampaignVariant.objects.create(organization_id=campaign.organization_id,
                                   campaign=campaign, name="A", share=100)
    return campaign


@transaction.atomic
def campaign_update(*, actor: User, campaign: Campaign, data: dict[str, Any],
                    expected_version: int | None) -> Campaign:
    require(actor, "marketing.change")
    if campaign.status not in EDITABLE:
        fixed = sorted(k for k, v in data.items()
                       if k not in STARTED_FIELDS and getattr(campaign, k, v) != v)
        if fixed:
            raise ValidationError({name: _("This cannot change once the campaign has "
                                           "started.") for name in fixed})
        data = {k: v for k, v in data.items() if k in STARTED_FIELDS}
    fields = _assign(campaign, data, CAMPAIGN_FIELDS, campaign.organization_id)
    _check_campaign(campaign)
    versioned_save(campaign, expected_version=expected_version, fields=fields)
    return campaign


@transaction.atomic
def campaign_delete(*, actor: User, campaign: Campaign) -> None:
    require(actor, "marketing.delete")
    if campaign.status not in EDITABLE:
        raise ValidationError(_("A campaign that has started is kept with its results; "
                                "finish it instead."))
    delete_record(campaign)


# ---- variants --------------------------------------------------------------------------------


def _check_variant(variant: CampaignVariant) -> None:
    if not variant.name:
        raise ValidationError({"name": _("Name the variant, e.g. A or B.")})
    if variant.share is None or not 0 < variant.share <= 100:
        raise ValidationError({"share": _("Enter a share between 1 and 100 %.")})
    template_check(variant.subject, field_name="subject")
    template_check(variant.body, field_name="body")
    try:
        variant.full_clean(exclude=["organization", "campaign"])
    except ValidationError as exc:
        raise ValidationError(exc.message_dict) from None


def _variant_save(variant: CampaignVariant, fields: list[str] | None,
                  expected_version: int | None) -> None:
    try:
        with transaction.atomic():
            if fields is None:
                variant.save()
            else:
                versioned_save(variant, expected_version=expected_version, fields=fields)
    except IntegrityError:
        raise ValidationError({"name": _("The campaign already has a variant named "
                                         "%(name)s.") % {"name": variant.name}}) from None


def _editable(campaign: Campaign) -> None:
    if campaign.status not in EDITABLE:
        raise ValidationError(_("The message cannot change once the campaign has started."))


@transaction.atomic
def campaign_variant_create(*, actor: User, campaign: Campaign,
                            data: dict[str, Any]) -> CampaignVariant:
    require(actor, "marketing.change")
    _editable(campaign)
    variant = CampaignVariant(organization_id=campaign.organization_id, campaign=campaign)
    _assign(variant, data, VARIANT_FIELDS, campaign.organization_id)
    _check_variant(variant)
    _variant_save(variant, None, None)
    return variant


@transaction.atomic
def campaign_variant_update(*, actor: User, variant: CampaignVariant, data: dict[str, Any],
                            expected_version: int | None) -> CampaignVariant:
    require(actor, "marketing.change")
    _editable(variant.campaign)
    fields = _assign(variant, data, VARIANT_FIELDS, variant.organization_id)
    _check_variant(variant)
    _variant_save(variant, fields, expected_version)
    return variant


@transaction.atomic
def campaign_variant_delete(*, actor: User, variant: CampaignVariant) -> None:
    require(actor, "marketing.change")
    _editable(variant.campaign)
    variant.delete()


# ---- start and finish ------------------------------------------------------------------------


@dataclass(frozen=True)
class StartResult:
    recipients: int
    control: int
    pending: int
    skipped: int


def _deliver_path(campaign: Campaign) -> str:
    path = channels.DELIVERY[campaign.channel]
    if importlib.util.find_spec(path.rpartition(".")[0]) is None:
        raise ValidationError({"channel": _(
            "Sending by %(channel)s is not available in this installation yet.") % {
            "channel": CampaignChannel(campaign.channel).label}})
    return path


def _split(ids: list[int], shares: list[int]) -> list[int]:
    """The index of the share each position of ``ids`` falls in (contiguous chunks)."""
    total = sum(shares)
    bounds, running = [], 0
    for share in shares:
        running += share
        bounds.append(round(len(ids) * running / total))
    out, index = [], 0
    for position in range(len(ids)):
        while position >= bounds[index]:
            index += 1
        out.append(index)
    return out


@transaction.atomic
def campaign_start(*, campaign: Campaign, actor: User) -> StartResult:
    """Build the recipients and hand the campaign to its channel (see the module's doc)."""
    require(actor, "marketing.send")
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if campaign.status not in EDITABLE:
        raise ValidationError(_("This campaign has already started."))
    if campaign.segment is None:
        raise ValidationError({"segment": _("Choose the segment the campaign goes to.")})
    variants = list(campaign.variants.order_by("name"))
    if campaign.channel == CampaignChannel.EMAIL and (not variants or any(
            not v.subject.strip() or not v.body.strip() for v in variants)):
        raise ValidationError(_("Write the subject and the body of every variant before "
                                    "starting."))
    if variants and sum(v.share for v in variants) != 100:
        raise ValidationError(_("The variants' shares add up to %(total)d %%; they must add "
                                "up to 100 %%.") % {"total": sum(v.share for v in variants)})
    deliver = _deliver_path(campaign)
    segment = campaign.segment
    segment_refresh(segment=segment, actor=actor)
    consent_channel = channels.CONSENT[campaign.channel]
    contacts = segment_selectors.current_contacts(segment).order_by().annotate(
        primary_account=Subquery(AccountContact.all_objects.filter(contact=OuterRef("pk"))
                                 .order_by("-is_primary", "id").values("account_id")[:1]))
    if consent_channel:
        contacts = contacts.annotate(consented=Exists(Consent.all_objects.filter(
            contact=OuterRef("pk"), channel=consent_channel, granted=True)))
    rows = list(contacts.values_list(
        "id", "email", "primary_account", *(["consented"] if consent_channel else [])))
    if not rows:
        raise ValidationError({"segment": _(
            "The segment %(segment)s has no members: nobody to send to.") % {
            "segment": segment.name}})
    suppressed = set(Suppression.objects.filter(organization_id=campaign.organization_id)
                     .values_list("email", flat=True))
    needs_address = campaign.channel == CampaignChannel.EMAIL
    skipped: dict[int, str] = {}
    info: dict[int, tuple[str, int | None]] = {}
    for row in rows:
        contact_id, email, account_id = row[0], (row[1] or "").strip().lower(), row[2]
        info[contact_id] = (email, account_id)
        if consent_channel and not row[3]:
            skipped[contact_id] = _("No consent to %(channel)s (or withdrawn).") % {
                "channel": CampaignChannel(campaign.channel).label.lower()}
        elif needs_address and not email:
            skipped[contact_id] = _("No e-mail address.")
        elif needs_address and email in suppressed:
            skipped[contact_id] = _("The address is suppressed (bounced, complained or "
                                    "unsubscribed).")
    contactable = sorted(cid for cid in info if cid not in skipped)
    if not contactable:
        raise ValidationError({"segment": _(
            "None of the %(count)d members of %(segment)s can be reached by %(channel)s: "
            "none has consented (or has an address that may be written to).") % {
            "count": len(rows), "segment": segment.name,
            "channel": CampaignChannel(campaign.channel).label.lower()}})
    rng = random.Random(campaign.uuid.int)
    rng.shuffle(contactable)
    control_count = round(len(contactable) * campaign.control_share / 100)
    control, treated = contactable[:control_count], contactable[control_count:]
    chunks = _split(treated, [v.share for v in variants]) if variants else [None] * len(treated)
    org = campaign.organization_id

    def recipient(contact_id: int, status: str, variant: CampaignVariant | None = None,
                  reason: str = "") -> CampaignRecipient:
        email, account_id = info[contact_id]
        return CampaignRecipient(organization_id=org, campaign_id=campaign.pk,
                                 contact_id=contact_id, account_id=account_id, variant=variant,
                                 token=new_token(), status=status, skipped_reason=reason[:200],
                                 email=email[:254])

    batch: list[CampaignRecipient] = []

    def add(row: CampaignRecipient) -> None:
        batch.append(row)
        if len(batch) >= _BULK:
            CampaignRecipient.objects.bulk_create(batch)
            batch.clear()

    for contact_id in control:
        add(recipient(contact_id, RecipientStatus.CONTROL))
    for contact_id, chunk in zip(treated, chunks, strict=True):
        add(recipient(contact_id, RecipientStatus.PENDING,
                      variants[chunk] if chunk is not None else None))
    for contact_id, reason in sorted(skipped.items()):
        add(recipient(contact_id, RecipientStatus.SKIPPED, reason=reason))
    if batch:
        CampaignRecipient.objects.bulk_create(batch)
    campaign.status = CampaignStatus.SENDING
    campaign.started_at = timezone.now()
    versioned_save(campaign, expected_version=None, fields=["status", "started_at"])
    result = StartResult(recipients=len(rows), control=len(control), pending=len(treated),
                         skipped=len(skipped))
    events.publish("campaign.started", record=campaign, actor=actor, data={
        "campaign": str(campaign.uuid), "recipients": result.recipients,
        "control": result.control, "pending": result.pending, "skipped": result.skipped})
    plugins.resolve(deliver)(campaign)
    return result


def campaign_mark_sent(*, campaign: Campaign) -> bool:
    """The channel says every message went out (the system, no actor): SENDING → SENT."""
    with transaction.atomic():
        changed = Campaign.all_objects.filter(pk=campaign.pk, status=CampaignStatus.SENDING) \
            .update(status=CampaignStatus.SENT, send_lease="")
        if changed:
            counts = dict(CampaignRecipient.objects.filter(campaign_id=campaign.pk)
                          .values_list("status").annotate(n=models.Count("id")))
            events.publish("campaign.sent", record=campaign, actor=None, data={
                "campaign": str(campaign.uuid), "sent": counts.get(RecipientStatus.SENT, 0),
                "failed": counts.get(RecipientStatus.FAILED, 0)})
    return bool(changed)


@transaction.atomic
def campaign_finish(*, campaign: Campaign, actor: User) -> Campaign:
    """Close a campaign: nothing more is sent (what was pending is skipped); its results
    keep counting responses within the attribution window."""
    require(actor, "marketing.send")
    if campaign.status in (CampaignStatus.FINISHED, CampaignStatus.CANCELLED):
        raise ValidationError(_("This campaign is already closed."))
    if campaign.status in EDITABLE:
        raise ValidationError(_("This campaign has not started."))
    CampaignRecipient.objects.filter(
        campaign_id=campaign.pk, status__in=(RecipientStatus.PENDING, RecipientStatus.SENDING)
    ).update(status=RecipientStatus.SKIPPED, skipped_reason=_("The campaign was finished."))
    campaign.status = CampaignStatus.FINISHED
    campaign.finished_at = timezone.now()
    campaign.send_lease = ""
    versioned_save(campaign, expected_version=None,
                   fields=["status", "finished_at", "send_lease"])
    events.publish("campaign.finished", record=campaign, actor=actor,
                   data={"campaign": str(campaign.uuid)})
    return campaign


# ---- responses through the public links (no signed-in user) ------------------------------------


def recipient_open(*, token: str) -> bool:
    """The open pixel of the recipient with ``token`` was fetched: ``opened_at`` is set the
    first time only. False when no recipient has that token (a well-signed link of a deleted
    campaign)."""
    return _respond(token, ("opened_at",))


def recipient_click(*, token: str) -> bool:
    """A tracked link of the recipient with ``token`` was followed: ``clicked_at`` the first
    time (and ``opened_at``, since a click is an open whose pixel the mail client did not
    load). False when no recipient has that token."""
    return _respond(token, ("opened_at", "clicked_at"))


def _respond(token: str, fields: tuple[str, ...]) -> bool:
    """One read by the token's unique index and, the first time only, one ``UPDATE`` of the
    row (``COALESCE``: a concurrent first response keeps its time). A mail client fetches the
    pixel at each reading, so most calls are the read alone. Plain SQL: these are the most
    frequent requests the product answers, and the ORM's query building would cost several
    times the queries themselves.

    On PostgreSQL the ``UPDATE`` does not wait for its WAL flush (``SET LOCAL
    synchronous_commit = off``, sent in the same query string: one implicit transaction, so it
    holds for this statement alone and no other write of the connection): a crash of the
    database server — not of the app — can lose the opens and clicks of its last fraction of a
    second (3 × ``wal_writer_delay``, 0.6 s by default), never corrupt anything, and nothing
    but these timestamps is written here; SQLite's ``synchronous=NORMAL`` gives every write
    the same durability. The flush waited behind every other write of the server (campaign
    marks, other tenants), and was the tail of these requests' latency."""
    quote = connection.ops.quote_name
    table = quote(CampaignRecipient._meta.db_table)
    columns = [quote(field) for field in fields]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, {', '.join(columns)} FROM {table} WHERE token = %s",
                       [token])
        row = cursor.fetchone()
        if row is None:
            return False
        if None in row[1:]:
            now = connection.ops.adapt_datetimefield_value(timezone.now())
            asynchronous = ("SET LOCAL synchronous_commit = off; "
                            if connection.vendor == "postgresql" and not connection.in_atomic_block
                            else "")
            cursor.execute(asynchronous + f"UPDATE {table} SET "
                           + ", ".join(f"{c} = COALESCE({c}, %s)" for c in columns)
                           + " WHERE id = %s", [now] * len(columns) + [row[0]])
    return True


@transaction.atomic
def recipient_unsubscribe(*, recipient: CampaignRecipient) -> None:
    """The recipient asked to stop (the page's button or the RFC 8058 one-click POST): the
    withdrawal of e-mail consent is recorded on the contact with the date and the campaign as
    its source, the address is suppressed, and ``unsubscribed_at`` is set. Doing it twice
    changes nothing more."""
    from vinculo.customers.services import consent_record

    campaign = Campaign.all_objects.get(pk=recipient.campaign_id)
    contact = recipient.contact
    now = timezone.now()
    consent_record(actor=None, contact=contact, channel=channels.CONSENT["email"] or "email",
                   granted=False, recorded_at=now,
                   source=(_("campaign %(name)s") % {"name": campaign.name})[:100])
    if recipient.email:
        Suppression.all_objects.get_or_create(
            organization_id=recipient.organization_id, email=recipient.email.lower(),
            defaults={"reason": "unsubscribed", "campaign": campaign,
                      "detail": _("Unsubscribed from an e-mail of the campaign.")})
    CampaignRecipient.objects.filter(pk=recipient.pk, unsubscribed_at=None).update(
        unsubscribed_at=now)


# ---- enrolling one customer (exception rules, suggestions) ------------------------------------

#: The campaigns a customer can still be added to.
ENROLLING = (CampaignStatus.DRAFT, CampaignStatus.SCHEDULED, CampaignStatus.SENDING)


@transaction.atomic
def campaign_enrol(*, actor: User, campaign: Campaign, account: Any,
                   contact: Any = None) -> CampaignRecipient:
    """Add an account's contact (the primary one unless ``contact`` is named) to a campaign
    that has not finished, as a pending recipient. Refused on ``campaign`` when it finished
    or already holds the contact, on ``contact`` when the account has none to enrol."""
    require(actor, "marketing.change")
    if campaign.organization_id != org_id(actor) or account.organization_id != org_id(actor):
        raise ValidationError({"campaign": _("Not found.")})
    return enrol(campaign, account, contact)


def enrol(campaign: Campaign, account: Any, contact: Any = None) -> CampaignRecipient:
    """The rule of :func:`campaign_enrol` once the caller checked who may enrol whom (a
    suggestion accepted by its reviewer enrols through here too)."""
    if campaign.organization_id != account.organization_id:
        raise ValidationError({"campaign": _("Not found.")})
    if campaign.status not in ENROLLING:
        raise ValidationError({"campaign": _("Choose a campaign that has not finished.")})
    if contact is None:
        membership = (AccountContact.objects.filter(account=account, contact__active=True)
                      .select_related("contact").order_by("-is_primary", "id").first())
        if membership is None:
            raise ValidationError({"contact": _("The account has no contact to enrol.")})
        contact = membership.contact
    elif not AccountContact.objects.filter(account=account, contact=contact).exists():
        raise ValidationError({"contact": _("Choose a contact of the account.")})
    if CampaignRecipient.objects.filter(campaign=campaign, contact=contact).exists():
        raise ValidationError({"campaign": _("%(contact)s is already in this campaign.") % {
            "contact": contact}})
    return CampaignRecipient.objects.create(
        organization_id=campaign.organization_id, campaign=campaign, contact=contact,
        account=account, token=new_token(), status=RecipientStatus.PENDING,
        email=contact.email)
