"""Import of accounts, contacts and leads from CSV, XLSX and vCard files.

Two halves:

* reading (no database): detect the file type, the text encoding (UTF-8 with or without BOM,
  else Windows-1252/Latin-1) and the delimiter; suggest a column mapping from the headers in
  English or Spanish; turn each line into the data a service takes;
* the import service: validate every row with the same normalisation as
  ``customers.services``, find duplicates (normalised e-mail, then phone for contacts and leads;
  tax id, e-mail, then a close name for accounts — the rules of ``selectors.contact_match`` and
  ``selectors.account_match``, applied to the organisation's records preloaded into dicts, which
  also catches duplicates inside the file), then write in one transaction.

Writes go through the services (``contact_update``…) except new records of a large import, which
are bulk-created after the same cleaning (``RecordCleaner``) with their audit rows written by
``audit_bulk_created`` — the bulk path of the audit mechanism in ``vinculo.core.audit``.
``tests/customers/test_import_parity.py`` proves that both paths give the same rows and audit.

Line numbers are the ones the user sees: the header is line 1 of a CSV or a sheet; a vCard file
is numbered by card.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import models, transaction
from django.utils import timezone, translation
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from rapidfuzz import fuzz

from vinculo.core.audit import audit_bulk_created
from vinculo.core.models import CustomField, Tag, User
from vinculo.customers import normalize, selectors, services
from vinculo.customers.models import (
    Account,
    Contact,
    DuplicateMode,
    ImportJob,
    ImportStatus,
    Lead,
)

logger = logging.getLogger(__name__)

# Imports up to this many rows run inside the request; larger ones in a background task.
INLINE_LIMIT = 2000
# Up to this many new records are created one by one through the services; more are bulk-created.
BULK_THRESHOLD = 200
BATCH_SIZE = 2000
PROGRESS_EVERY = 1000
MAX_FILE_BYTES = 50 * 1024 * 1024

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")

# ---- targets and their importable fields ------------------------------------------------------


def _key(text: str) -> str:
    """The form headers are compared in: folded, letters and digits only ('E-mail' -> 'email')."""
    return re.sub(r"[^a-z0-9]", "", normalize.fold(text))


_COMMON_ALIASES: dict[str, tuple[str, ...]] = {
    "first_name": ("first name", "firstname", "given name", "forename", "nombre",
                   "nombre de pila"),
    "last_name": ("last name", "lastname", "surname", "family name", "apellidos", "apellido"),
    "email": ("email", "e-mail", "mail", "email address", "e-mail address", "correo",
              "correo electronico", "email 1", "e-mail 1"),
    "other_emails": ("other emails", "otros correos", "email 2", "e-mail 2"),
    "phone": ("phone", "telephone", "phone number", "tel", "work phone", "business phone",
              "telefono", "telefono fijo", "tlf", "tfno"),
    "mobile": ("mobile", "mobile phone", "cell", "cell phone", "movil", "telefono movil",
               "celular"),
    "title": ("title", "job title", "position", "cargo", "puesto"),
    "preferred_language": ("language", "preferred language", "idioma", "idioma preferido"),
    "preferred_channel": ("preferred channel", "canal preferido"),
    "lifecycle_stage": ("stage", "lifecycle stage", "etapa", "fase"),
    "source": ("source", "source channel", "lead source", "origen", "fuente", "canal de origen"),
    "tags": ("tags", "labels", "etiquetas"),
    "tax_id": ("tax id", "tax number", "vat", "vat number", "nif", "cif", "nif/cif", "nif cif",
               "rfc", "cuit", "rut", "nit", "ruc", "identificacion fiscal"),
    "website": ("website", "web", "url", "web site", "sitio web", "pagina web"),
    "notes": ("notes", "note", "comments", "notas", "comentarios", "observaciones"),
    "status": ("status", "lead status", "estado"),
    "score": ("score", "lead score", "puntuacion"),
    "company_name": ("company", "company name", "organization", "organisation", "empresa",
                     "compania", "nombre de la empresa"),
    "is_person": ("private person", "is person", "person", "particular", "persona fisica"),
    "industry": ("industry", "sector", "industria"),
    "size": ("size", "company size", "employees", "tamano", "empleados"),
    "billing_street": ("street", "address", "billing address", "direccion", "calle", "domicilio"),
    "billing_city": ("city", "town", "ciudad", "poblacion", "localidad", "municipio"),
    "billing_postal_code": ("postal code", "zip", "zip code", "postcode", "codigo postal", "cp"),
    "billing_region": ("region", "state", "province", "county", "provincia", "comunidad"),
    "billing_country": ("country", "pais"),
    "shipping_street": ("shipping address", "direccion de envio"),
    "shipping_city": ("shipping town", "ciudad de envio"),
    "shipping_postal_code": ("shipping zip", "codigo postal de envio"),
    "shipping_region": ("shipping province", "provincia de envio"),
    "shipping_country": ("pais de envio",),
}
_ACCOUNT_NAME_ALIASES = ("name", "account", "account name", "company", "company name",
                         "organization", "organisation", "empresa", "nombre", "razon social",
                         "cuenta", "nombre de la empresa", "compania")


@dataclass(frozen=True)
class Target:
    key: str
    model: type[models.Model]
    fields: tuple[str, ...]
    create: Any
    update: Any
    instance_kwarg: str
    # At least one of these columns must be mapped, and filled in on each row.
    required_any: tuple[str, ...]


def _importable(fields: tuple[str, ...]) -> tuple[str, ...]:
    """What a file may set: the services' fields, less owner and team (the importer owns the
    rows) and custom fields (mapped per column), plus tags."""
    return (*(f for f in fields if f not in ("owner", "team", "custom_fields")), "tags")


TARGETS: dict[str, Target] = {
    "account": Target("account", Account, _importable(services.ACCOUNT_FIELDS),
                      services.account_create, services.account_update, "account", ("name",)),
    "contact": Target("contact", Contact, _importable(services.CONTACT_FIELDS),
                      services.contact_create, services.contact_update, "contact",
                      ("first_name", "last_name", "email")),
    "lead": Target("lead", Lead, _importable(services.LEAD_FIELDS),
                   services.lead_create, services.lead_update, "lead",
                   ("first_name", "last_name", "email", "company_name")),
}
CF_PREFIX = "custom_fields."


def field_label(target: str, key: str) -> str:
    if key.startswith(CF_PREFIX):
        return key[len(CF_PREFIX):]
    if key == "tags":
        return _("Tags")
    return capfirst(str(TARGETS[target].model._meta.get_field(key).verbose_name))


def field_choices(target: str, organization_id: int) -> list[tuple[str, str]]:
    """(key, label) of every field a column can be mapped to, custom fields included."""
    spec = TARGETS[target]
    choices = [(key, field_label(target, key)) for key in spec.fields]
    for cf in CustomField.all_objects.filter(organization_id=organization_id, model=target):
        choices.append((CF_PREFIX + cf.key, f"{cf.label} ({_('custom field')})"))
    return choices


def _aliases(target: str, organization_id: int | None) -> dict[str, str]:
    """Header form -> field key. The field's own key and its label in every language count."""
    spec = TARGETS[target]
    table: dict[str, str] = {}

    def add(alias: str, key: str) -> None:
        table.setdefault(_key(alias), key)

    for key in spec.fields:
        add(key, key)
        for language in ("en", "es"):
            with translation.override(language):
                add(field_label(target, key), key)
    if target == "account":
        for alias in _ACCOUNT_NAME_ALIASES:
            add(alias, "name")
    for key in spec.fields:
        for alias in _COMMON_ALIASES.get(key, ()):
            add(alias, key)
    if organization_id is not None:
        for cf in CustomField.all_objects.filter(organization_id=organization_id, model=target):
            add(cf.key, CF_PREFIX + cf.key)
            add(cf.label, CF_PREFIX + cf.key)
    return table


def suggest_mapping(target: str, headers: list[str], organization_id: int | None = None
                    ) -> dict[str, str]:
    """Header -> field key for the headers we recognise (each field used once); others -> ''."""
    aliases = _aliases(target, organization_id)
    used: set[str] = set()
    mapping: dict[str, str] = {}
    for header in headers:
        key = aliases.get(_key(header), "")
        if key in used or header in mapping:
            key = ""
        if key:
            used.add(key)
        mapping.setdefault(header, key)
    return mapping


def check_mapping(target: str, headers: list[str], mapping: dict[str, str],
                  organization_id: int) -> dict[str, str]:
    """Refuse a mapping that names unknown columns or fields, uses a field twice, or lacks the
    columns every row needs — before a single row is read."""
    if target not in TARGETS:
        raise ValidationError({"target": _("Choose accounts, contacts or leads.")})
    if not isinstance(mapping, dict):
        raise ValidationError({"mapping": _("The mapping must be an object of column: field.")})
    allowed = {key for key, _label in field_choices(target, organization_id)}
    errors: list[str] = []
    seen: dict[str, str] = {}
    clean: dict[str, str] = {}
    for column, key in mapping.items():
        key = (key or "").strip()
        if column not in headers:
            errors.append(_("The file has no column “%(column)s”.") % {"column": column})
            continue
        if not key:
            continue
        if key not in allowed:
            errors.append(_("Unknown field “%(field)s” for column “%(column)s”.")
                          % {"field": key, "column": column})
            continue
        if key in seen:
            errors.append(_("The field %(field)s is mapped from two columns: “%(a)s” and "
                            "“%(b)s”.") % {"field": key, "a": seen[key], "b": column})
            continue
        seen[key] = column
        clean[column] = key
    required = TARGETS[target].required_any
    if not errors and not set(required) & set(clean.values()):
        labels = ", ".join(field_label(target, key) for key in required)
        if len(required) == 1:
            errors.append(_("No column is mapped to %(fields)s, which every row needs.")
                          % {"fields": labels})
        else:
            errors.append(_("Map at least one of these columns: %(fields)s.") % {"fields": labels})
    if errors:
        raise ValidationError({"mapping": errors})
    return clean


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
            return len(_split_cards(self.text))
        return sum(1 for _row in self.rows())


def _file_error(message: str) -> ValidationError:
    return ValidationError({"file": [message]})


def decode_text(data: bytes) -> tuple[str, str]:
    """UTF-8 (with or without BOM), else Windows-1252 (a superset of Latin-1's printable set)."""
    if b"\x00" in data[:65536]:
        raise _file_error(_("This file is not text: it looks like a binary file. Upload a CSV "
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
    raise _file_error(_("The file's characters could not be read: it is neither UTF-8 nor "
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


def _unquote(value: str) -> str:
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
        raise _file_error(_("This file is not a readable XLSX workbook.")) from None


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
            raise _file_error(_("The workbook has no sheet."))
        first = next(workbook.worksheets[0].iter_rows(values_only=True, max_row=1), None)
    finally:
        workbook.close()
    headers = [_cell_text(v).strip() for v in (first or [])]
    while headers and not headers[-1]:
        headers.pop()
    return headers


def _split_cards(text: str) -> list[str]:
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
        raise _file_error(_("The file is empty."))
    if len(data) > MAX_FILE_BYTES:
        raise _file_error(_("The file is larger than %(size)d MB.")
                          % {"size": MAX_FILE_BYTES // (1024 * 1024)})
    lowered = name.lower()
    if data[:4] == b"PK\x03\x04":
        headers = _xlsx_headers(data)
        table = Table("xlsx", headers, data=data)
    elif data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise _file_error(_("This is an old Excel (.xls) file. Save it as .xlsx or CSV."))
    elif data[:5] == b"%PDF-":
        raise _file_error(_("This is a PDF. Upload a CSV, XLSX or vCard (.vcf) file."))
    else:
        if lowered.endswith(".xlsx"):
            raise _file_error(_("This file is not a readable XLSX workbook."))
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
            raise _file_error(_("The file is not a readable CSV file.")) from None
        table = Table("csv", headers, encoding=encoding, delimiter=delimiter, text=text)
    if not any(table.headers):
        raise _file_error(_("The first line must hold the column names; it is empty."))
    return table


# ---- from a line of the file to the data a service takes --------------------------------------

_TRUE = {"1", "true", "yes", "y", "si", "s", "x", "on", "verdadero"}
_FALSE = {"0", "false", "no", "n", "off", "falso"}


class _Choices:
    """Value, or its label in English or Spanish, -> value."""

    def __init__(self, model: type[models.Model]) -> None:
        self.tables: dict[str, dict[str, str]] = {}
        for model_field in model._meta.concrete_fields:
            if not model_field.choices:
                continue
            table: dict[str, str] = {}
            for value, label in model_field.flatchoices:
                table[_key(str(value))] = value
                for language in ("en", "es"):
                    with translation.override(language):
                        table.setdefault(_key(str(label)), value)
            self.tables[model_field.name] = table

    def convert(self, key: str, value: str) -> str:
        table = self.tables.get(key)
        if table is None:
            return value
        return table.get(_key(value), value)  # unknown: the model says "not a valid choice"


def _split_list(value: str) -> list[str]:
    return [part.strip() for part in re.split(r"[,;|\n]", value) if part.strip()]


def row_data(target: str, values: dict[str, str], choices: _Choices) -> dict[str, Any]:
    """Typed service data from the text of one row; empty cells are left out (never erase)."""
    data: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    custom: dict[str, str] = {}
    for key, raw in values.items():
        value = _unquote(str(raw).strip())
        if not value:
            continue
        if key.startswith(CF_PREFIX):
            custom[key[len(CF_PREFIX):]] = value
        elif key in ("tags", "other_emails"):
            data[key] = _split_list(value)
        elif key == "is_person":
            folded = _key(value)
            if folded in _TRUE or folded in _FALSE:
                data[key] = folded in _TRUE
            else:
                errors[key] = [_("Enter yes or no.")]
        elif key == "score":
            try:
                data[key] = int(float(value.replace(",", ".")))
            except ValueError:
                errors[key] = [_("Enter a whole number.")]
        elif key in ("billing_country", "shipping_country"):
            data[key] = value.upper()
        else:
            data[key] = choices.convert(key, value)
    if custom:
        data["custom_fields"] = custom
    if errors:
        raise ValidationError(errors)
    return data


class RecordCleaner:
    """Validate and normalise one record's data without saving it, with ``record_clean``.

    The organisation's custom-field definitions are read once per import, not once per row.
    """

    def __init__(self, target: str, actor: User) -> None:
        self.spec = TARGETS[target]
        self.actor = actor
        self.definitions = {cf.key: cf for cf in CustomField.all_objects.filter(
            organization_id=actor.organization_id, model=target)}

    def clean(self, data: dict[str, Any]) -> models.Model:
        """A new, unsaved instance; ``ValidationError`` naming every bad field otherwise."""
        actor = self.actor
        instance = self.spec.model(organization_id=actor.organization_id, owner_id=actor.pk,
                                   team_id=actor.team_id)
        services.record_clean(instance, data, allowed=(*self.spec.fields, "custom_fields"),
                              model_key=self.spec.key,
                              actor=actor, partial=False,
                              custom_field_definitions=self.definitions)
        return instance


# ---- duplicates -------------------------------------------------------------------------------

Ref = tuple[str, int]  # ("existing", pk) or ("new", index of the pending record in this import)


class Matcher:
    """The organisation's records as dicts, to find the one a row duplicates in O(1).

    Contacts: e-mail, then phone or mobile (``selectors.contact_match``). Leads: e-mail, then
    phone. Accounts: tax id, e-mail, then a name at least ``NAME_SIMILARITY_THRESHOLD`` similar
    among those starting with the same four letters (``selectors.account_match``). Records this
    import adds are remembered too, so a file's own duplicates are found.
    """

    def __init__(self, target: str) -> None:
        self.target = target
        self.by_email: dict[str, Ref] = {}
        self.by_phone: dict[str, Ref] = {}
        self.by_tax_id: dict[str, Ref] = {}
        self.by_name: dict[str, Ref] = {}
        self.name_prefix: dict[str, list[tuple[str, Ref]]] = {}
        model = TARGETS[target].model
        rows = model.objects.order_by("id")
        if target == "contact":
            for pk, email, phone, mobile in rows.values_list("id", "email", "phone", "mobile"):
                self._remember(("existing", pk), email=email, phones=(phone, mobile))
        elif target == "lead":
            for pk, email, phone in rows.values_list("id", "email", "phone"):
                self._remember(("existing", pk), email=email, phones=(phone,))
        else:
            for pk, email, tax_id, name in rows.values_list("id", "email", "tax_id", "name"):
                self._remember(("existing", pk), email=email, tax_id=tax_id, name=name)

    def _remember(self, ref: Ref, *, email: str = "", phones: Iterable[str] = (),
                  tax_id: str = "", name: str = "") -> None:
        if email:
            self.by_email.setdefault(email, ref)
        for phone in phones:
            if phone:
                self.by_phone.setdefault(phone, ref)
        if tax_id:
            self.by_tax_id.setdefault(tax_id, ref)
        folded = normalize.fold(name)
        if len(folded) >= 3 and folded not in self.by_name:
            self.by_name[folded] = ref
            self.name_prefix.setdefault(folded[:4], []).append((folded, ref))

    def remember(self, instance: Any, ref: Ref) -> None:
        if self.target == "account":
            self._remember(ref, email=instance.email, tax_id=instance.tax_id, name=instance.name)
        else:
            phones = (instance.phone, getattr(instance, "mobile", ""))
            self._remember(ref, email=instance.email, phones=phones)

    def find(self, instance: Any) -> Ref | None:
        if self.target == "account":
            for found in (self.by_tax_id.get(instance.tax_id) if instance.tax_id else None,
                          self.by_email.get(instance.email) if instance.email else None):
                if found:
                    return found
            folded = normalize.fold(instance.name)
            if len(folded) < 3:
                return None
            if folded in self.by_name:
                return self.by_name[folded]
            best: tuple[float, Ref] | None = None
            for candidate, ref in self.name_prefix.get(folded[:4], [])[:200]:
                score = fuzz.token_sort_ratio(folded, candidate)
                if score >= selectors.NAME_SIMILARITY_THRESHOLD and (
                        best is None or score > best[0]):
                    best = (score, ref)
            return best[1] if best else None
        if instance.email and instance.email in self.by_email:
            return self.by_email[instance.email]
        for phone in (instance.phone, getattr(instance, "mobile", "")):
            if phone and phone in self.by_phone:
                return self.by_phone[phone]
        return None


# ---- the import -------------------------------------------------------------------------------


@dataclass
class _Pending:
    line: int
    data: dict[str, Any]
    instance: Any


@dataclass
class ImportReport:
    unit: str = "line"
    total: int = 0
    created: int = 0
    updated: int = 0
    skipped: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    bad_lines: set[int] = field(default_factory=set)

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


def _error(unit: str, line: int | None, field_name: str, message: str) -> dict[str, Any]:
    if field_name == "__all__":
        field_name = ""
    where = f"{unit} {line}" if line is not None else ""
    text = ", ".join(part for part in (where, field_name) if part)
    return {"line": line, "field": field_name, "message": str(message),
            "text": f"{text}: {message}" if text else str(message)}


def iter_records(table: Table, mapping: dict[str, str]
                 ) -> Iterator[tuple[int, dict[str, str] | ValidationError]]:
    """(line, field -> text) per record; a card that cannot be read yields its error."""
    if table.kind == "vcard":
        from vinculo.customers.vcard import card_values

        for number, card in enumerate(_split_cards(table.text), start=1):
            try:
                yield number, card_values(card)
            except ValidationError as exc:
                yield number, exc
        return
    positions = [(table.headers.index(column), key) for column, key in mapping.items()
                 if key and column in table.headers]
    for line, values in table.rows():
        yield line, {key: values[i] if i < len(values) else "" for i, key in positions}


class _Rollback(Exception):
    pass


def run_import(job: ImportJob, *, actor: User, bulk_threshold: int = BULK_THRESHOLD
               ) -> ImportReport:
    """Validate every row, then (unless a dry run) write: the core of every import.

    Call inside ``organization_scope`` and ``acting_as``. Updates ``job`` as it goes.
    """
    spec = TARGETS[job.target]
    services.require(actor, "customers.add")
    if job.duplicate_mode == DuplicateMode.UPDATE:
        services.require(actor, "customers.change")
    with job.file.open("rb") as handle:
        data = handle.read()
    table = open_table(data, name=job.original_name, encoding=job.encoding,
                       delimiter=job.delimiter)
    report = ImportReport(unit=table.unit)
    mapping = job.mapping if table.kind != "vcard" else {}
    if table.kind != "vcard":
        mapping = check_mapping(job.target, table.headers, job.mapping, actor.organization_id)
    choices = _Choices(spec.model)
    cleaner = RecordCleaner(job.target, actor)
    matcher = Matcher(job.target) if job.duplicate_mode != DuplicateMode.CREATE else None
    creates: list[_Pending] = []
    updates: list[tuple[int, int, dict[str, Any]]] = []
    processed = 0

    for line, values in iter_records(table, mapping):
        processed += 1
        if processed % PROGRESS_EVERY == 0:
            ImportJob.all_objects.filter(pk=job.pk).update(processed_rows=processed)
        if isinstance(values, ValidationError):
            report.add_error(line, values)
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
        try:
            instance = cleaner.clean(row)
        except ValidationError as exc:
            report.add_error(line, exc)
            continue
        found = matcher.find(instance) if matcher is not None else None
        if found is None:
            creates.append(_Pending(line, row, instance))
            if matcher is not None:
                matcher.remember(instance, ("new", len(creates) - 1))
            report.created += 1
        elif job.duplicate_mode == DuplicateMode.SKIP:
            report.skipped += 1
        elif found[0] == "existing":
            updates.append((line, found[1], row))
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
            matcher.remember(pending.instance, found)
            report.updated += 1

    report.total = processed
    ImportJob.all_objects.filter(pk=job.pk).update(processed_rows=processed, total_rows=processed)
    if job.dry_run:
        return report
    if job.all_or_nothing and report.errors:
        report.created = report.updated = report.skipped = 0
        return report

    write_errors = ImportReport(unit=report.unit)
    try:
        with transaction.atomic():
            _write(spec, actor, creates, updates, write_errors, bulk_threshold)
            if write_errors.errors and job.all_or_nothing:
                raise _Rollback
    except _Rollback:
        report.errors.extend(write_errors.errors)
        report.created = report.updated = report.skipped = 0
        return report
    report.errors.extend(write_errors.errors)
    failed_creates = sum(1 for p in creates if p.line in write_errors.bad_lines)
    failed_updates = sum(1 for u in updates if u[0] in write_errors.bad_lines)
    report.created -= failed_creates
    report.updated -= failed_updates
    return report


def _write(spec: Target, actor: User, creates: list[_Pending],
           updates: list[tuple[int, int, dict[str, Any]]], errors: ImportReport,
           bulk_threshold: int) -> None:
    if len(creates) <= bulk_threshold:
        for pending in creates:
            try:
                spec.create(actor=actor, data=pending.data)
            except ValidationError as exc:
                errors.add_error(pending.line, exc)
    else:
        _bulk_create(spec, actor, creates)
    if updates:
        existing = spec.model.objects.in_bulk([pk for _line, pk, _data in updates])
        for line, pk, data in updates:
            try:
                record = existing[pk]
                spec.update(actor=actor, data=data, expected_version=None,
                            **{spec.instance_kwarg: record})
            except ValidationError as exc:
                errors.add_error(line, exc)


def _bulk_create(spec: Target, actor: User, creates: list[_Pending]) -> None:
    """New records in batches, with their tags and the audit rows the signals would write."""
    services.require(actor, "customers.add")
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
                links.extend(through(**{source_column: instance.pk, "tag_id": tags[n].pk})
                             for n in names)
                added[instance.pk] = {"tags": {"added": sorted(names)}}
        through.objects.bulk_create(links)
        audit_bulk_created(instances, m2m_added=added)


# ---- the import job: services the pages, the API and the task call ----------------------------


def import_job_create(*, actor: User, target: str, file: Any, mapping: dict | None = None,
                      duplicate_mode: str = DuplicateMode.SKIP, all_or_nothing: bool = False,
                      dry_run: bool = True, require_columns: bool = True) -> ImportJob:
    """Store an uploaded file as an import: its type, encoding, delimiter and column mapping
    are checked now, so a bad file or a missing column is refused before any row is read.

    ``require_columns=False`` (the pages) keeps a suggested mapping that lacks a required
    column: the user completes it on the next page, which checks it again.
    """
    services.require(actor, "customers.import")
    if target not in TARGETS:
        raise ValidationError({"target": _("Choose accounts, contacts or leads.")})
    if duplicate_mode not in DuplicateMode.values:
        raise ValidationError({"duplicate_mode": _("Choose skip, update or create.")})
    name = getattr(file, "name", "") or "import"
    data = file.read()
    table = open_table(data, name=name)
    if table.kind == "vcard":
        if target != "contact":
            raise _file_error(_("A vCard file can only be imported into contacts."))
        mapping = {}
    else:
        if len(set(table.headers)) != len(table.headers):
            dupes = sorted({h for h in table.headers if table.headers.count(h) > 1})
            raise _file_error(_("Two columns have the same name: %(names)s.")
                              % {"names": ", ".join(dupes)})
        suggested = mapping is None
        if mapping is None:
            mapping = suggest_mapping(target, table.headers, actor.organization_id)
        try:
            mapping = check_mapping(target, table.headers, mapping, actor.organization_id)
        except ValidationError:
            if require_columns or not suggested:
                raise
    total = table.count()
    if total == 0:
        raise _file_error(_("The file has no data rows below its header."))
    job = ImportJob(organization_id=actor.organization_id, user=actor, target=target,
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
        mapping = check_mapping(job.target, headers, mapping, actor.organization_id)
    job.mapping = mapping
    job.duplicate_mode = duplicate_mode
    job.all_or_nothing = all_or_nothing
    job.save(update_fields=["mapping", "duplicate_mode", "all_or_nothing", "updated_at"])
    return job


def _check_startable(actor: User, job: ImportJob) -> None:
    services.require(actor, "customers.import")
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
        job.finished_at = None
        job.save()
        if job.total_rows > INLINE_LIMIT:
            from vinculo.customers.tasks import import_run

            job_id = job.pk
            transaction.on_commit(lambda: import_run.enqueue(job_id))
            return job
    import_job_execute(job, actor=actor)
    job.refresh_from_db()
    return job


def import_job_execute(job: ImportJob, *, actor: User) -> ImportJob:
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
        skipped_count=report.skipped, errors=report.errors, finished_at=timezone.now(),
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
