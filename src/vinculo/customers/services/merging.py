"""Merge duplicate contacts or accounts: the relations move to the survivor, then the
duplicate is removed.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils.translation import gettext as _

from vinculo.core import events
from vinculo.core.models import User
from vinculo.core.services import (
    require,
)
from vinculo.customers import normalize
from vinculo.customers.models import (
    Account,
    AccountContact,
    Consent,
    Contact,
)
from vinculo.customers.services.cleaning import (
    ACCOUNT_FIELDS,
    CONTACT_FIELDS,
    search_text_for,
    set_tags,
)


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


M = TypeVar("M", Account, Contact)


def _locked_pair(model: type[M], actor: User, survivor: M, duplicate: M) -> tuple[M, M]:
    """The two records of a merge, checked and locked in the merge's transaction."""
    require(actor, "customers.merge")
    if survivor.pk == duplicate.pk:
        raise ValidationError({"duplicate": _("A record cannot be merged with itself.")})
    if survivor.organization_id != duplicate.organization_id:
        raise ValidationError({"duplicate": _("Both records must belong to your organisation.")})
    return (model.objects.select_for_update().get(pk=survivor.pk),
            model.objects.select_for_update().get(pk=duplicate.pk))


def _finish(actor: User, survivor: Account | Contact, duplicate: Account | Contact) -> None:
    """Save the survivor with both records' tags, remove the duplicate, say so."""
    survivor.save()
    set_tags(survivor, [*survivor.tags.values_list("name", flat=True),
                        *duplicate.tags.values_list("name", flat=True)])
    gone = str(duplicate.uuid)
    duplicate.delete()
    events.publish(f"{survivor._meta.model_name}.merged", record=survivor, actor=actor,
                   data={"duplicate": gone})


@transaction.atomic
def contact_merge(*, actor: User, survivor: Contact, duplicate: Contact) -> Contact:
    """Fold ``duplicate`` into ``survivor``: blanks filled, relations moved, duplicate removed."""
    survivor, duplicate = _locked_pair(Contact, actor, survivor, duplicate)
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
    _finish(actor, survivor, duplicate)
    return survivor


@transaction.atomic
def account_merge(*, actor: User, survivor: Account, duplicate: Account) -> Account:
    survivor, duplicate = _locked_pair(Account, actor, survivor, duplicate)
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
    _finish(actor, survivor, duplicate)
    return survivor
