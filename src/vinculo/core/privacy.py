"""Personal data of a person (a contact): exported and erased through one declaration per app.

Each app declares in its contract what it holds about a contact
(``core.plugins.PersonalData``: a section of the export and an eraser). The right of access
calls every declared exporter (:func:`export`: complete for staff, or without what staff
wrote for themselves in the person's own "download my data" file); the right to erasure
(``customers.services.erasure_decide`` once approved) calls every declared eraser inside one
transaction, so a failure in any app leaves nothing half-written. Because both read the same
declarations, an app cannot be exported and forgotten at erasure, or the other way round;
``tests/generic/test_personal_data.py`` walks every declaration.

Erasers do two things: they anonymise wholesale the records that are the person's (their
interactions, their tickets, their leads…) and mark them on the :class:`Subject`, and they
:func:`scrub` the identifiers (names, e-mails, phones) out of free text elsewhere (a note on
another record that names them). Erasers write with ``update``/``bulk_update``, which sends
no signal, so no new audit entry copies the old values; core's audit eraser runs last and
removes the values of the marked records' history and any identifier left in the log.

Stored files follow the same rule: one that is the person's is removed after commit
(:func:`delete_files_on_commit`); one that holds other people too (an import file, someone
else's raw e-mail that names them) is written again without them under a new name
(:func:`file_replace`), the old one removed after commit and the new one removed by
:func:`erase` if the erasure fails. A file that cannot be read or rewritten does not undo the
erasure: the eraser notes it (:meth:`Subject.not_reached`, logged) and the rest goes on.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import models, transaction
from django.db.models import Q, QuerySet, TextField
from django.db.models.functions import Cast

from vinculo.core import plugins

logger = logging.getLogger(__name__)

#: What an identifier or an erased value becomes.
MARK = "***"
#: Needles shorter than this would strike common words; a name is longer.
MIN_NEEDLE = 4


@dataclass
class Subject:
    """The person being exported or erased, with the identifiers read *before* any eraser ran
    (the contact is blanked by its own app). ``erased`` collects, per model label, the ids of
    the records anonymised (wholly, or some fields), for the audit eraser; ``written`` the
    files an eraser stored (removed again if the erasure fails); ``unreached`` what could not
    be erased (a file that cannot be read), as :meth:`not_reached` noted it."""

    organization_id: int
    contact: Any  # customers.Contact
    names: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()
    phones: tuple[str, ...] = ()
    erased: list[tuple[str, set[int], frozenset[str] | None]] = field(default_factory=list)
    written: list[str] = field(default_factory=list)
    unreached: list[str] = field(default_factory=list)

    @property
    def needles(self) -> tuple[str, ...]:
        """Every identifier worth searching free text for, longest first (so a full name is
        replaced before a shorter form of it)."""
        seen: dict[str, str] = {}
        for value in (*self.names, *self.emails, *self.phones):
            value = (value or "").strip()
            if len(value) >= MIN_NEEDLE:
                seen.setdefault(value.lower(), value)
        return tuple(sorted(seen.values(), key=len, reverse=True))

    def mark(self, model: type[models.Model], ids: Iterable[int],
             fields: Iterable[str] | None = None) -> None:
        """Records anonymised wholesale (``fields`` None) or whose named fields were blanked:
        their audit history loses those values."""
        self.erased.append((model._meta.label_lower, set(ids),
                            frozenset(fields) if fields is not None else None))

    def not_reached(self, what: str, error: BaseException | str) -> None:
        """Something that still may hold the person and could not be erased (``what`` names it,
        never the person): logged as a warning for the administrators, kept in ``unreached``."""
        logger.warning("erasure of contact %s: %s not reached: %s", self.contact.pk, what, error)
        self.unreached.append(what)


def declarations() -> list[plugins.PersonalData]:
    """Every app's declaration, in export order (core's audit last)."""
    return sorted(plugins.collect("personal_data"), key=lambda d: (d.order, d.key))


def export(subject: Subject, *, customer_facing: bool = False) -> dict[str, Any]:
    """Every section of the personal data file: ``{key: what the app holds}``.

    The complete export (the default) holds everything, internal notes included: staff
    answering a formal request of access. ``customer_facing`` is the person's own
    self-service download (the portal's "download my data"): each section as its
    declaration's ``customer_export`` gives it, leaving out what staff wrote for themselves
    — internal notes of interactions and tickets, tasks, comments and files on their record,
    notes of documents, amounts of opportunities, costs and margins — and keeping the
    person's own data and what was sent to them or received from them."""
    result: dict[str, Any] = {}
    for declaration in declarations():
        path = declaration.export
        if customer_facing and declaration.customer_export is not None:
            path = declaration.customer_export
        if path:
            result[declaration.key] = plain(plugins.resolve(path)(subject))
    return result


@transaction.atomic
def erase(subject: Subject) -> None:
    """Run every app's eraser in one transaction: all of it, or (on any error) nothing — the
    files the erasers wrote are removed again, so the rows keep pointing at the old ones."""
    try:
        for declaration in declarations():
            plugins.resolve(declaration.erase)(subject)
    except BaseException:
        with contextlib.suppress(Exception):  # the eraser's error is the one to report
            _delete_files(subject.written)
        raise


def nothing(subject: Subject) -> None:
    """The eraser of a section another eraser of the same app already covers."""


# ---- helpers for the apps' exporters and erasers ----------------------------------------------


def plain(value: Any) -> Any:
    """A JSON-ready copy: dates in ISO 8601, decimals as strings, lazy texts as text."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [plain(v) for v in value]
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def rows(queryset: QuerySet, *fields: str) -> list[dict[str, Any]]:
    """The named fields of each row (what an exporter usually answers)."""
    return [plain(row) for row in queryset.values(*fields)]


def redact(value: Any, needles: Iterable[str]) -> Any:
    """``value`` with every identifier replaced by :data:`MARK` (case-insensitive), walking
    into lists and dicts (JSON columns: values and keys)."""
    needles = tuple(needles)
    if not needles:
        return value
    if isinstance(value, str):
        pattern = re.compile("|".join(re.escape(n) for n in needles), re.IGNORECASE)
        return pattern.sub(MARK, value)
    if isinstance(value, list):
        return [redact(v, needles) for v in value]
    if isinstance(value, dict):
        return {redact(k, needles): redact(v, needles) for k, v in value.items()}
    return value


def only_identifiers(value: str, needles: Iterable[str]) -> bool:
    """Whether ``value`` is an identifier and nothing else but spaces and punctuation (a cell
    holding their e-mail, their phone as ``'+34…``, their name): the record it belongs to is
    theirs, where a text that merely mentions them has words of its own around the
    :data:`MARK`."""
    redacted = redact(value, needles)
    return redacted != value and not any(ch.isalnum() for ch in redacted.replace(MARK, ""))


def _variants(needle: str, is_json: bool) -> set[str]:
    found = {needle}
    if is_json:  # SQLite keeps JSON with non-ASCII escaped ("Mu\u00f1oz")
        found.add(json.dumps(needle)[1:-1])
    return found


def mentioning(queryset: QuerySet, fields: Iterable[str], subject: Subject) -> QuerySet:
    """The rows whose named text (or JSON) columns contain any of the subject's identifiers."""
    needles = subject.needles
    if not needles:
        return queryset.none()
    condition = Q()
    annotations: dict[str, Any] = {}
    for name in fields:
        column = queryset.model._meta.get_field(name)
        lookup = name
        is_json = isinstance(column, models.JSONField)
        if is_json:
            lookup = f"_privacy_{name}"
            annotations[lookup] = Cast(name, TextField())
        for needle in needles:
            for variant in _variants(needle, is_json):
                condition |= Q(**{f"{lookup}__icontains": variant})
    return queryset.annotate(**annotations).filter(condition)


def scrub(queryset: QuerySet, fields: Iterable[str], subject: Subject) -> int:
    """Replace the subject's identifiers in the named columns of every row mentioning them;
    answers how many rows changed. No signal (so no audit entry copying the old text)."""
    fields = tuple(fields)
    needles = subject.needles
    found = list(mentioning(queryset, fields, subject).only("pk", *fields))
    for row in found:
        for name in fields:
            setattr(row, name, redact(getattr(row, name), needles))
    if found:
        queryset.model._base_manager.bulk_update(found, fields, batch_size=500)
    return len(found)


def scrub_org(subject: Subject, model: type[models.Model], *fields: str) -> int:
    """:func:`scrub` over every row of ``model`` in the subject's organisation."""
    return scrub(model._base_manager.filter(organization_id=subject.organization_id), fields,
                 subject)


def _delete_files(names: Iterable[str]) -> None:
    from django.core.files.storage import default_storage

    for name in names:
        if name and default_storage.exists(name):
            default_storage.delete(name)


def delete_files_on_commit(names: Iterable[str]) -> None:
    """Remove stored files once the erasure committed (a rollback keeps them: nothing
    half-done). A file already gone is no error."""
    names = [n for n in names if n]
    if names:
        transaction.on_commit(lambda: _delete_files(names))


def stored_bytes(name: str) -> bytes | None:
    """The content of a stored file, or None when there is none (nothing left to erase).
    A file that exists but cannot be read raises (``OSError`` or the backend's own error)."""
    from django.core.files.storage import default_storage

    if not name or not default_storage.exists(name):
        return None
    with default_storage.open(name, "rb") as handle:
        return handle.read()


def file_replace(subject: Subject, old: str, new: str, content: bytes) -> str:
    """Store ``content`` (a file rewritten without the person) as ``new`` and answer the name
    the storage gave it; ``old`` is removed once the erasure committed, and the new file by
    :func:`erase` if it fails. ``new`` must be a fresh name: a backend that overwrites (S3)
    would otherwise replace ``old`` before the commit."""
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    if new == old:
        raise ValueError("a rewritten file needs a name of its own")
    stored = default_storage.save(new, ContentFile(content))
    subject.written.append(stored)
    delete_files_on_commit([old])
    return stored


def document(doc: Any, *, notes: bool = True) -> dict[str, Any]:
    """A quote, order or invoice as the export shows it: number, status, date, amounts, and
    (unless ``notes`` is False: the customer-facing export) staff's notes on it."""
    date = getattr(doc, "issue_date", None) or getattr(doc, "ordered_on", None) or doc.created_at
    row = {"number": doc.number, "status": doc.get_status_display(), "date": date,
           "total": doc.total_amount, "currency": doc.currency}
    if notes:
        row["notes"] = doc.notes
    return plain(row)


# ---- core's own declaration: the audit log and the e-mails sent to the person ----------------


def _audit_entries(subject: Subject) -> QuerySet:
    from vinculo.core.models import AuditEntry

    return AuditEntry.all_objects.filter(organization_id=subject.organization_id)


def export_history(subject: Subject) -> list[dict[str, Any]]:
    """The change history of the contact's own record (their fields' past values)."""
    label = subject.contact._meta.label_lower
    return [{"date": e["timestamp"], "action": e["action"], "changes": e["changes"]}
            for e in _audit_entries(subject).filter(object_type=label,
                                                    object_id=subject.contact.pk)
            .order_by("timestamp", "id").values("timestamp", "action", "changes")]


def erase_history(subject: Subject) -> None:
    """Runs last. The history of every record anonymised wholesale loses its values (the
    entries stay: who changed what field, when); the identifiers go from the rest."""
    from vinculo.core.models import AuditEntry

    entries = _audit_entries(subject)
    for label, ids, fields in subject.erased:
        if not ids:
            continue
        found = list(entries.filter(object_type=label, object_id__in=ids)
                     .only("pk", "changes", "object_repr"))
        for entry in found:
            changes = entry.changes if isinstance(entry.changes, dict) else {}
            entry.changes = {name: ([MARK, MARK] if fields is None or name in fields else value)
                             for name, value in changes.items()}
            if fields is None:
                entry.object_repr = MARK
        AuditEntry.all_objects.bulk_update(found, ["changes", "object_repr"], batch_size=500)
    scrub(entries, ("changes", "object_repr", "actor_label"), subject)


def _emails_to(subject: Subject) -> QuerySet:
    from vinculo.core.models import OutgoingEmail

    condition = Q()
    for email in subject.emails:
        if email:
            condition |= Q(to__iexact=email)
    if not condition:
        return OutgoingEmail.objects.none()
    # the organisation's own: a platform e-mail (no organisation) to the same address is not
    # this organisation's to show or blank
    return OutgoingEmail.objects.filter(condition, organization_id=subject.organization_id)


def export_emails(subject: Subject) -> list[dict[str, Any]]:
    """The e-mails the product sent them itself (a portal invitation)."""
    return rows(_emails_to(subject).order_by("created_at", "id"),
                "created_at", "to", "subject", "body")


def erase_emails(subject: Subject) -> None:
    """E-mails to them lose address, subject, body and files; mentions elsewhere go."""
    from vinculo.core.models import OutgoingEmail, OutgoingEmailAttachment

    theirs = _emails_to(subject)
    OutgoingEmailAttachment.objects.filter(email__in=theirs).delete()
    theirs.update(to="", subject=MARK, body="", html_body="", error="")
    scrub(OutgoingEmail.objects.filter(organization_id=subject.organization_id),
          ("subject", "body", "html_body"), subject)
