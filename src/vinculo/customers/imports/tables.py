"""Reading an uploaded file (no database): CSV, XLSX or vCard, its encoding and delimiter.

Line numbers are the ones the user sees: the header is line 1 of a CSV or a sheet; a vCard file
is numbered by card.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

MAX_FILE_BYTES = 50 * 1024 * 1024
# The most one cell may hold: the csv module's own default limit (128 KiB), checked per line by
# the import (``running``) so that a longer cell is an error naming its line and column.
MAX_CELL_CHARS = 128 * 1024

# The csv module's limit is process-wide and, when hit, stops the reader in the middle of the
# file (a 500 on upload). Files are capped at MAX_FILE_BYTES, so no field can be longer than
# that: lifting the module's limit to it lets every line be read and the import check
# MAX_CELL_CHARS itself, per line.
csv.field_size_limit(max(csv.field_size_limit(), MAX_FILE_BYTES))

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


# ---- reading files ----------------------------------------------------------------------------


@dataclass
class Table:
    """A file opened for import: headers, and its records numbered as the user sees them."""

    kind: str  # "csv", "xlsx" or "vcard"
    headers: list[str]
    encoding: str = ""
    delimiter: str = ""
    text: str = ""
    data: bytes = b""

    @property
    def unit(self) -> str:
        return "card" if self.kind == "vcard" else "line"

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        """(line, values) of every non-blank data row (CSV and XLSX)."""
        if self.kind == "csv":
            return _csv_rows(self.text, self.delimiter)
        if self.kind == "xlsx":
            return _xlsx_rows(self.data)
        raise ValueError(self.kind)

    def count(self) -> int:
        if self.kind == "vcard":
            return len(split_cards(self.text))
        return sum(1 for _row in self.rows())


def file_error(message: str) -> ValidationError:
    return ValidationError({"file": [message]})


def decode_text(data: bytes) -> tuple[str, str]:
    """UTF-8 (with or without BOM), else Windows-1252 (a superset of Latin-1's printable set)."""
    if b"\x00" in data[:65536]:
        raise file_error(_("This file is not text: it looks like a binary file. Upload a CSV "
                            "(UTF-8 or Latin-1), an XLSX workbook or a vCard (.vcf) file."))
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        sample = text[:65536]
        controls = sum(1 for ch in sample if unicodedata.category(ch) == "Cc"
                       and ch not in "\t\r\n")
        if controls > max(3, len(sample) // 200):
            break
        return text, ("utf-8" if encoding == "utf-8-sig" else encoding)
    raise file_error(_("The file's characters could not be read: it is neither UTF-8 nor "
                        "Latin-1/Windows-1252 text. Save it again as “CSV UTF-8” and retry."))


def sniff_delimiter(text: str) -> str:
    sample = "\n".join(text[:65536].splitlines()[:50])
    try:
        delimiter = csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        delimiter = ""
    first = text.split("\n", 1)[0]
    if not delimiter or first.count(delimiter) == 0:
        counts = {d: first.count(d) for d in (";", ",", "\t", "|")}
        delimiter = max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","
    return delimiter


def unquote(value: str) -> str:
    """Undo the formula-injection quote of our own exports: "'=x" -> "=x", "'+34…" -> "+34…"."""
    if len(value) > 1 and value[0] == "'" and value[1] in FORMULA_TRIGGERS:
        return value[1:]
    return value


def _csv_rows(text: str, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    next(reader, None)
    line = reader.line_num
    for values in reader:
        start, line = line + 1, reader.line_num
        if any(v.strip() for v in values):
            yield start, values


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _open_workbook(data: bytes) -> Any:
    from openpyxl import load_workbook

    try:
        # Cached values, never formulas: a formula cell imports as the value Excel showed.
        return load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds of errors for a broken file
        raise file_error(_("This file is not a readable XLSX workbook.")) from None


def _xlsx_rows(data: bytes) -> Iterator[tuple[int, list[str]]]:
    workbook = _open_workbook(data)
    try:
        sheet = workbook.worksheets[0]
        for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
            if number == 1:
                continue
            values = [_cell_text(v) for v in row]
            if any(v.strip() for v in values):
                yield number, values
    finally:
        workbook.close()


def _xlsx_headers(data: bytes) -> list[str]:
    workbook = _open_workbook(data)
    try:
        if not workbook.worksheets:
            raise file_error(_("The workbook has no sheet."))
        first = next(workbook.worksheets[0].iter_rows(values_only=True, max_row=1), None)
    finally:
        workbook.close()
    headers = [_cell_text(v).strip() for v in (first or [])]
    while headers and not headers[-1]:
        headers.pop()
    return headers


def split_cards(text: str) -> list[str]:
    cards, current = [], None
    for line in text.splitlines():
        upper = line.strip().upper()
        if upper == "BEGIN:VCARD":
            current = [line]
        elif current is not None:
            current.append(line)
            if upper == "END:VCARD":
                cards.append("\r\n".join(current) + "\r\n")
                current = None
    if current is not None:  # unterminated last card: still a card, which will fail to parse
        cards.append("\r\n".join(current) + "\r\n")
    return cards


def open_table(data: bytes, *, name: str = "", encoding: str = "", delimiter: str = "") -> Table:
    """Open an uploaded file, or raise ``ValidationError({'file': …})`` saying what is wrong."""
    if not data or not data.strip():
        raise file_error(_("The file is empty."))
    if len(data) > MAX_FILE_BYTES:
        raise file_error(_("The file is larger than %(size)d MB.")
                          % {"size": MAX_FILE_BYTES // (1024 * 1024)})
    lowered = name.lower()
    if data[:4] == b"PK\x03\x04":
        headers = _xlsx_headers(data)
        table = Table("xlsx", headers, data=data)
    elif data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise file_error(_("This is an old Excel (.xls) file. Save it as .xlsx or CSV."))
    elif data[:5] == b"%PDF-":
        raise file_error(_("This is a PDF. Upload a CSV, XLSX or vCard (.vcf) file."))
    else:
        if lowered.endswith(".xlsx"):
            raise file_error(_("This file is not a readable XLSX workbook."))
        if encoding:
            try:
                text = data.decode("utf-8-sig" if encoding == "utf-8" else encoding)
            except (UnicodeDecodeError, LookupError):
                text, encoding = decode_text(data)
        else:
            text, encoding = decode_text(data)
        if text.lstrip()[:11].upper() == "BEGIN:VCARD" or lowered.endswith(".vcf"):
            return Table("vcard", [], encoding=encoding, text=text)
        delimiter = delimiter or sniff_delimiter(text)
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        try:
            headers = [h.strip() for h in next(reader, [])]
        except csv.Error:
            raise file_error(_("The file is not a readable CSV file.")) from None
        table = Table("csv", headers, encoding=encoding, delimiter=delimiter, text=text)
    if not any(table.headers):
        raise file_error(_("The first line must hold the column names; it is empty."))
    return table
