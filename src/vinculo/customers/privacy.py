"""What customers holds about a contact, for the export and the erasure (``core/privacy.py``):
the contact itself, its consents, the leads that were them (converted into them, or with
their e-mail or phone), and mentions of them on accounts, other leads and imports (their
reports and the stored files: ``customers/imports/erasing.py``).

Kept after an erasure: the contact row (anonymous, inactive: documents point to it), the
consent rows withdrawn (the proof of what was agreed and when) and the erasure request (the
proof it was honoured). An account's name, tax id and billing address stay: they are the
fiscal identity issued invoices carry."""

from __future__ import annotations

from typing import Any

import phonenumbers
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from vinculo.core.privacy import MARK, Subject, file_replace, rows, scrub, stored_bytes
from vinculo.customers import normalize
from vinculo.customers.imports.erasing import file_without
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


def export_leads_for_customer(subject: Subject) -> list[dict[str, Any]]:
    """The person's own download: the leads without staff's notes."""
    return rows(_leads(subject).order_by("created_at", "id"),
                *(name for name in LEAD_FIELDS if name != "notes"))


def erase_leads(subject: Subject) -> None:
    """The leads that were them lose every field a person wrote or is known by; mentions of
    them on other leads and in imports' reports and files go."""
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
    scrub(ImportJob.all_objects.filter(organization_id=org),
          ("errors", "duplicates", "new_accounts"), subject)
    erase_import_files(subject)


def erase_import_files(subject: Subject) -> None:
    """Every stored import file of the organisation, rewritten without the person's rows
    (``imports/erasing.py`` says how, and why a row is replaced rather than removed); the job
    points at the new file, the old one goes after commit (``core.privacy.file_replace``).

    A file that cannot be read or rewritten (damaged in storage) does not stop the erasure:
    it is logged (``Subject.not_reached``) and the import's report says so, where the people
    who can see the file look for what went wrong with it."""
    needles = subject.needles
    jobs = (ImportJob.all_objects.filter(organization_id=subject.organization_id)
            .exclude(file="").order_by("id"))
    for job in jobs.only("pk", "uuid", "file", "original_name", "encoding", "delimiter",
                         "errors"):
        old = job.file.name or ""
        try:  # no query in here: a database error must not be swallowed (PostgreSQL)
            data = stored_bytes(old)
            rewritten = None if data is None else file_without(
                data, name=job.original_name, encoding=job.encoding, delimiter=job.delimiter,
                needles=needles)
            if rewritten is None:
                continue
            new = job.file.field.generate_filename(job, job.original_name or "import")
            stored = file_replace(subject, old, new, rewritten)
        except Exception as exc:  # a damaged file (any parser's error), a storage that fails
            _not_reached(subject, job, exc)
            continue
        ImportJob.all_objects.filter(pk=job.pk).update(file=stored)


def _not_reached(subject: Subject, job: ImportJob, error: Exception) -> None:
    """Logged for the administrators, and said on the import's report (as the import says
    its own unexpected errors)."""
    from vinculo.customers.imports.running import ImportReport  # it imports the services

    why = ("; ".join(error.messages) if isinstance(error, ValidationError)
           else f"{type(error).__name__}: {error}"[:200])
    subject.not_reached(f"import {job.uuid} (file {job.file.name})", why)
    report = ImportReport()
    report.add_error(None, _("The stored file of this import could not be read when a "
                             "person's data was erased: it may still hold their row. The "
                             "administrators can find it in the server log."))
    errors = list(job.errors or [])
    if all(e.get("message") != report.errors[0]["message"] for e in errors):
        ImportJob.all_objects.filter(pk=job.pk).update(errors=[*errors, *report.errors])
