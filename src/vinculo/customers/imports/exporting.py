"""Export of account, contact and lead lists as CSV (streamed) and XLSX (write-only).

Rows are read with ``iterator(chunk_size=2000)`` and written as they come, so a million rows
never sit in memory. Every cell is text made safe against spreadsheet formula injection
(OWASP "CSV injection"): text starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return gets a leading single quote. That includes phones, which are stored in E.164 form and so
start with "+": they export as ``'+34600123456`` — a spreadsheet shows them as text, which is
what a phone number is, and the import removes the quote again.

Column headers are the field labels in the user's language; the import recognises them (and the
field keys) in English and Spanish, so an export can be imported back.
"""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from vinculo.core.models import CustomField
from vinculo.customers.models import Account, Contact, Lead

CHUNK_SIZE = 2000
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> str:
    """The text of a cell, quoted when a spreadsheet would read it as a formula."""
    if value is None:
        text = ""
    elif isinstance(value, bool):
        text = "yes" if value else "no"
    elif isinstance(value, list | tuple):
        text = ", ".join(str(v) for v in value)
    elif hasattr(value, "isoformat"):
        text = value.isoformat()
    else:
        text = str(value)
    if text.startswith(FORMULA_TRIGGERS):
        return "'" + text
    return text


@dataclass(frozen=True)
class ExportSpec:
    model: type
    fields: tuple[str, ...]
    custom_field_model: str


SPECS: dict[str, ExportSpec] = {
    "account": ExportSpec(Account, (
        "name", "is_person", "tax_id", "industry", "size", "website", "email", "phone",
        "billing_street", "billing_city", "billing_postal_code", "billing_region",
        "billing_country", "shipping_street", "shipping_city", "shipping_postal_code",
        "shipping_region", "shipping_country", "lifecycle_stage", "source"), "account"),
    "contact": ExportSpec(Contact, (
        "first_name", "last_name", "email", "other_emails", "phone", "mobile", "title",
        "preferred_language", "preferred_channel", "lifecycle_stage", "source"), "contact"),
    "lead": ExportSpec(Lead, (
        "first_name", "last_name", "email", "phone", "title", "company_name", "tax_id",
        "website", "source", "status", "score", "notes"), "lead"),
}


class Exporter:
    """Headers and rows of one list; the queryset is already filtered and restricted."""

    def __init__(self, target: str, queryset: QuerySet, organization_id: int) -> None:
        self.spec = SPECS[target]
        self.queryset = queryset.select_related("owner").prefetch_related("tags")
        self.custom_fields = list(CustomField.all_objects.filter(
            organization_id=organization_id, model=self.spec.custom_field_model))

    def headers(self) -> list[str]:
        meta = self.spec.model._meta
        return [
            _("Id"),
            *(capfirst(str(meta.get_field(name).verbose_name)) for name in self.spec.fields),
            _("Tags"), _("Owner"),
            *(cf.label for cf in self.custom_fields),
            _("Created"),
        ]

    def rows(self) -> Iterator[list[str]]:
        for record in self.queryset.iterator(chunk_size=CHUNK_SIZE):
            values = [record.uuid, *(getattr(record, name) for name in self.spec.fields),
                      sorted(tag.name for tag in record.tags.all()),
                      record.owner.email if record.owner_id else "",
                      *((record.custom_fields or {}).get(cf.key) for cf in self.custom_fields),
                      record.created_at]
            yield [safe_cell(v) for v in values]


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_lines(headers: list[str], rows: Iterable[list[str]]) -> Iterator[str]:
    """The CSV text line by line: UTF-8 with a BOM so spreadsheets read the accents right."""
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow(headers)
    for row in rows:
        yield writer.writerow(row)


def xlsx_file(headers: list[str], rows: Iterable[list[str]], *, title: str) -> Any:
    """A temporary file holding the workbook (write-only mode: rows go straight to disk)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31] or "Export")
    sheet.append(headers)
    for row in rows:
        cells = []
        for value in row:
            cell = WriteOnlyCell(sheet, value=value)
            cell.data_type = "s"  # always text: never a formula, whatever the value
            cells.append(cell)
        sheet.append(cells)
    handle = tempfile.TemporaryFile()  # noqa: SIM115 — FileResponse closes it
    workbook.save(handle)
    handle.seek(0)
    return handle
