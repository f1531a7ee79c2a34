"""Convert a lead into an account and a contact, reusing the duplicates it matches.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.core.exceptions import NON_FIELD_ERRORS, FieldDoesNotExist, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from vinculo.core import events
from vinculo.core.models import User
from vinculo.core.services import (
    require,
)
from vinculo.customers.models import (
    Account,
    Contact,
    Lead,
    LeadStatus,
    LifecycleStage,
)
from vinculo.customers.services.cleaning import set_tags
from vinculo.customers.services.records import account_create, contact_create, contact_link_account

# The account's fields that are copied from another field of the lead.
ACCOUNT_FROM_LEAD = {"name": "company_name"}


@contextmanager
def _named_for_lead(lead: Lead, renames: dict[str, str]) -> Iterator[None]:
    """A record made from the lead refused what the lead holds: say which field of the lead
    to fix (``Lead 'Acme Ltd': tax id: …``), keyed by that field so the lead's form shows it."""
    try:
        yield
    except ValidationError as exc:
        if not hasattr(exc, "error_dict"):
            raise
        errors: dict[str, list[str]] = {}
        for key, messages in exc.message_dict.items():
            name = renames.get(key, key)
            try:
                label = str(getattr(Lead._meta.get_field(name), "verbose_name", name))
            except FieldDoesNotExist:
                name, label = NON_FIELD_ERRORS, str(key)
            errors.setdefault(name, []).extend(
                _("Lead '%(lead)s': %(field)s: %(message)s")
                % {"lead": lead, "field": label, "message": message} for message in messages)
        raise ValidationError(errors) from None


@transaction.atomic
def lead_convert(
    *, actor: User, lead: Lead, account: Account | None = None, contact: Contact | None = None
) -> tuple[Account, Contact]:
    """Turn a lead into an account and a contact, reusing existing ones that are duplicates.

    The lead stays, marked converted and pointing at what it became, so its history is kept.
    """
    from vinculo.customers.selectors import account_match, contact_match

    require(actor, "leads.convert")
    lead = Lead.objects.select_for_update().get(pk=lead.pk)
    if lead.status == LeadStatus.CONVERTED:
        raise ValidationError({"status": _("This lead is already converted.")})
    owner = lead.owner or actor
    if account is None:
        account = account_match(
            organization_id=lead.organization_id,
            name=lead.company_name,
            tax_id=lead.tax_id,
            email=lead.email,
        )
    if account is None:
        name = lead.company_name or lead.full_name or lead.email
        with _named_for_lead(lead, ACCOUNT_FROM_LEAD):
            account = account_create(
                actor=actor,
                data={
                    "name": name,
                    "is_person": not lead.company_name,
                    "country": lead.country,
                    "tax_id": lead.tax_id,
                    "website": lead.website,
                    "source": lead.source,
                    "owner": owner,
                    "lifecycle_stage": LifecycleStage.LEAD,
                },
            )
    if contact is None:
        contact = contact_match(
            organization_id=lead.organization_id, email=lead.email, phone=lead.phone
        )
    if contact is None:
        with _named_for_lead(lead, {}):
            contact = contact_create(
                actor=actor,
                data={
                    "first_name": lead.first_name,
                    "last_name": lead.last_name,
                    "email": lead.email,
                    "phone": lead.phone,
                    "title": lead.title,
                    "source": lead.source,
                    "owner": owner,
                    "lifecycle_stage": LifecycleStage.LEAD,
                },
            )
    contact_link_account(actor=actor, contact=contact, account=account, role=lead.title)
    for record in (account, contact):
        if record.lifecycle_stage == LifecycleStage.PROSPECT:
            record.lifecycle_stage = LifecycleStage.LEAD
            record.save(update_fields=["lifecycle_stage", "updated_at"])
    tag_names = list(lead.tags.values_list("name", flat=True))
    if tag_names:
        for record in (account, contact):
            set_tags(record, [*record.tags.values_list("name", flat=True), *tag_names])
    lead.status = LeadStatus.CONVERTED
    lead.converted_account = account
    lead.converted_contact = contact
    lead.converted_at = timezone.now()
    lead.save(
        update_fields=[
            "status",
            "converted_account",
            "converted_contact",
            "converted_at",
            "updated_at",
        ]
    )
    events.publish("lead.converted", record=lead, actor=actor, data={
        "contact": str(contact.uuid), "account": str(account.uuid) if account else None})
    return account, contact
