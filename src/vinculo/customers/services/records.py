"""Create, update and delete accounts, contacts and leads; link contacts, record consent.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from vinculo.core import events
from vinculo.core.models import CustomField, CustomFieldType, User
from vinculo.core.services import (
    PermissionDeniedError,
    require,
    versioned_save,
)
from vinculo.customers.models import (
    Account,
    AccountContact,
    Channel,
    Consent,
    Contact,
    Lead,
    LeadStatus,
)
from vinculo.customers.services.cleaning import (
    ACCOUNT_FIELDS,
    CONTACT_FIELDS,
    LEAD_FIELDS,
    record_clean,
    set_tags,
)


def _create(
    model: type, allowed: tuple[str, ...], key: str, *, actor: User, data: dict[str, Any]
) -> Any:
    require(actor, "customers.add")
    instance = model(organization_id=actor.organization_id)
    data = dict(data)
    if "owner" not in data:
        data["owner"] = actor
        if actor.team_id and "team" not in data:
            data["team"] = actor.team
    record_clean(instance, data, allowed=allowed, model_key=key, actor=actor, partial=False)
    instance.save()
    set_tags(instance, data.get("tags"))
    payload = {"name": str(instance)}
    if key == "lead":
        payload = {"source": instance.source}
    events.publish(f"{key}.created", record=instance, actor=actor, data=payload)
    return instance


def _update(
    instance: Any,
    allowed: tuple[str, ...],
    key: str,
    *,
    actor: User,
    data: dict[str, Any],
    expected_version: int | None,
) -> Any:
    require(actor, "customers.change")
    new_owner = data.get("owner", instance.owner)
    reassigning = getattr(new_owner, "pk", None) != instance.owner_id
    if actor.is_owner_scoped and reassigning and instance.owner_id != actor.pk:
        raise PermissionDeniedError(_("You can only reassign records you own."))
    fields = record_clean(instance, data, allowed=allowed, model_key=key, actor=actor,
                          partial=True)
    versioned_save(instance, expected_version=expected_version, fields=fields)
    set_tags(instance, data.get("tags"))
    return instance


@transaction.atomic
def account_create(*, actor: User, data: dict[str, Any]) -> Account:
    return _create(Account, ACCOUNT_FIELDS, "account", actor=actor, data=data)


@transaction.atomic
def account_update(
    *, actor: User, account: Account, data: dict[str, Any], expected_version: int | None
) -> Account:
    """Change an account; a change of its numeric custom fields (a credit limit, an annual
    revenue…) is announced as ``account.changed`` with the values before and after, which
    rules that fire when a value crosses a threshold read."""
    numeric = _numeric_custom_keys(account.organization_id) if "custom_fields" in data else ()
    before = {key: (account.custom_fields or {}).get(key) for key in numeric}
    account = _update(
        account,
        ACCOUNT_FIELDS,
        "account",
        actor=actor,
        data=data,
        expected_version=expected_version,
    )
    changes = {}
    for key in numeric:
        old, new = before[key], (account.custom_fields or {}).get(key)
        if old != new:
            changes[f"custom.{key}"] = [None if old is None else str(old),
                                        None if new is None else str(new)]
    if changes:
        events.publish("account.changed", record=account, actor=actor,
                       data={"changes": changes})
    return account


def _numeric_custom_keys(organization_id: int) -> tuple[str, ...]:
    """The keys of the accounts' custom fields that hold numbers (one query)."""
    return tuple(CustomField.all_objects.filter(
        organization_id=organization_id, model="account",
        type__in=(CustomFieldType.NUMBER, CustomFieldType.DECIMAL)).values_list("key",
                                                                               flat=True))


@transaction.atomic
def contact_create(
    *,
    actor: User,
    data: dict[str, Any],
    accounts: Iterable[tuple[Account, str] | dict[str, Any]] = (),
    consents: Iterable[dict[str, Any]] = (),
) -> Contact:
    """Create a contact, with the accounts they join and the consents they gave, at once."""
    contact = _create(Contact, CONTACT_FIELDS, "contact", actor=actor, data=data)
    _contact_related(actor, contact, accounts, consents)
    return contact


def _contact_related(
    actor: User,
    contact: Contact,
    accounts: Iterable[tuple[Account, str] | dict[str, Any]],
    consents: Iterable[dict[str, Any]],
) -> None:
    for link in accounts:
        if isinstance(link, tuple):
            link = {"account": link[0], "role": link[1]}
        contact_link_account(actor=actor, contact=contact, **link)
    for consent in consents:
        consent_record(actor=actor, contact=contact, **consent)


@transaction.atomic
def contact_update(
    *,
    actor: User,
    contact: Contact,
    data: dict[str, Any],
    expected_version: int | None,
    accounts: Iterable[tuple[Account, str] | dict[str, Any]] = (),
    consents: Iterable[dict[str, Any]] = (),
) -> Contact:
    contact = _update(
        contact,
        CONTACT_FIELDS,
        "contact",
        actor=actor,
        data=data,
        expected_version=expected_version,
    )
    _contact_related(actor, contact, accounts, consents)
    return contact


@transaction.atomic
def lead_create(*, actor: User, data: dict[str, Any]) -> Lead:
    return _create(Lead, LEAD_FIELDS, "lead", actor=actor, data=data)


@transaction.atomic
def lead_update(
    *, actor: User, lead: Lead, data: dict[str, Any], expected_version: int | None
) -> Lead:
    if lead.status == LeadStatus.CONVERTED:
        raise ValidationError({"status": _("A converted lead can no longer be edited.")})
    if data.get("status") == LeadStatus.CONVERTED:
        raise ValidationError({"status": _("Use the convert action to convert a lead.")})
    return _update(
        lead, LEAD_FIELDS, "lead", actor=actor, data=data, expected_version=expected_version
    )


def _delete(instance: Account | Contact | Lead, *, actor: User) -> None:
    require(actor, "customers.delete")
    instance.delete()


@transaction.atomic
def account_delete(*, actor: User, account: Account) -> None:
    """Remove an account; its memberships and snapshots go with it (the database cascades)."""
    _delete(account, actor=actor)


@transaction.atomic
def contact_delete(*, actor: User, contact: Contact) -> None:
    """Remove a contact, with their memberships and consents."""
    _delete(contact, actor=actor)


@transaction.atomic
def lead_delete(*, actor: User, lead: Lead) -> None:
    """Remove a lead."""
    _delete(lead, actor=actor)


@transaction.atomic
def account_deactivate(*, actor: User, account: Account) -> Account:
    """What to do with an account that documents still point to: it leaves the default lists
    and the pickers, and keeps its history (deleting it is refused)."""
    require(actor, "customers.delete")
    return _update(account, ACCOUNT_FIELDS, "account", actor=actor, data={"active": False},
                   expected_version=None)


@transaction.atomic
def contact_deactivate(*, actor: User, contact: Contact) -> Contact:
    """As :func:`account_deactivate`, for a contact."""
    require(actor, "customers.delete")
    return _update(contact, CONTACT_FIELDS, "contact", actor=actor, data={"active": False},
                   expected_version=None)


@transaction.atomic
def account_reactivate(*, actor: User, account: Account) -> Account:
    """Bring a deactivated account back to the lists and pickers."""
    require(actor, "customers.delete")
    return _update(account, ACCOUNT_FIELDS, "account", actor=actor, data={"active": True},
                   expected_version=None)


@transaction.atomic
def contact_reactivate(*, actor: User, contact: Contact) -> Contact:
    """As :func:`account_reactivate`, for a contact."""
    require(actor, "customers.delete")
    return _update(contact, CONTACT_FIELDS, "contact", actor=actor, data={"active": True},
                   expected_version=None)


@transaction.atomic
def contact_link_account(
    *, actor: User, contact: Contact, account: Account, role: str = "", is_primary: bool = False
) -> AccountContact:
    require(actor, "customers.change")
    if account.organization_id != contact.organization_id:
        raise ValidationError({"account": _("The account must belong to your organisation.")})
    link, created = AccountContact.all_objects.get_or_create(
        organization_id=contact.organization_id,
        account=account,
        contact=contact,
        defaults={"role": role, "is_primary": is_primary},
    )
    if not created and (link.role, link.is_primary) != (role, is_primary):
        link.role, link.is_primary = role, is_primary
        link.save(update_fields=["role", "is_primary", "updated_at"])
    return link


@transaction.atomic
def consent_record(
    *,
    actor: User | None,
    contact: Contact,
    channel: str,
    granted: bool,
    source: str = "",
    recorded_at: Any = None,
) -> Consent:
    """Record a contact's consent on a channel. ``actor=None`` is the contact's own request
    through a public page (a campaign e-mail's unsubscribe link): no staff permission."""
    if actor is not None:
        require(actor, "customers.change")
    if channel not in Channel.values:
        raise ValidationError({"channel": _("Unknown channel.")})
    consent, _created = Consent.all_objects.update_or_create(
        organization_id=contact.organization_id,
        contact=contact,
        channel=channel,
        defaults={
            "granted": granted,
            "source": source[:100],
            "recorded_at": recorded_at or timezone.now(),
        },
    )
    return consent
