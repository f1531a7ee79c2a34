"""A stored import file without one person, for the right to erasure (``customers/privacy.py``
calls :func:`file_without`; no database here).

An import file holds many people's rows, so it is rewritten rather than deleted. A row is the
person's when one of its cells *is* one of their identifiers — their e-mail, a phone in one of
its typed forms, their name (``core.privacy.only_identifiers``) — or when their name runs over
two cells (first name, last name): every cell of that row that holds something becomes
``***``. Another row that merely mentions them (a note "referred by …") keeps its text with
the identifier replaced by ``***`` (``core.privacy.redact``, the scrub of every other text).

Replaced, not removed: the row stays where it was, so every line (or card) number of the
import's report — its errors, its duplicates ("line 14 duplicates line 3"), the accounts it
created — the counts of rows and the preview of the mapping page still point at the same rows
of the file, and what the user downloads again is the file they uploaded with one person's
cells blanked. A row of ``***`` names no one, so running a pending preview again cannot bring
the person back.

The file keeps its header, its other rows and its format: a CSV its encoding (with the BOM if
it had one), delimiter, quoting and line endings — only the rows that change are written
again —; an XLSX is rewritten with openpyxl, holding the values the import reads (a formula
cell keeps the value it showed, as the import reads it); a vCard file keeps its other cards
as they were, and the person's card keeps its properties with ``***`` as every value.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

from vinculo.core.privacy import MARK, only_identifiers, redact
from vinculo.customers.imports.tables import _cell_text, _open_workbook, open_table

#: vCard properties that frame a card and hold no one's data.
_FRAME = {"BEGIN", "END", "VERSION"}


def file_without(data: bytes, *, name: str, encoding: str, delimiter: str,
                 needles: tuple[str, ...]) -> bytes | None:
    """The stored file ``data`` without the rows of the person the ``needles`` identify (see
    the module), or None when nothing in it names them. Raises ``ValidationError`` (the
    import's own "this file is not readable…") or the parser's error for a file that cannot be
    read: the caller reports it as not reached."""
    if not needles:
        return None
    table = open_table(data, name=name, encoding=encoding, delimiter=delimiter)
    if table.kind == "xlsx":
        return _xlsx(data, needles)
    text = (_csv(table.text, table.delimiter, needles) if table.kind == "csv"
            else _vcard(table.text, needles))
    if text is None:
        return None
    bom = table.encoding == "utf-8" and data.startswith(b"\xef\xbb\xbf")
    return text.encode("utf-8-sig" if bom else table.encoding)


def row_without(cells: list[str], needles: tuple[str, ...]) -> list[str] | None:
    """A row's cells without the person (``***`` in every filled cell of their own row, the
    identifiers replaced in another's), or None when the row does not name them."""
    joined = " ".join(cells)  # also finds a name split over two cells
    if redact(joined, needles) == joined:
        return None
    redacted = [redact(cell, needles) for cell in cells]
    rest = " ".join(redacted)
    if redact(rest, needles) != rest or any(only_identifiers(c, needles) for c in cells):
        return [MARK if cell.strip() else cell for cell in cells]
    return redacted


def _lines(text: str) -> list[str]:
    """Physical lines with their endings, split as the import's CSV reader splits them."""
    return io.StringIO(text, newline="").readlines()


def _ending(line: str) -> str:
    stripped = line.rstrip("\r\n")
    return line[len(stripped):]


def _csv(text: str, delimiter: str, needles: tuple[str, ...]) -> str | None:
    lines = _lines(text)
    reader = csv.reader(iter(lines), delimiter=delimiter)
    out: list[str] = []
    done = 0
    changed = False
    for index, cells in enumerate(reader):
        record = "".join(lines[done:reader.line_num])
        done = reader.line_num
        new = row_without(cells, needles) if index else None  # the header stays
        if new is None:
            out.append(record)
            continue
        buffer = io.StringIO()
        csv.writer(buffer, delimiter=delimiter, lineterminator=_ending(record)).writerow(new)
        out.append(buffer.getvalue())
        changed = True
    out.append("".join(lines[done:]))
    return "".join(out) if changed else None


def _sheet_rows(sheet: Any, first: bool) -> Iterator[tuple[Any, ...]]:
    """The rows of a sheet that hold data: all but the header of the first (the one the
    import reads), every row of the others."""
    return sheet.iter_rows(min_row=2 if first else 1)


def _xlsx(data: bytes, needles: tuple[str, ...]) -> bytes | None:
    from openpyxl import load_workbook

    scan = _open_workbook(data)  # read-only: most files do not name them, and may be large
    try:
        named = any(
            row_without([_cell_text(c.value) for c in row], needles) is not None
            for index, sheet in enumerate(scan.worksheets)
            for row in _sheet_rows(sheet, index == 0))
    finally:
        scan.close()
    if not named:
        return None
    workbook = load_workbook(io.BytesIO(data), data_only=True)
    for index, sheet in enumerate(workbook.worksheets):
        for row in _sheet_rows(sheet, index == 0):
            cells = [_cell_text(c.value) for c in row]
            new = row_without(cells, needles)
            if new is None:
                continue
            for cell, old, value in zip(row, cells, new, strict=True):
                if value != old:
                    cell.value = value
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _vcard(text: str, needles: tuple[str, ...]) -> str | None:
    out: list[str] = []
    card: list[str] | None = None
    changed = False
    for line in _lines(text):
        upper = line.strip().upper()
        if upper == "BEGIN:VCARD":
            card = [line]
        elif card is None:
            out.append(line)
        else:
            card.append(line)
            if upper == "END:VCARD":
                new = _card(card, needles)
                out.extend(card if new is None else new)
                changed = changed or new is not None
                card = None
    if card is not None:  # an unterminated last card
        new = _card(card, needles)
        out.extend(card if new is None else new)
        changed = changed or new is not None
    return "".join(out) if changed else None


def _card(lines: list[str], needles: tuple[str, ...]) -> list[str] | None:
    """One card's lines without the person (unfolded); None when it does not name them."""
    properties: list[list[str]] = []  # [name and parameters, ":" or "", value, line ending]
    for line in lines:
        content = line.rstrip("\r\n")
        if content[:1] in (" ", "\t") and properties:  # a folded line goes on the previous one
            properties[-1][2] += content[1:]
            properties[-1][3] = _ending(line)
            continue
        head, colon, value = content.partition(":")
        properties.append([head, colon, value, _ending(line)])
    data = [p for p in properties
            if p[1] and p[0].split(";", 1)[0].strip().upper() not in _FRAME]
    new = row_without([p[2] for p in data], needles)
    if new is None:
        return None
    for prop, value in zip(data, new, strict=True):
        prop[2] = value
    return ["".join(prop) for prop in properties]
