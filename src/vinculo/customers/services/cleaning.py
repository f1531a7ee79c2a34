"""What a caller may set on each record, and the one place where that input is normalised.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext as _

from vinculo.core.countries import country_codes
from vinculo.core.models import Tag, User
from vinculo.core.services import (
    custom_fields_clean,
)
from vinculo.customers import normalize
from vinculo.customers.models import (
    Account,
    Contact,
    Lead,
    OwnedModel,
)

# Fields a caller may set on each model (everything else is derived or system-owned).
ACCOUNT_FIELDS = (
    "name",
    "is_person",
    "is_supplier",
    "country",
    "tax_id",
    "industry",
    "size",
    "website",
    "email",
    "phone",
    "billing_street",
    "billing_city",
    "billing_postal_code",
    "billing_region",
    "billing_country",
    "shipping_street",
    "shipping_city",
    "shipping_postal_code",
    "shipping_region",
    "shipping_country",
    "lifecycle_stage",
    "source",
    "service_tier",
    "owner",
    "team",
    "custom_fields",
    "active",
)
CONTACT_FIELDS = (
    "first_name",
    "last_name",
    "email",
    "other_emails",
    "phone",
    "mobile",
    "title",
    "preferred_language",
    "preferred_channel",
    "lifecycle_stage",
    "source",
    "owner",
    "team",
    "custom_fields",
    "active",
)
LEAD_FIELDS = (
    "first_name",
    "last_name",
    "email",
    "phone",
    "title",
    "company_name",
    "country",
    "tax_id",
    "website",
    "source",
    "status",
    "score",
    "notes",
    "owner",
    "team",
    "custom_fields",
)



def _region(actor: User) -> str:
    return actor.organization.country if actor.organization is not None else "ES"


def normalize_country(value: str) -> str:
    """An ISO 3166 code, upper-cased; anything else is refused on the ``country`` field."""
    code = (value or "").strip().upper()
    if code not in country_codes():
        raise ValidationError({"country": _("Choose a country by its two-letter ISO code.")})
    return code


def _check_owner(actor: User, data: dict[str, Any]) -> None:
    owner = data.get("owner")
    if owner is not None and owner.organization_id != actor.organization_id:
        raise ValidationError({"owner": _("The owner must be a user of your organisation.")})
    team = data.get("team")
    if team is not None and team.organization_id != actor.organization_id:
        raise ValidationError({"team": _("The team must belong to your organisation.")})


CLEAN_EXCLUDE = ("organization", "owner", "team", "tags", "accounts", "merged_into",
                 "converted_account", "converted_contact")


def record_clean(
    instance: OwnedModel,
    data: dict[str, Any],
    *,
    allowed: Iterable[str],
    model_key: str,
    actor: User,
    partial: bool,
    custom_field_definitions: dict[str, Any] | None = None,
) -> list[str]:
    """Copy allowed keys onto ``instance`` in canonical form; return the changed field names.

    The one place where a customer record's input is normalised and validated: the services,
    the importer and the API all come through here. Every bad field is reported at once, in
    one ``ValidationError`` keyed by field name.
    """
    unknown = set(data) - set(allowed) - {"tags"}
    if unknown:
        raise ValidationError({name: _("This field cannot be set.") for name in sorted(unknown)})
    _check_owner(actor, data)
    region = _region(actor)
    clean = dict(data)
    clean.pop("tags", None)
    errors: dict[str, list[str]] = {}

    def attempt(key: str, function: Any, *args: Any, **kwargs: Any) -> None:
        try:
            clean[key] = function(*args, **kwargs)
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                errors.setdefault(name, []).extend(messages)
            clean.pop(key, None)

    if "email" in clean:
        attempt("email", normalize.normalize_email, clean["email"])
    for phone_field in ("phone", "mobile"):
        if phone_field in clean:
            attempt(phone_field, normalize.normalize_phone, clean[phone_field], region=region,
                    field=phone_field)
    if "other_emails" in clean:
        attempt("other_emails", lambda emails: [
            normalize.normalize_email(e, field="other_emails") for e in emails or []],
            clean["other_emails"])
    if "country" in clean or (not instance.pk and hasattr(instance, "country")):
        fallback = clean.get("billing_country") or getattr(instance, "billing_country", "")
        attempt("country", normalize_country, clean.get("country") or fallback or region)
        if (not instance.pk and hasattr(instance, "billing_country") and "country" in clean
                and not clean.get("billing_country") and not instance.billing_country):
            clean["billing_country"] = clean["country"]  # a company bills where it is
    if "tax_id" in clean or ("country" in clean and bool(getattr(instance, "tax_id", ""))):
        # the record's own country decides (a UK company's VAT number is not a Spanish NIF)
        country = clean.get("country") or getattr(instance, "country", "") or region
        if "country" not in errors:
            attempt("tax_id", normalize.normalize_tax_id,
                    clean.get("tax_id", getattr(instance, "tax_id", "")), country=country)
    if "custom_fields" in clean or not partial:
        merged = dict(getattr(instance, "custom_fields", {}) or {}) if partial else {}

        def merge_custom(values: dict[str, Any]) -> dict[str, Any]:
            merged.update(custom_fields_clean(
                organization_id=instance.organization_id, model=model_key, values=values,
                partial=partial, definitions=custom_field_definitions))
            return {k: v for k, v in merged.items() if v is not None}

        attempt("custom_fields", merge_custom, clean.get("custom_fields") or {})
    for key, value in clean.items():
        if key in ("owner", "team"):
            setattr(instance, f"{key}_id", value.pk if value is not None else None)
            continue
        field = instance._meta.get_field(key)
        if value is None and isinstance(field, models.CharField | models.TextField):
            value = ""
        setattr(instance, key, value)
    if isinstance(instance, Contact | Lead):  # the two with a derived name
        instance.full_name = normalize.full_name(instance.first_name, instance.last_name)
    instance.search_text = search_text_for(instance)
    try:
        instance.full_clean(exclude=[*CLEAN_EXCLUDE, *errors], validate_unique=False,
                            validate_constraints=False)
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            errors.setdefault(name, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    fields = list(clean)
    if isinstance(instance, Contact | Lead):
        fields.append("full_name")
    return [*dict.fromkeys([*fields, "search_text"])]


def search_text_for(instance: Any) -> str:
    """The folded search column of an account, contact or lead."""
    if isinstance(instance, Account):
        return normalize.search_text(
            instance.name, instance.email, instance.phone.lstrip("+"), instance.tax_id
        )
    if isinstance(instance, Contact):
        return normalize.search_text(
            instance.full_name,
            instance.email,
            instance.phone.lstrip("+"),
            instance.mobile.lstrip("+"),
        )
    return normalize.search_text(
        instance.full_name, instance.company_name, instance.email, instance.phone.lstrip("+")
    )


def set_tags(instance: Any, names: Iterable[str] | None) -> None:
    """Give the record exactly these tags (created as needed); ``None`` leaves them alone."""
    if names is None:
        return
    tags = []
    for name in dict.fromkeys(n.strip() for n in names if n and n.strip()):
        tag, _created = Tag.all_objects.get_or_create(
            organization_id=instance.organization_id, name=name[:60]
        )
        tags.append(tag)
    instance.tags.set(tags)
