"""The organisation's own settings: name, country, currency, time zone, default language,
fiscal data printed on documents, and the logo.

``organization_update`` is the one write (pages and the API); the audit log records it by its
receivers like any business record, and ``organization.updated`` is published.
"""

from __future__ import annotations

import io
import zoneinfo
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from vinculo.core import events
from vinculo.core.countries import country_codes, currency_codes, normalize_tax_id
from vinculo.core.models import Organization, User
from vinculo.core.services import organization_of, refuse_unknown, require, versioned_save

ORGANIZATION_FIELDS = (
    "name", "legal_name", "country", "base_currency", "time_zone", "language", "tax_id",
    "street", "postal_code", "city", "region",
)
LOGO_MAX_BYTES = 1024 * 1024
LOGO_FORMATS = {"PNG": ".png", "JPEG": ".jpg"}


def logo_clean(upload: UploadedFile) -> UploadedFile:
    """Refuse a logo that is not a PNG or JPEG image of at most 1 MB (decoded by Pillow, so
    a renamed file or a truncated image is refused too), naming the ``logo`` field."""
    if upload.size is None or upload.size > LOGO_MAX_BYTES:
        raise ValidationError({"logo": _("The logo may be at most 1 MB.")})
    content = upload.read()
    upload.seek(0)
    try:
        with Image.open(io.BytesIO(content)) as image:
            kind = image.format
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise ValidationError({"logo": _("The logo must be a PNG or JPEG image.")}) from None
    if kind not in LOGO_FORMATS:
        raise ValidationError({"logo": _("The logo must be a PNG or JPEG image.")})
    upload.name = f"logo{LOGO_FORMATS[kind]}"
    return upload


def _clean(organization: Organization, data: dict[str, Any]) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    clean = {key: (value.strip() if isinstance(value, str) else value)
             for key, value in data.items()}
    if "name" in clean:
        if not clean["name"]:
            errors["name"] = [_("This field cannot be blank.")]
        elif Organization.objects.filter(name=clean["name"]).exclude(pk=organization.pk).exists():
            errors["name"] = [_("Another organisation already has this name.")]
    if "country" in clean:
        clean["country"] = (clean["country"] or "").upper()
        if clean["country"] not in country_codes():
            errors["country"] = [_("Choose a country by its two-letter ISO code.")]
    if "base_currency" in clean:
        clean["base_currency"] = (clean["base_currency"] or "").upper()
        if clean["base_currency"] not in currency_codes():
            errors["base_currency"] = [_("Choose a currency by its ISO 4217 code.")]
    if "time_zone" in clean and clean["time_zone"] not in zoneinfo.available_timezones():
        errors["time_zone"] = [_("Choose a time zone by its name, such as Europe/Madrid.")]
    if "language" in clean and clean["language"] not in dict(settings.LANGUAGES):
        errors["language"] = [_("Choose one of the languages offered.")]
    if ("tax_id" in clean or "country" in clean) and "country" not in errors:
        try:
            clean["tax_id"] = normalize_tax_id(
                clean.get("tax_id", organization.tax_id),
                country=clean.get("country", organization.country))
        except ValidationError as exc:
            errors.update(exc.message_dict)
    for key, value in clean.items():
        if value is None:
            clean[key] = ""
        limit = getattr(Organization._meta.get_field(key), "max_length", None)
        if limit and len(clean[key]) > limit:
            errors[key] = [_("At most %(n)d characters.") % {"n": limit}]
    if errors:
        raise ValidationError(errors)
    return clean


@transaction.atomic
def organization_update(*, actor: User, data: dict[str, Any], expected_version: int | None,
                        logo: UploadedFile | None = None,
                        remove_logo: bool = False) -> Organization:
    """Change the actor's organisation's settings (administrators only). ``data`` holds any of
    ``ORGANIZATION_FIELDS``; a new ``logo`` replaces the old one, ``remove_logo`` drops it.
    A stale ``expected_version`` is a conflict; every bad field is named at once."""
    require(actor, "core.manage_organization")
    refuse_unknown(data, ORGANIZATION_FIELDS)
    organization = Organization.objects.select_for_update().get(pk=organization_of(actor).pk)
    clean = _clean(organization, data)
    if logo is not None:
        logo_clean(logo)
    changed = [key for key, value in clean.items() if getattr(organization, key) != value]
    for key in changed:
        setattr(organization, key, clean[key])
    old_logo = organization.logo.name if organization.logo else ""
    if logo is not None:
        organization.logo.save(logo.name or "logo.png", logo, save=False)
        changed.append("logo")
    elif remove_logo and old_logo:
        organization.logo = ""
        changed.append("logo")
    organization = versioned_save(organization, expected_version=expected_version,  # type: ignore[type-var]
                                  fields=changed)
    if "logo" in changed and old_logo:
        storage = organization.logo.storage
        transaction.on_commit(lambda: storage.delete(old_logo))
    if changed:
        events.publish("organization.updated", record=organization, actor=actor,
                       data={"fields": sorted(changed)})
    return organization
