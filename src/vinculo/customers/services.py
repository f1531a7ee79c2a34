"""Business rules for customer records: create, update, delete, convert leads, merge duplicates.

Every function takes the acting user, runs in one transaction, and is the only writer of its
records: pages, the API, imports and the demo all come through here.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from vinculo.core import events
from vinculo.core.models import Tag, TenantModel, User
from vinculo.core.services import (
    PermissionDeniedError,
    custom_fields_clean,
    require,
    versioned_save,
)
from vinculo.customers import normalize
from vinculo.customers.models import (
    Account,
    AccountContact,
    Channel,
    Consent,
    Contact,
    Lead,
    LeadStatus,
    LifecycleStage,
)

# Fields a caller may set on each model (everything else is derived or system-owned).
ACCOUNT_FIELDS = (
    "name",
    "is_person",
    "tax_id",
    "industry",
    "size",
    "website",
    "email",
    "phone",
    "billing_street",
    "billing_city",
    "billing_postal_code",
    "billing_region",
    "billing_country",
    "shipping_street",
    "shipping_city",
    "shipping_postal_code",
    "shipping_region",
    "shipping_country",
    "lifecycle_stage",
    "source",
    "service_tier",
    "owner",
    "team",
    "custom_fields",
)
CONTACT_FIELDS = (
    "first_name",
    "last_name",
    "email",
    "other_emails",
    "phone",
    "mobile",
    "title",
    "preferred_language",
    "preferred_channel",
    "lifecycle_stage",
    "source",
    "owner",
    "team",
    "custom_fields",
)
LEAD_FIELDS = (
    "first_name",
    "last_name",
    "email",
    "phone",
    "title",
    "company_name",
    "tax_id",
    "website",
    "source",
    "status",
    "score",
    "notes",
    "owner",
    "team",
    "custom_fields",
)



def _region(actor: User) -> str:
    return actor.organization.country if actor.organization_id else "ES"


def _check_owner(actor: User, data: dict[str, Any]) -> None:
    owner = data.get("owner")
    if owner is not None and owner.organization_id != actor.organization_id:
        raise ValidationError({"owner": _("The owner must be a user of your organisation.")})
    team = data.get("team")
    if team is not None and team.organization_id != actor.organization_id:
        raise ValidationError({"team": _("The team must belong to your organisation.")})


CLEAN_EXCLUDE = ("organization", "owner", "team", "tags", "accounts", "merged_into",
                 "converted_account", "converted_contact")


def record_clean(
    instance: TenantModel,
    data: dict[str, Any],
    *,
    allowed: Iterable[str],
    model_key: str,
    actor: User,
    partial: bool,
    custom_field_definitions: dict[str, Any] | None = None,
) -> list[str]:
    """Copy allowed keys onto ``instance`` in canonical form; return the changed field names.

    The one place where a customer record's input is normalised and validated: the services,
    the importer and the API all come through here. Every bad field is reported at once, in
    one ``ValidationError`` keyed by field name.
    """
    unknown = set(data) - set(allowed) - {"tags"}
    if unknown:
        raise ValidationError({name: _("This field cannot be set.") for name in sorted(unknown)})
    _check_owner(actor, data)
    region = _region(actor)
    clean = dict(data)
    clean.pop("tags", None)
    errors: dict[str, list[str]] = {}

    def attempt(key: str, function: Any, *args: Any, **kwargs: Any) -> None:
        try:
            clean[key] = function(*args, **kwargs)
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                errors.setdefault(name, []).extend(messages)
            clean.pop(key, None)

    if "email" in clean:
        attempt("email", normalize.normalize_email, clean["email"])
    for phone_field in ("phone", "mobile"):
        if phone_field in clean:
            attempt(phone_field, normalize.normalize_phone, clean[phone_field], region=region,
                    field=phone_field)
    if "other_emails" in clean:
        attempt("other_emails", lambda emails: [
            normalize.normalize_email(e, field="other_emails") for e in emails or []],
            clean["other_emails"])
    if "tax_id" in clean:
        country = clean.get("billing_country") or getattr(instance, "billing_country", "") or region
        attempt("tax_id", normalize.normalize_tax_id, clean["tax_id"], country=country)
    if "custom_fields" in clean or not partial:
        merged = dict(getattr(instance, "custom_fields", {}) or {}) if partial else {}

        def merge_custom(values: dict[str, Any]) -> dict[str, Any]:
            merged.update(custom_fields_clean(
                organization_id=actor.organization_id, model=model_key, values=values,
                partial=partial, definitions=custom_field_definitions))
            return {k: v for k, v in merged.items() if v is not None}

        attempt("custom_fields", merge_custom, clean.get("custom_fields") or {})
    for key, value in clean.items():
        if key in ("owner", "team"):
            setattr(instance, f"{key}_id", value.pk if value is not None else None)
            continue
        field = instance._meta.get_field(key)
        if value is None and isinstance(field, models.CharField | models.TextField):
            value = ""
        setattr(instance, key, value)
    if hasattr(instance, "full_name"):
        instance.full_name = normalize.full_name(instance.first_name, instance.last_name)
    instance.search_text = search_text_for(instance)
    try:
        instance.full_clean(exclude=[*CLEAN_EXCLUDE, *errors], validate_unique=False,
                            validate_constraints=False)
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            errors.setdefault(name, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    fields = list(clean)
    if hasattr(instance, "full_name"):
        fields.append("full_name")
    return [*dict.fromkeys([*fields, "search_text"])]


def search_text_for(instance: Any) -> str:
    """The folded search column of an account, contact or lead."""
    if isinstance(instance, Account):
        return normalize.search_text(
            instance.name, instance.email, instance.phone.lstrip("+"), instance.tax_id
        )
    if isinstance(instance, Contact):
        return normalize.search_text(
            instance.full_name,
            instance.email,
            instance.phone.lstrip("+"),
            instance.mobile.lstrip("+"),
        )
    return normalize.search_text(
        instance.full_name, instance.company_name, instance.email, instance.phone.lstrip("+")
    )


def _set_tags(instance: Any, names: Iterable[str] | None) -> None:
    if names is None:
        return
    tags = []
    for name in dict.fromkeys(n.strip() for n in names if n and n.strip()):
        tag, _created = Tag.all_objects.get_or_create(
            organization_id=instance.organization_id, name=name[:60]
        )
        tags.append(tag)
    instance.tags.set(tags)


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
    _set_tags(instance, data.get("tags"))
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
    _set_tags(instance, data.get("tags"))
    return instance


@transaction.atomic
def account_create(*, actor: User, data: dict[str, Any]) -> Account:
    return _create(Account, ACCOUNT_FIELDS, "account", actor=actor, data=data)


@transaction.atomic
def account_update(
    *, actor: User, account: Account, data: dict[str, Any], expected_version: int | None
) -> Account:
    return _update(
        account,
        ACCOUNT_FIELDS,
        "account",
        actor=actor,
        data=data,
        expected_version=expected_version,
    )


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


@transaction.atomic
def record_delete(*, actor: User, instance: Account | Contact | Lead) -> None:
    require(actor, "customers.delete")
    instance.delete()


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
    actor: User,
    contact: Contact,
    channel: str,
    granted: bool,
    source: str = "",
    recorded_at: Any = None,
) -> Consent:
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
        account = account_create(
            actor=actor,
            data={
                "name": name,
                "is_person": not lead.company_name,
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
            _set_tags(record, [*record.tags.values_list("name", flat=True), *tag_names])
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


def _move_relations(survivor: models.Model, duplicate: models.Model, skip: set[str]) -> None:
    """Point every foreign key that references ``duplicate`` at ``survivor``.

    Uses the model's reverse relations, so records added by later apps (orders, tickets…) move
    without this function knowing them.
    """
    for rel in type(duplicate)._meta.related_objects:
        if rel.many_to_many or rel.one_to_one or rel.name in skip:
            continue
        if not rel.field.concrete:
            continue
        related_model = rel.related_model
        manager = getattr(related_model, "all_objects", related_model._base_manager)
        for obj in manager.filter(**{rel.field.name: duplicate}):
            setattr(obj, rel.field.name, survivor)
            obj.save(update_fields=[rel.field.name])


def _fill_blanks(survivor: Any, duplicate: Any, fields: Iterable[str]) -> None:
    for name in fields:
        if name in ("custom_fields", "owner", "team", "other_emails"):
            continue
        if getattr(survivor, name) in ("", None) and getattr(duplicate, name) not in ("", None):
            setattr(survivor, name, getattr(duplicate, name))


@transaction.atomic
def contact_merge(*, actor: User, survivor: Contact, duplicate: Contact) -> Contact:
    """Fold ``duplicate`` into ``survivor``: blanks filled, relations moved, duplicate removed."""
    require(actor, "customers.merge")
    if survivor.pk == duplicate.pk:
        raise ValidationError({"duplicate": _("A record cannot be merged with itself.")})
    if survivor.organization_id != duplicate.organization_id:
        raise ValidationError({"duplicate": _("Both records must belong to your organisation.")})
    survivor = Contact.objects.select_for_update().get(pk=survivor.pk)
    duplicate = Contact.objects.select_for_update().get(pk=duplicate.pk)
    for link in AccountContact.all_objects.filter(contact=duplicate):
        if AccountContact.all_objects.filter(contact=survivor, account_id=link.account_id).exists():
            link.delete()
        else:
            link.contact = survivor
            link.save(update_fields=["contact", "updated_at"])
    for consent in Consent.all_objects.filter(contact=duplicate):
        mine = Consent.all_objects.filter(contact=survivor, channel=consent.channel).first()
        if mine is None:
            consent.contact = survivor
            consent.save(update_fields=["contact", "updated_at"])
        else:
            if consent.recorded_at > mine.recorded_at:
                mine.granted, mine.recorded_at, mine.source = (
                    consent.granted,
                    consent.recorded_at,
                    consent.source,
                )
                mine.save(update_fields=["granted", "recorded_at", "source", "updated_at"])
            consent.delete()
    _move_relations(survivor, duplicate, skip={"memberships", "consents"})
    _fill_blanks(survivor, duplicate, CONTACT_FIELDS)
    emails = [*survivor.other_emails]
    for email in [duplicate.email, *duplicate.other_emails]:
        if email and email != survivor.email and email not in emails:
            emails.append(email)
    survivor.other_emails = emails
    survivor.custom_fields = {**duplicate.custom_fields, **survivor.custom_fields}
    survivor.full_name = normalize.full_name(survivor.first_name, survivor.last_name)
    survivor.search_text = search_text_for(survivor)
    survivor.save()
    _set_tags(
        survivor,
        [
            *survivor.tags.values_list("name", flat=True),
            *duplicate.tags.values_list("name", flat=True),
        ],
    )
    gone = str(duplicate.uuid)
    duplicate.delete()
    events.publish("contact.merged", record=survivor, actor=actor, data={"duplicate": gone})
    return survivor


@transaction.atomic
def account_merge(*, actor: User, survivor: Account, duplicate: Account) -> Account:
    require(actor, "customers.merge")
    if survivor.pk == duplicate.pk:
        raise ValidationError({"duplicate": _("A record cannot be merged with itself.")})
    if survivor.organization_id != duplicate.organization_id:
        raise ValidationError({"duplicate": _("Both records must belong to your organisation.")})
    survivor = Account.objects.select_for_update().get(pk=survivor.pk)
    duplicate = Account.objects.select_for_update().get(pk=duplicate.pk)
    for link in AccountContact.all_objects.filter(account=duplicate):
        if AccountContact.all_objects.filter(account=survivor, contact_id=link.contact_id).exists():
            link.delete()
        else:
            link.account = survivor
            link.save(update_fields=["account", "updated_at"])
    _move_relations(survivor, duplicate, skip={"memberships"})
    _fill_blanks(survivor, duplicate, ACCOUNT_FIELDS)
    survivor.custom_fields = {**duplicate.custom_fields, **survivor.custom_fields}
    survivor.search_text = search_text_for(survivor)
    survivor.save()
    _set_tags(
        survivor,
        [
            *survivor.tags.values_list("name", flat=True),
            *duplicate.tags.values_list("name", flat=True),
        ],
    )
    gone = str(duplicate.uuid)
    duplicate.delete()
    events.publish("account.merged", record=survivor, actor=actor, data={"duplicate": gone})
    return survivor
