"""What customers holds about a contact, for the export and the erasure (``core/privacy.py``):
the contact itself, its consents, the leads that were them (converted into them, or with
their e-mail or phone), and mentions of them on accounts, other leads and imports.

Kept after an erasure: the contact row (anonymous, inactive: documents point to it), the
consent rows withdrawn (the proof of what was agreed and when) and the erasure request (the
proof it was honoured). An account's name, tax id and billing address stay: they are the
fiscal identity issued invoices carry."""

from __future__ import annotations

from typing import Any

import phonenumbers
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from vinculo.core.privacy import MARK, Subject, rows, scrub
from vinculo.customers import normalize
from vinculo.customers.models import (
    Account,
    AccountContact,
    Consent,
    Contact,
    ImportJob,
    Lead,
)

CONTACT_FIELDS = ("first_name", "last_name", "email", "other_emails", "phone", "mobile",
                  "title", "preferred_language", "preferred_channel", "lifecycle_stage",
                  "source", "custom_fields", "created_at", "updated_at")
LEAD_FIELDS = ("first_name", "last_name", "email", "phone", "title", "company_name", "tax_id",
               "website", "source", "status", "notes", "created_at")


def _phone_forms(value: str) -> list[str]:
    """A stored E.164 phone as people also write it: without "+", national digits, spaced."""
    if not value:
        return []
    forms = [value, value.lstrip("+")]
    try:
        number = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException:
        return forms
    forms.append(str(number.national_number))
    forms.append(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL))
    return forms


def subject_for(contact: Contact) -> Subject:
    """The contact as a :class:`Subject`, with every form of its identifiers."""
    name = normalize.full_name(contact.first_name, contact.last_name)
    names = [contact.full_name, name, normalize.fold(name)]
    emails = [contact.email, *(contact.other_emails or [])]
    phones = [form for value in (contact.phone, contact.mobile) for form in _phone_forms(value)]
    return Subject(organization_id=contact.organization_id, contact=contact,
                   names=tuple(n for n in names if n), emails=tuple(e for e in emails if e),
                   phones=tuple(phones))


# ---- the contact --------------------------------------------------------------------------


def export_contact(subject: Subject) -> dict[str, Any]:
    contact = Contact.all_objects.get(pk=subject.contact.pk)
    data: dict[str, Any] = {name: getattr(contact, name) for name in CONTACT_FIELDS}
    data["accounts"] = [{"account": link.account.name, "role": link.role} for link in
                        AccountContact.all_objects.filter(contact=contact)
                        .select_related("account")]
    return data


def erase_contact(subject: Subject) -> None:
    """Blank the person's fields (the row stays, anonymous and inactive: documents point at
    it); an account's e-mail or phone that are theirs go too."""
    label = _("Anonymised contact")
    Contact.all_objects.filter(pk=subject.contact.pk).update(
        first_name=label, last_name="", full_name=label, email="", other_emails=[], phone="",
        mobile="", title="", custom_fields={}, active=False,
        search_text=normalize.search_text(label), updated_at=timezone.now())
    subject.mark(Contact, [subject.contact.pk])
    links = AccountContact.all_objects.filter(contact_id=subject.contact.pk)
    links.update(role="")
    accounts = Account.all_objects.filter(organization_id=subject.organization_id)
    emails = [e.lower() for e in subject.emails]
    accounts.filter(email__in=emails).update(email="")
    accounts.filter(phone__in=[p for p in subject.phones if p.startswith("+")]).update(phone="")
    scrub(accounts, ("website", "billing_street", "shipping_street", "custom_fields",
                     "search_text"), subject)


# ---- consents ------------------------------------------------------------------------------


def export_consents(subject: Subject) -> list[dict[str, Any]]:
    return rows(Consent.all_objects.filter(contact_id=subject.contact.pk).order_by("channel"),
                "channel", "granted", "recorded_at", "source")


def erase_consents(subject: Subject) -> None:
    """Withdrawn, not deleted: no channel may reach the anonymous record again, and the rows
    prove what was agreed and when."""
    Consent.all_objects.filter(contact_id=subject.contact.pk).update(
        granted=False, source="erasure", recorded_at=timezone.now())


# ---- leads ---------------------------------------------------------------------------------


def _leads(subject: Subject) -> QuerySet:
    condition = Q(converted_contact_id=subject.contact.pk)
    for email in subject.emails:
        condition |= Q(email__iexact=email)
    for phone in subject.phones:
        if phone.startswith("+"):
            condition |= Q(phone=phone)
    return Lead.all_objects.filter(condition, organization_id=subject.organization_id)


def export_leads(subject: Subject) -> list[dict[str, Any]]:
    return rows(_leads(subject).order_by("created_at", "id"), *LEAD_FIELDS)


def erase_leads(subject: Subject) -> None:
    """The leads that were them lose every field a person wrote or is known by; mentions of
    them on other leads and in imports' reports go."""
    theirs = _leads(subject)
    ids = list(theirs.values_list("pk", flat=True))
    theirs.update(first_name=MARK, last_name="", full_name=MARK, email="", phone="", title="",
                  tax_id="", website="", notes="", custom_fields={},
                  search_text=normalize.search_text(MARK), updated_at=timezone.now())
    subject.mark(Lead, ids)
    org = subject.organization_id
    scrub(Lead.all_objects.filter(organization_id=org),
          ("full_name", "first_name", "last_name", "company_name", "notes", "search_text"),
          subject)
    scrub(ImportJob.all_objects.filter(organization_id=org), ("errors", "duplicates"), subject)
