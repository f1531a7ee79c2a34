"""Import targets, their importable fields, and the column mapping suggested from the headers.

Headers are recognised in English and Spanish, folded (``fold_key``) so that 'E-mail',
'email' and 'Correo electrónico' compare as the user means them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import translation
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from vinculo.core.models import CustomField
from vinculo.customers import normalize, services
from vinculo.customers.models import (
    Account,
    Contact,
    Lead,
)

# ---- targets and their importable fields ------------------------------------------------------


def fold_key(text: str) -> str:
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
    "country": ("country of registration", "tax country", "pais de registro", "pais fiscal"),
    "shipping_street": ("shipping address", "direccion de envio"),
    "shipping_city": ("shipping town", "ciudad de envio"),
    "shipping_postal_code": ("shipping zip", "codigo postal de envio"),
    "shipping_region": ("shipping province", "provincia de envio"),
    "shipping_country": ("pais de envio",),
}
_ACCOUNT_NAME_ALIASES = ("name", "account", "account name", "company", "company name",
                         "organization", "organisation", "empresa", "nombre", "razon social",
                         "cuenta", "nombre de la empresa", "compania")


# A contact's company: not a field of the contact but its account, found by name or tax id (or
# created from the name), which the contact is linked to (``rows.CompanyLinker``).
COMPANY = "company"
_COMPANY_ALIASES = ("company", "company name", "account", "account name", "organization",
                    "organisation", "employer", "empresa", "compania", "nombre de la empresa",
                    "razon social", "cuenta", "organizacion")


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
    rows), custom fields (mapped per column) and the active flag (deactivating is not an
    import's business), plus tags."""
    return (*(f for f in fields if f not in ("owner", "team", "custom_fields", "active")),
            "tags")


TARGETS: dict[str, Target] = {
    "account": Target("account", Account, _importable(services.ACCOUNT_FIELDS),
                      services.account_create, services.account_update, "account", ("name",)),
    "contact": Target("contact", Contact, (*_importable(services.CONTACT_FIELDS), COMPANY),
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
    if key == COMPANY:
        return _("Company (account name or tax id)")
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
        table.setdefault(fold_key(alias), key)

    for key in spec.fields:
        if key == "country":  # "Country" / "País" stays the billing country (which it defaults)
            continue
        add(key, key)
        for language in ("en", "es"):
            with translation.override(language):
                add(field_label(target, key), key)
    if target == "account":
        for alias in _ACCOUNT_NAME_ALIASES:
            add(alias, "name")
    if COMPANY in spec.fields:
        for alias in _COMPANY_ALIASES:
            add(alias, COMPANY)
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
        key = aliases.get(fold_key(header), "")
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
