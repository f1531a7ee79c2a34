"""CSV reading shared by the analyst command's modes (``vinculo analytics``).

The transactions mode streams its three columns itself (``commands/analytics.py``, tuned for a
million customers); the covariate columns and the contracts file are read here. Every mode
accepts the same files: UTF-8 or Latin-1, ``,`` ``;`` tab or ``|`` separated, column names
matched without regard to case, dates in one of :data:`DATE_FORMATS` for a whole column. Bad
input raises :class:`InputError` naming the option, the column or the line.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
import re
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from django.core.management.base import CommandError

DATE_FORMATS = ("%Y-%m-%d", "%Y%m%d", "%Y/%m/%d", "%d/%m/%Y", "%m/%d/%Y", "%d.%m.%Y",
                "%d-%m-%Y", "%d/%m/%y", "%m/%d/%y")
#: Bad lines reported before giving up (the user fixes them in one go, not one per run).
MAX_ERRORS = 10


class InputError(CommandError):
    """Bad input: the message names the option, the column or the line; nothing is written."""


def sniff_delimiter(text: str) -> str:
    header = text.split("\n", 1)[0]
    counts = {d: header.count(d) for d in (",", ";", "\t", "|")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def parse_amount(value: str, decimal_comma: bool) -> float:
    """``1234.5``, ``1,234.50``, ``1.234,50``, ``1234,5``, ``€ 12``, ``(12.00)``."""
    s = value.strip()
    try:
        return float(s)
    except ValueError:
        pass
    negative = s.startswith("(") and s.endswith(")")
    s = re.sub(r"[^\d,.\-+eE]", "", s.strip("()"))
    if "," in s and "." in s:
        if s.rfind(",") > s.rfind("."):
            s = s.replace(".", "").replace(",", ".")
        else:
            s = s.replace(",", "")
    elif "," in s:
        s = s.replace(",", ".") if (decimal_comma or s.count(",") == 1) else s.replace(",", "")
    number = float(s)  # ValueError propagates to the caller, who names the line
    if not math.isfinite(number):
        raise ValueError(value)
    return -number if negative else number


def _date_part(value: str) -> str:
    v = value.strip()
    if re.match(r"^\d{4}-\d{2}-\d{2}[T ]", v):
        return v[:10]
    return v.split(" ", 1)[0]


def parse_dates(values: list[str], lines: list[int], column: str) -> np.ndarray:
    """Dates in one format for the whole column, chosen as the first that fits every value."""
    unique = sorted(set(values))
    parts = {u: _date_part(u) for u in unique}
    for fmt in DATE_FORMATS:
        parsed: dict[str, np.datetime64] = {}
        try:
            for u, part in parts.items():
                parsed[u] = np.datetime64(dt.datetime.strptime(part, fmt).date(), "D")
        except ValueError:
            continue
        return np.array([parsed[v] for v in values], dtype="datetime64[D]")
    # No single format fits: name the first line whose date fits none.
    for value, line in zip(values, lines, strict=True):
        if not any(_fits(parts[value], f) for f in DATE_FORMATS):
            raise InputError(f"line {line}: {value!r} in column {column!r} is not a date "
                             "(use YYYY-MM-DD, YYYYMMDD, DD/MM/YYYY or DD.MM.YYYY)")
    raise InputError(f"column {column!r} mixes date formats (e.g. DD/MM/YYYY and YYYY-MM-DD); "
                     "use one format for the whole file")


def _fits(value: str, fmt: str) -> bool:
    try:
        dt.datetime.strptime(value, fmt)
    except ValueError:
        return False
    return True


def file_encoding(path: Path) -> str:
    """``utf-8-sig`` if the whole file decodes as UTF-8, else ``latin-1`` (which always does)."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            while handle.read(1 << 20):
                pass
    except UnicodeDecodeError:
        return "latin-1"
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}") from None
    return "utf-8-sig"


def scan_columns(path: Path, columns: Sequence[tuple[str, str]],
                 visit: Callable[[int, list[str]], str | None]) -> list[str]:
    """Call ``visit(line, values)`` with the named columns' values of every non-blank row.

    ``columns`` are (option, column name) pairs; a name not in the header is an error naming
    the option and listing the file's columns. ``visit`` returns an error message for a bad
    row (or None); up to :data:`MAX_ERRORS` are collected and raised together. Returns the
    columns' names as the header spells them.
    """
    encoding = file_encoding(path)
    with path.open(encoding=encoding, newline="") as handle:
        first = handle.readline()
        if not first.strip():
            raise InputError(f"{path} is empty")
        delimiter = sniff_delimiter(first)
        header = [h.strip() for h in next(csv.reader([first], delimiter=delimiter))]
        lowered = [h.lower() for h in header]
        index = []
        for option, name in columns:
            if name.strip().lower() not in lowered:
                raise InputError(f"column {name!r} ({option}) is not in the file; its columns "
                                 "are: " + ", ".join(repr(h) for h in header))
            index.append(lowered.index(name.strip().lower()))
        width = max(index) + 1
        errors: list[str] = []
        reader = csv.reader(handle, delimiter=delimiter)
        for row in reader:
            line = reader.line_num + 1  # the header was read before the reader started
            if not row or not any(cell.strip() for cell in row):
                continue
            if len(row) < width:
                errors.append(f"line {line}: {len(row)} fields, expected at least {width}")
            else:
                error = visit(line, [row[i].strip() for i in index])
                if error:
                    errors.append(error)
            if len(errors) >= MAX_ERRORS:
                break
    if errors:
        raise InputError("bad input, nothing computed:\n  " + "\n  ".join(errors))
    return [header[i] for i in index]
