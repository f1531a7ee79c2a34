"""The core of every import: validate every row, find duplicates, then write in one transaction.

Writes go through the services (``contact_update``…) except new records of a large import, which
are bulk-created after the same cleaning (``RecordCleaner``) with their audit rows written by
``audit_bulk_created`` — the bulk path of the audit mechanism in ``vinculo.core.audit``.
``tests/customers/test_import_parity.py`` proves that both paths give the same rows and audit.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from vinculo.core.audit import audit_bulk_created
from vinculo.core.models import Tag, User
from vinculo.core.services import require
from vinculo.customers.imports.mapping import (
    COMPANY,
    TARGETS,
    Target,
    check_mapping,
    field_label,
)
from vinculo.customers.imports.rows import (
    ChoiceLookup,
    CompanyLinker,
    Matcher,
    Pending,
    RecordCleaner,
    Ref,
    row_data,
)
from vinculo.customers.imports.tables import MAX_CELL_CHARS, Table, open_table, split_cards
from vinculo.customers.models import (
    Account,
    AccountContact,
    Contact,
    DuplicateMode,
    ImportJob,
)
from vinculo.customers.services import contact_link_account

# Up to this many new records are created one by one through the services; more are bulk-created.
BULK_THRESHOLD = 200
BATCH_SIZE = 2000
PROGRESS_EVERY = 1000


# ---- the import -------------------------------------------------------------------------------


@dataclass
class ImportReport:
    unit: str = "line"
    total: int = 0
    created: int = 0
    updated: int = 0
    skipped: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    bad_lines: set[int] = field(default_factory=set)
    # Rows that duplicate an earlier row of the file or an existing record, by line.
    duplicates: list[dict[str, Any]] = field(default_factory=list)
    # Accounts the company column creates (contacts), by the first line naming each.
    new_accounts: list[dict[str, Any]] = field(default_factory=list)

    def add_duplicate(self, line: int, *, first: int | None = None, record: str = "",
                      skipped: bool) -> None:
        """Name the line a row duplicates ("line 14 duplicates line 3"), or the record."""
        entry = {"line": line, "duplicate_of_line": first, "duplicate_of_record": record or None,
                 "skipped": skipped}
        self.duplicates.append({**entry, "text": duplicate_text(entry, self.unit)})

    def add_error(self, line: int | None, exc: ValidationError | str, field_name: str = ""
                  ) -> None:
        if isinstance(exc, str):
            self.errors.append(_error(self.unit, line, field_name, exc))
        elif hasattr(exc, "error_dict"):
            for name, messages in exc.message_dict.items():
                for message in messages:
                    self.errors.append(_error(self.unit, line, name, message))
        else:
            for message in exc.messages:
                self.errors.append(_error(self.unit, line, field_name, message))
        if line is not None:
            self.bad_lines.add(line)


def duplicate_text(entry: dict[str, Any], unit: str = "line") -> str:
    """What a duplicate entry says, in the active language (the pages render it per reader)."""
    values = {"unit": _("card") if unit == "card" else _("line"), "line": entry["line"],
              "first": entry["duplicate_of_line"], "record": entry["duplicate_of_record"]}
    if entry["duplicate_of_line"] is not None:
        text = (_("%(unit)s %(line)d duplicates %(unit)s %(first)d: skipped") if entry["skipped"]
                else _("%(unit)s %(line)d duplicates %(unit)s %(first)d: merged into it"))
    else:
        text = (_("%(unit)s %(line)d duplicates the existing record “%(record)s”: skipped")
                if entry["skipped"] else
                _("%(unit)s %(line)d duplicates the existing record “%(record)s”: updated"))
    return text % values


def _error(unit: str, line: int | None, field_name: str, message: str) -> dict[str, Any]:
    if field_name == "__all__":
        field_name = ""
    where = f"{unit} {line}" if line is not None else ""
    text = ", ".join(part for part in (where, field_name) if part)
    return {"line": line, "field": field_name, "message": str(message),
            "text": f"{text}: {message}" if text else str(message)}


@dataclass
class _Update:
    line: int
    pk: int
    data: dict[str, Any]
    account: Ref | None = None


def iter_records(table: Table, mapping: dict[str, str]
                 ) -> Iterator[tuple[int, dict[str, str] | ValidationError]]:
    """(line, field -> text) per record; a card that cannot be read yields its error."""
    if table.kind == "vcard":
        from vinculo.customers.imports.vcard import card_values

        for number, card in enumerate(split_cards(table.text), start=1):
            try:
                yield number, card_values(card)
            except ValidationError as exc:
                yield number, exc
        return
    positions = [(table.headers.index(column), key) for column, key in mapping.items()
                 if key and column in table.headers]
    for line, values in table.rows():
        yield line, {key: values[i] if i < len(values) else "" for i, key in positions}


def _too_long(report: ImportReport, line: int, values: dict[str, str],
              columns: dict[str, str], target: str) -> bool:
    """Report every cell of the line longer than ``MAX_CELL_CHARS``, by its column."""
    found = False
    for key, text in values.items():
        if len(text) > MAX_CELL_CHARS:
            found = True
            column = columns.get(key) or field_label(target, key)
            report.add_error(line, _("The column “%(column)s” holds %(size)s KiB; a cell may "
                                     "hold at most %(limit)s KiB.")
                             % {"column": column, "size": number_format(len(text) // 1024,
                                                                       force_grouping=True),
                                "limit": MAX_CELL_CHARS // 1024}, key)
    return found


class _Rollback(Exception):
    pass


def run_import(job: ImportJob, *, actor: User, bulk_threshold: int | None = None
               ) -> ImportReport:
    """Validate every row, then (unless a dry run) write: the core of every import.

    Call inside ``organization_scope`` and ``acting_as``. Updates ``job`` as it goes. Up to
    ``bulk_threshold`` new records (default :data:`BULK_THRESHOLD`, read when called) are created
    through the services, more are bulk-created.
    """
    if bulk_threshold is None:
        bulk_threshold = BULK_THRESHOLD
    spec = TARGETS[job.target]
    require(actor, "customers.add")
    if job.duplicate_mode == DuplicateMode.UPDATE:
        require(actor, "customers.change")
    with job.file.open("rb") as handle:
        data = handle.read()
    table = open_table(data, name=job.original_name, encoding=job.encoding,
                       delimiter=job.delimiter)
    report = ImportReport(unit=table.unit)
    mapping = job.mapping if table.kind != "vcard" else {}
    if table.kind != "vcard":
        mapping = check_mapping(job.target, table.headers, job.mapping, actor.organization_id)
    choices = ChoiceLookup(spec.model)
    cleaner = RecordCleaner(job.target, actor)
    matcher = Matcher(job.target) if job.duplicate_mode != DuplicateMode.CREATE else None
    companies = CompanyLinker(actor) if COMPANY in mapping.values() else None
    creates: list[Pending] = []
    updates: list[_Update] = []
    existing_matches: list[tuple[int, int, bool]] = []  # (line, pk, skipped), named at the end
    processed = 0
    columns = {key: column for column, key in mapping.items() if key}

    for line, values in iter_records(table, mapping):
        processed += 1
        if processed % PROGRESS_EVERY == 0:
            ImportJob.all_objects.filter(pk=job.pk).update(processed_rows=processed)
        if isinstance(values, ValidationError):
            report.add_error(line, values)
            continue
        if _too_long(report, line, values, columns, job.target):
            continue
        try:
            row = row_data(job.target, values, choices)
        except ValidationError as exc:
            report.add_error(line, exc)
            continue
        if not any(row.get(key) for key in spec.required_any):
            labels = ", ".join(field_label(job.target, key) for key in spec.required_any)
            report.add_error(line, _("The row needs a value in one of: %(fields)s.")
                             % {"fields": labels}, spec.required_any[0])
            continue
        company = row.pop(COMPANY, "")
        try:
            instance = cleaner.clean(row)
        except ValidationError as exc:
            report.add_error(line, exc)
            continue
        found = matcher.find(instance) if matcher is not None else None
        if found is not None and job.duplicate_mode == DuplicateMode.SKIP:
            report.skipped += 1
            if found[0] == "existing":
                existing_matches.append((line, found[1], True))
            else:
                report.add_duplicate(line, first=creates[found[1]].line, skipped=True)
            continue
        account: Ref | None = None
        if company and companies is not None:
            try:
                account = companies.resolve(line, company)
            except ValidationError as exc:
                report.add_error(line, exc)
                continue
        if found is None:
            creates.append(Pending(line, row, instance, account))
            if matcher is not None:
                matcher.remember(instance, ("new", len(creates) - 1))
            report.created += 1
        elif found[0] == "existing":
            updates.append(_Update(line, found[1], row, account))
            existing_matches.append((line, found[1], False))
            report.updated += 1
        else:
            # Same record twice in the file: the later row updates the earlier, as it would if
            # the rows were imported one after the other.
            pending = creates[found[1]]
            merged = {**pending.data, **row}
            try:
                pending.instance = cleaner.clean(merged)
            except ValidationError as exc:
                report.add_error(line, exc)
                continue
            pending.data = merged
            pending.account = account or pending.account
            matcher.remember(pending.instance, found)
            report.add_duplicate(line, first=pending.line, skipped=False)
            report.updated += 1

    report.total = processed
    _name_existing(report, spec, existing_matches)
    if companies is not None:
        report.new_accounts = [{"line": p.line, "name": p.instance.name}
                               for p in companies.creates]
    ImportJob.all_objects.filter(pk=job.pk).update(processed_rows=processed, total_rows=processed)
    if job.dry_run:
        return report
    if job.all_or_nothing and report.errors:
        report.created = report.updated = report.skipped = 0
        report.new_accounts = []
        return report

    write_errors = ImportReport(unit=report.unit)
    try:
        with transaction.atomic():
            if companies is not None:
                _write(TARGETS["account"], actor, companies.creates, [], write_errors,
                       bulk_threshold)
            _write(spec, actor, creates, updates, write_errors, bulk_threshold)
            if companies is not None:
                _link_accounts(actor, companies.creates, creates, updates, write_errors,
                               bulk_threshold)
            if write_errors.errors and job.all_or_nothing:
                raise _Rollback
    except _Rollback:
        report.errors.extend(write_errors.errors)
        report.created = report.updated = report.skipped = 0
        report.new_accounts = []
        return report
    report.errors.extend(write_errors.errors)
    failed_creates = sum(1 for p in creates if p.line in write_errors.bad_lines)
    failed_updates = sum(1 for u in updates if u.line in write_errors.bad_lines)
    if companies is not None:
        written = {p.line for p in companies.creates if p.instance.pk}
        report.new_accounts = [a for a in report.new_accounts if a["line"] in written]
    report.created -= failed_creates
    report.updated -= failed_updates
    return report


def _write(spec: Target, actor: User, creates: list[Pending], updates: list[_Update],
           errors: ImportReport, bulk_threshold: int) -> None:
    """Create and update; a created record is left on its ``Pending.instance`` (with a pk)."""
    if len(creates) <= bulk_threshold:
        for pending in creates:
            try:
                pending.instance = spec.create(actor=actor, data=pending.data)
            except ValidationError as exc:
                errors.add_error(pending.line, exc)
    else:
        _bulk_create(spec, actor, creates)
    if updates:
        existing = spec.model.objects.in_bulk([u.pk for u in updates])
        for update in updates:
            try:
                record = existing[update.pk]
                spec.update(actor=actor, data=update.data, expected_version=None,
                            **{spec.instance_kwarg: record})
            except ValidationError as exc:
                errors.add_error(update.line, exc)


def _bulk_create(spec: Target, actor: User, creates: list[Pending]) -> None:
    """New records in batches, with their tags and the audit rows the signals would write."""
    require(actor, "customers.add")
    tag_names = sorted({n.strip()[:60] for p in creates for n in p.data.get("tags") or []
                        if n.strip()})
    tags: dict[str, Tag] = {}
    if tag_names:
        tags = {t.name: t for t in Tag.all_objects.filter(
            organization_id=actor.organization_id, name__in=tag_names)}
        for name in tag_names:
            if name not in tags:
                tags[name] = Tag.all_objects.create(organization_id=actor.organization_id,
                                                    name=name)
    through = spec.model.tags.through
    source_column = f"{spec.model._meta.model_name}_id"
    for start in range(0, len(creates), BATCH_SIZE):
        batch = creates[start:start + BATCH_SIZE]
        instances = spec.model.objects.bulk_create([p.instance for p in batch])
        links, added = [], {}
        for pending, instance in zip(batch, instances, strict=True):
            names = list(dict.fromkeys(n.strip()[:60] for n in pending.data.get("tags") or []
                                       if n.strip()))
            if names:
                links.extend(through(**{source_column: instance.pk, "tag_id": tags[n].pk},
                                     organization_id=actor.organization_id)
                             for n in names)
                added[instance.pk] = {"tags": {"added": sorted(names)}}
        through.objects.bulk_create(links)
        audit_bulk_created(instances, m2m_added=added)


def _name_existing(report: ImportReport, spec: Target, matches: list[tuple[int, int, bool]]
                   ) -> None:
    """Name the existing record each matching row duplicates (one query for all of them)."""
    if not matches:
        return
    records = spec.model.objects.in_bulk({pk for _line, pk, _skipped in matches})
    for line, pk, skipped in matches:
        report.add_duplicate(line, record=str(records[pk]) if pk in records else "",
                             skipped=skipped)
    report.duplicates.sort(key=lambda d: d["line"])


def _link_accounts(actor: User, accounts: list[Pending], creates: list[Pending],
                   updates: list[_Update], errors: ImportReport, bulk_threshold: int) -> None:
    """Link each written contact to the account its company column named."""

    def account_pk(ref: Ref | None) -> int | None:
        if ref is None:
            return None
        return ref[1] if ref[0] == "existing" else accounts[ref[1]].instance.pk

    links = [(p.line, p.instance.pk, account_pk(p.account)) for p in creates]
    links += [(u.line, u.pk, account_pk(u.account)) for u in updates]
    links = [(line, contact, account) for line, contact, account in links
             if contact and account and line not in errors.bad_lines]
    if not links:
        return
    linked = set(AccountContact.objects.filter(
        contact_id__in=[c for _line, c, _a in links]).values_list("contact_id", "account_id"))
    links = [link for link in links if (link[1], link[2]) not in linked]
    if len(links) <= bulk_threshold:
        contacts = Contact.objects.in_bulk([c for _line, c, _a in links])
        account_rows = Account.objects.in_bulk([a for _line, _c, a in links])
        for line, contact, account in links:
            try:
                contact_link_account(actor=actor, contact=contacts[contact],
                                     account=account_rows[account])
            except ValidationError as exc:
                errors.add_error(line, exc)
        return
    rows = AccountContact.objects.bulk_create([
        AccountContact(organization_id=actor.organization_id, contact_id=contact,
                       account_id=account) for _line, contact, account in links])
    audit_bulk_created(rows)
