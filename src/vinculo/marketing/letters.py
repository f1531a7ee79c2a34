"""The letter channel: a mail-merged PDF for printing, one page per member who has a postal
address and consented to post.

``deliver(campaign)`` reads the campaign's pending recipients, fills each one's variant (its
subject and body, with the merge fields of interactions' restricted engine:
``{{ contact.first_name }}``, ``{{ account.name }}``, ``{{ user.full_name }}`` for the
campaign's owner, ``{{ organization.name }}``) and prints it under the organisation's
letterhead with ``core.pdf.render_letters``. The address is the billing address of the
recipient's account (the contact's primary account when the row names none). Members without
a street and a city or postal code, or without a granted post consent (withdrawn since the
segment was built counts), are marked ``skipped`` with the reason; the printed ones ``sent``.
The PDF is stored on ``CampaignLetters`` (one per campaign; a later run, after recipients
were added, prints the sent ones again with the new ones) and
downloaded from the campaign's page through ``marketing:campaign_letters``, which checks
``marketing.view`` and the organisation (``core.files.serve``).
"""

from __future__ import annotations

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from vinculo.core.pdf import address_lines, render_letters
from vinculo.customers.models import Consent
from vinculo.interactions.merge_fields import render_merge
from vinculo.interactions.services import primary_account
from vinculo.marketing.models import (
    Campaign,
    CampaignLetters,
    CampaignRecipient,
    CampaignVariant,
    RecipientStatus,
)


def _postal(account: object | None) -> list[str]:
    if account is None:
        return []
    street = getattr(account, "billing_street", "")
    place = getattr(account, "billing_city", "") or getattr(account, "billing_postal_code", "")
    if not (street and place):
        return []
    return address_lines(account, "billing_")


@transaction.atomic
def deliver(campaign: Campaign) -> CampaignLetters:
    """Print the pending recipients' letters into one PDF; mark them sent or skipped."""
    campaign = Campaign.objects.select_related("organization", "owner").get(pk=campaign.pk)
    variants: dict[int | None, CampaignVariant] = {
        v.pk: v for v in CampaignVariant.objects.filter(campaign=campaign)}
    fallback = min(variants.values(), key=lambda v: v.name) if variants else None
    recipients = list(CampaignRecipient.objects.filter(
        campaign=campaign, status__in=(RecipientStatus.PENDING, RecipientStatus.SENT),
    ).select_related(
        "contact", "account").order_by("id"))
    consenting = set(Consent.objects.filter(
        contact_id__in=[r.contact_id for r in recipients], channel="post", granted=True)
        .values_list("contact_id", flat=True))
    letters, printed, skipped = [], [], []
    for recipient in recipients:
        contact = recipient.contact
        account = recipient.account or primary_account(contact)
        address = _postal(account)
        refusal = (_("No consent to letters by post.") if recipient.contact_id not in consenting
                   else _("No postal address.") if not address else "")
        if refusal:
            if recipient.status == RecipientStatus.PENDING:
                skipped.append((recipient.pk, refusal))
            continue
        variant = variants.get(recipient.variant_id) or fallback
        objects = {"contact": contact, "account": account, "user": campaign.owner,
                   "organization": campaign.organization}
        subject = render_merge(variant.subject, objects) if variant else ""
        body = render_merge(variant.body, objects) if variant else ""
        name = [contact.full_name] if contact.full_name else []
        if account is not None and not account.is_person and account.name not in name:
            name.append(account.name)
        letters.append((name + address, subject, body))
        if recipient.status == RecipientStatus.PENDING:
            printed.append(recipient.pk)
    pdf = render_letters(organization=campaign.organization, title=campaign.name,
                         letters=letters)
    now = timezone.now()
    CampaignRecipient.objects.filter(pk__in=printed).update(status=RecipientStatus.SENT,
                                                            sent_at=now)
    for pk, reason in skipped:
        CampaignRecipient.objects.filter(pk=pk).update(status=RecipientStatus.SKIPPED,
                                                       skipped_reason=reason)
    row = CampaignLetters.objects.filter(campaign=campaign).first()
    if row is None:
        row = CampaignLetters(organization_id=campaign.organization_id, campaign=campaign)
    elif row.file and row.file.name:
        old, storage = row.file.name, row.file.storage
        transaction.on_commit(lambda: storage.delete(old))
    row.pages = len(letters)
    row.skipped = CampaignRecipient.objects.filter(campaign=campaign,
                                                   status=RecipientStatus.SKIPPED).count()
    row.file.save("letters.pdf", ContentFile(pdf), save=False)
    row.save()
    return row
