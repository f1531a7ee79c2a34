"""Import of accounts, contacts and leads from CSV, XLSX and vCard files: the job services.

The pages, the API and the task call the ``import_job_*`` services here. The work has two halves:

* reading (no database): detect the file type, the text encoding (UTF-8 with or without BOM,
  else Windows-1252/Latin-1) and the delimiter; suggest a column mapping from the headers in
  English or Spanish; turn each line into the data a service takes;
* the import service: validate every row with the same normalisation as
  ``customers.services``, find duplicates (normalised e-mail, then phone for contacts and leads;
  tax id, e-mail, then a close name for accounts — the rules of ``selectors.contact_match`` and
  ``selectors.account_match``, applied to the organisation's records preloaded into dicts, which
  also catches duplicates inside the file), then write in one transaction. Each duplicate is
  named by the line (or existing record) it duplicates (``ImportJob.duplicates``);
* a contact file's company column (an account's name or tax id) links each contact to its
  account, matched by the accounts' duplicate rule or created from the name
  (``rows.CompanyLinker``); a preview lists the accounts it would create
  (``ImportJob.new_accounts``).

Writes go through the services (``contact_update``…) except new records of a large import, which
are bulk-created after the same cleaning (``RecordCleaner``) with their audit rows written by
``audit_bulk_created`` — the bulk path of the audit mechanism in ``vinculo.core.audit``.
``tests/customers/test_import_parity.py`` proves that both paths give the same rows and audit.

Line numbers are the ones the user sees: the header is line 1 of a CSV or a sheet; a vCard file
is numbered by card.

The modules beside this one: ``mapping`` (targets and column mapping), ``tables`` (reading
files), ``rows`` (cleaning and duplicates), ``running`` (the import itself); ``exporting`` and
``vcard`` write files back.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from vinculo.core.models import User
from vinculo.core.services import org_id, require
from vinculo.customers.imports.mapping import TARGETS, check_mapping, field_choices, suggest_mapping
from vinculo.customers.imports.running import ImportReport, run_import
from vinculo.customers.imports.tables import file_error, open_table
from vinculo.customers.models import (
    DuplicateMode,
    ImportJob,
    ImportStatus,
)

logger = logging.getLogger(__name__)

# Imports up to this many rows run inside the request; larger ones in a background task.
INLINE_LIMIT = 2000

__all__ = [
    "INLINE_LIMIT",
    "TARGETS",
    "check_mapping",
    "field_choices",
    "import_job_configure",
    "import_job_create",
    "import_job_execute",
    "import_job_start",
    "parse_mapping",
    "suggest_mapping",
    "table_preview",
]


# ---- the import job: services the pages, the API and the task call ----------------------------


def import_job_create(*, actor: User, target: str, file: Any, mapping: dict | None = None,
                      duplicate_mode: str = DuplicateMode.SKIP, all_or_nothing: bool = False,
                      dry_run: bool = True, require_columns: bool = True) -> ImportJob:
    """Store an uploaded file as an import: its type, encoding, delimiter and column mapping
    are checked now, so a bad file or a missing column is refused before any row is read.

    ``require_columns=False`` (the pages) keeps a suggested mapping that lacks a required
    column: the user completes it on the next page, which checks it again.
    """
    require(actor, "customers.import")
    if target not in TARGETS:
        raise ValidationError({"target": _("Choose accounts, contacts or leads.")})
    if duplicate_mode not in DuplicateMode.values:
        raise ValidationError({"duplicate_mode": _("Choose skip, update or create.")})
    name = getattr(file, "name", "") or "import"
    data = file.read()
    table = open_table(data, name=name)
    if table.kind == "vcard":
        if target != "contact":
            raise file_error(_("A vCard file can only be imported into contacts."))
        mapping = {}
    else:
        if len(set(table.headers)) != len(table.headers):
            dupes = sorted({h for h in table.headers if table.headers.count(h) > 1})
            raise file_error(_("Two columns have the same name: %(names)s.")
                              % {"names": ", ".join(dupes)})
        suggested = mapping is None
        if mapping is None:
            mapping = suggest_mapping(target, table.headers, org_id(actor))
        try:
            mapping = check_mapping(target, table.headers, mapping, org_id(actor))
        except ValidationError:
            if require_columns or not suggested:
                raise
    total = table.count()
    if total == 0:
        raise file_error(_("The file has no data rows below its header."))
    job = ImportJob(organization_id=org_id(actor), user=actor, target=target,
                    original_name=name[:255], encoding=table.encoding,
                    delimiter=table.delimiter, mapping=mapping, duplicate_mode=duplicate_mode,
                    all_or_nothing=all_or_nothing, dry_run=dry_run, total_rows=total)
    job.file.save(name.rsplit("/", 1)[-1][:100] or "import", ContentFile(data), save=False)
    job.save()
    return job


def import_job_configure(*, actor: User, job: ImportJob, mapping: dict[str, str],
                         duplicate_mode: str, all_or_nothing: bool) -> ImportJob:
    """Change the mapping and options of an import that has not written anything yet."""
    _check_startable(actor, job)
    if duplicate_mode not in DuplicateMode.values:
        raise ValidationError({"duplicate_mode": _("Choose skip, update or create.")})
    if job.mapping or mapping:
        headers = table_preview(job)[0]
        mapping = check_mapping(job.target, headers, mapping, org_id(actor))
    job.mapping = mapping
    job.duplicate_mode = duplicate_mode
    job.all_or_nothing = all_or_nothing
    job.save(update_fields=["mapping", "duplicate_mode", "all_or_nothing", "updated_at"])
    return job


def _check_startable(actor: User, job: ImportJob) -> None:
    require(actor, "customers.import")
    if not job.dry_run or job.status == ImportStatus.RUNNING:
        raise ValidationError({"status": _("This import has already been run.")})


def import_job_start(*, actor: User, job: ImportJob, dry_run: bool) -> ImportJob:
    """Preview (``dry_run``) or run an import: inline when small, else as a background task
    enqueued once the transaction commits. A job is run for real at most once."""
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job.pk)
        _check_startable(actor, job)
        job.dry_run = dry_run
        job.status = ImportStatus.PENDING
        job.processed_rows = job.created_count = job.updated_count = job.skipped_count = 0
        job.errors = []
        job.duplicates = []
        job.new_accounts = []
        job.finished_at = None
        job.save()
        if job.total_rows > INLINE_LIMIT:
            from vinculo.customers.tasks import import_run

            job_id = job.pk
            transaction.on_commit(lambda: import_run.enqueue(job_id))
            return job
    import_job_execute(job=job, actor=actor)
    job.refresh_from_db()
    return job


def import_job_execute(*, job: ImportJob, actor: User) -> ImportJob:
    """Run a job now and store its outcome (the task calls this; so do small imports)."""
    ImportJob.all_objects.filter(pk=job.pk).update(status=ImportStatus.RUNNING,
                                                   processed_rows=0)
    try:
        report = run_import(job, actor=actor)
    except ValidationError as exc:
        report = ImportReport()
        report.add_error(None, exc)
        status = ImportStatus.FAILED
    except Exception:
        logger.exception("Import %s failed", job.uuid)
        report = ImportReport()
        report.add_error(None, _("The import stopped on an unexpected error; nothing was "
                                 "saved. The administrators can find it in the server log."))
        status = ImportStatus.FAILED
    else:
        status = ImportStatus.DONE
    ImportJob.all_objects.filter(pk=job.pk).update(
        status=status, created_count=report.created, updated_count=report.updated,
        skipped_count=report.skipped, errors=report.errors, duplicates=report.duplicates,
        new_accounts=report.new_accounts, finished_at=timezone.now(),
        **({"processed_rows": report.total, "total_rows": report.total}
           if status == ImportStatus.DONE else {}),
    )
    job.refresh_from_db()
    return job


def table_preview(job: ImportJob, *, rows: int = 5) -> tuple[list[str], list[list[str]]]:
    """Headers and the first rows of a job's file, for the mapping page."""
    with job.file.open("rb") as handle:
        table = open_table(handle.read(), name=job.original_name, encoding=job.encoding,
                           delimiter=job.delimiter)
    if table.kind == "vcard":
        return [], []
    sample = []
    for _line, values in table.rows():
        sample.append(values[:len(table.headers)])
        if len(sample) >= rows:
            break
    return table.headers, sample


def parse_mapping(value: Any) -> dict[str, str] | None:
    """The mapping as sent by the API: a JSON object, a JSON string, or nothing."""
    if value in (None, ""):
        return None
    if isinstance(value, dict):
        return {str(k): str(v or "") for k, v in value.items()}
    try:
        parsed = json.loads(value)
    except (TypeError, ValueError):
        raise ValidationError({"mapping": _("The mapping must be a JSON object.")}) from None
    if not isinstance(parsed, dict):
        raise ValidationError({"mapping": _("The mapping must be a JSON object.")})
    return {str(k): str(v or "") for k, v in parsed.items()}
