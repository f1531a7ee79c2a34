"""A report's result as CSV or XLSX: the column labels, group values as the page reads them,
numbers as numbers in the workbook (so a spreadsheet can add them up), text never a formula.
A money column that adds up several currencies says so in its heading (the PDF, in
``reports/pdf.py``, says it in a sentence above the figures)."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from vinculo.customers.imports.exporting import csv_lines, safe_cell
from vinculo.reports import present
from vinculo.reports.query import Result

FORMATS = ("csv", "xlsx", "pdf")
CONTENT_TYPES = {"csv": "text/csv", "pdf": "application/pdf",
                 "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def _values(result: Result) -> Iterator[list[Any]]:
    for row in result.rows:
        values: list[Any] = []
        for column, value in zip(result.columns, row, strict=True):
            if present.numeric(column) and value is not None:
                values.append(value)
            elif column.kind == "group":
                values.append(safe_cell(present.label(result, column, value)))
            else:
                values.append(safe_cell(value))
        yield values


def csv_text(result: Result) -> Iterator[str]:
    headers = [result.header(c) for c in result.columns]
    return csv_lines(headers, ([str(v) for v in row] for row in _values(result)))


def xlsx_file(result: Result, *, title: str) -> Any:
    """A temporary file with the workbook: text cells are text, numbers are numbers."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title="".join(c for c in title if c not in "[]:*?/\\")[:31]
                                  or "Informe")
    sheet.append([result.header(c) for c in result.columns])
    for row in _values(result):
        cells = []
        for value in row:
            if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
                cells.append(WriteOnlyCell(sheet, value=value))
            else:
                cell = WriteOnlyCell(sheet, value=str(value))
                cell.data_type = "s"
                cells.append(cell)
        sheet.append(cells)
    handle = tempfile.TemporaryFile()  # noqa: SIM115 — FileResponse closes it
    workbook.save(handle)
    handle.seek(0)
    return handle
