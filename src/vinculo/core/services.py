"""Core business rules: organisations, users, tokens, custom fields, versioned updates."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from vinculo.core.limits import SHORT_TEXT_MAX_LENGTH
from vinculo.core.models import (
    ApiToken,
    CustomField,
    CustomFieldType,
    Organization,
    SavedView,
    Team,
    TenantModel,
    User,
)
from vinculo.core.roles import Role, role_has, scope_allows

TenantModelT = TypeVar("TenantModelT", bound=TenantModel)


class ConflictError(Exception):
    """Someone else changed the record since the caller read it."""

    def __init__(self, current_version: int) -> None:
        super().__init__(f"The record was changed by someone else (now version {current_version}).")
        self.current_version = current_version


class PermissionDeniedError(Exception):
    """The actor's role does not allow this action."""


def require(actor: User, permission: str) -> None:
    """Refuse unless ``actor``'s role holds ``permission``: the check every service starts with."""
    if not role_has(actor.role, permission) or not scope_allows(actor.email or "", permission):
        raise PermissionDeniedError(_("Your role does not allow this action."))


def organization_of(actor: User) -> Organization:
    """The organisation a service acts in. Every staff user has one; a user without one (the
    platform's superuser) acts on no organisation's data and is refused."""
    if actor.organization is None:
        raise PermissionDeniedError(_("Your user belongs to no organisation."))
    return actor.organization


def org_id(actor: User) -> int:
    """The id of :func:`organization_of` the actor, without reading the organisation."""
    if actor.organization_id is None:
        raise PermissionDeniedError(_("Your user belongs to no organisation."))
    return actor.organization_id


def same_org(organization_id: int, **records: Any) -> None:
    """Refuse a reference to another organisation's record, as if it did not exist."""
    for name, record in records.items():
        if record is not None and record.organization_id != organization_id:
            raise ValidationError({name: _("Not found.")})


def refuse_unknown(data: dict[str, Any], allowed: Iterable[str]) -> None:
    """Refuse, field by field, keys a service does not take."""
    unknown = set(data) - set(allowed)
    if unknown:
        raise ValidationError({name: _("This field cannot be set.") for name in sorted(unknown)})


def organization_create(
    *, name: str, country: str = "ES", base_currency: str = "EUR"
) -> Organization:
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("The organisation needs a name.")})
    if Organization.objects.filter(name__iexact=name).exists():
        raise ValidationError({"name": _("An organisation with this name already exists.")})
    return Organization.objects.create(
        name=name, country=country.upper(), base_currency=base_currency.upper()
    )


def team_get_or_create(*, organization: Organization, name: str) -> Team:
    team, _created = Team.all_objects.get_or_create(organization=organization, name=name)
    return team


@transaction.atomic
def user_create(
    *,
    organization: Organization,
    email: str,
    password: str,
    role: str,
    first_name: str = "",
    last_name: str = "",
    team: Team | None = None,
    language: str = "",
) -> User:
    if role not in Role.values:
        raise ValidationError(
            {
                "role": _("Unknown role %(role)s; choose one of %(roles)s.")
                % {"role": role, "roles": ", ".join(Role.values)}
            }
        )
    email = email.strip().lower()
    if User.objects.filter(email=email).exists():
        raise ValidationError({"email": _("A user with this e-mail already exists.")})
    return User.objects.create_user(
        email=email,
        password=password,
        organization=organization,
        role=role,
        first_name=first_name,
        last_name=last_name,
        team=team,
        language=language,
    )


def api_token_create(*, user: User, name: str = "") -> tuple[ApiToken, str]:
    """Create a token and return it with its clear key, which is never stored."""
    key = ApiToken.generate_key()
    token = ApiToken.objects.create(
        user=user, name=name, prefix=key[: ApiToken.PREFIX_LENGTH], key_hash=ApiToken.hash_key(key)
    )
    return token, key


def api_token_revoke(*, token: ApiToken) -> ApiToken:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def custom_fields_clean(
    *,
    organization_id: int,
    model: str,
    values: dict[str, Any] | None,
    partial: bool = False,
    definitions: dict[str, CustomField] | None = None,
) -> dict[str, Any]:
    """Validate custom-field values against the organisation's definitions.

    Returns the values converted to JSON-safe canonical forms; raises ``ValidationError`` keyed
    ``custom_fields.<key>`` for each bad value, so forms, the API and imports name the field.
    """
    values = dict(values or {})
    if definitions is None:  # callers cleaning many rows pass the definitions they read once
        definitions = {
            cf.key: cf
            for cf in CustomField.all_objects.filter(organization_id=organization_id, model=model)
        }
    errors: dict[str, str] = {}
    clean: dict[str, Any] = {}
    for key in values:
        if key not in definitions:
            errors[f"custom_fields.{key}"] = _("Unknown custom field.")
    for key, field in definitions.items():
        raw = values.get(key)
        if raw in (None, "", []):
            if field.required and not partial:
                errors[f"custom_fields.{key}"] = _("This field is required.")
            elif key in values:
                clean[key] = None
            continue
        try:
            clean[key] = _convert(field, raw)
        except ValueError as exc:
            errors[f"custom_fields.{key}"] = str(exc)
    if errors:
        raise ValidationError(errors)
    return clean


def _convert(field: CustomField, raw: Any) -> Any:
    kind = field.type
    if kind == CustomFieldType.TEXT:
        text = str(raw)
        if len(text) > SHORT_TEXT_MAX_LENGTH:
            raise ValueError(_("At most %(n)d characters.")
                             % {"n": SHORT_TEXT_MAX_LENGTH})
        return text
    if kind == CustomFieldType.NUMBER:
        if isinstance(raw, bool):
            raise ValueError(_("Enter a whole number."))
        try:
            number = Decimal(str(raw).strip())
        except InvalidOperation:
            raise ValueError(_("Enter a whole number.")) from None
        if number != number.to_integral_value():
            raise ValueError(_("Enter a whole number."))
        return int(number)
    if kind == CustomFieldType.DECIMAL:
        if isinstance(raw, bool):
            raise ValueError(_("Enter a number."))
        try:
            number = Decimal(str(raw).strip().replace(",", "."))
        except InvalidOperation:
            raise ValueError(_("Enter a number.")) from None
        if not number.is_finite():
            raise ValueError(_("Enter a number."))
        return str(number)
    if kind == CustomFieldType.DATE:
        if isinstance(raw, dt.date):
            return raw.isoformat()
        try:
            return dt.date.fromisoformat(str(raw).strip()).isoformat()
        except ValueError:
            raise ValueError(_("Enter a date as YYYY-MM-DD.")) from None
    if kind == CustomFieldType.BOOLEAN:
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text in {"1", "true", "yes", "sí", "si", "on"}:
            return True
        if text in {"0", "false", "no", "off"}:
            return False
        raise ValueError(_("Enter yes or no."))
    if kind == CustomFieldType.CHOICE:
        if str(raw) not in field.choices:
            raise ValueError(
                _("Choose one of: %(choices)s.") % {"choices": ", ".join(field.choices)}
            )
        return str(raw)
    if kind == CustomFieldType.MULTI_CHOICE:
        items = raw if isinstance(raw, list) else [s.strip() for s in str(raw).split("|")]
        bad = [str(item) for item in items if str(item) not in field.choices]
        if bad:
            raise ValueError(
                _("Not allowed: %(bad)s; choose from %(choices)s.")
                % {"bad": ", ".join(bad), "choices": ", ".join(field.choices)}
            )
        return [str(item) for item in items]
    raise ValueError(_("Unknown field type."))


def custom_field_create(
    *,
    organization: Organization,
    model: str,
    key: str,
    label: str,
    type: str,
    required: bool = False,
    choices: list[str] | None = None,
) -> CustomField:
    if type not in CustomFieldType.values:
        raise ValidationError({"type": _("Unknown field type.")})
    if type in (CustomFieldType.CHOICE, CustomFieldType.MULTI_CHOICE) and not choices:
        raise ValidationError({"choices": _("A choice field needs at least one choice.")})
    if choices is not None and (
        not isinstance(choices, list)
        or not all(isinstance(choice, str) and choice.strip() for choice in choices)
    ):
        raise ValidationError({"choices": _("Choices are a list of non-empty texts.")})
    field = CustomField(
        organization=organization,
        model=model,
        key=key,
        label=label,
        type=type,
        required=required,
        choices=list(choices or []),
    )
    field.full_clean(validate_unique=False)
    if CustomField.all_objects.filter(organization=organization, model=model, key=key).exists():
        raise ValidationError({"key": _("A custom field with this key already exists.")})
    field.save()
    return field


@transaction.atomic
def custom_field_delete(*, actor: User, field: CustomField) -> None:
    """Remove a field's definition; the values records hold under its key stay in their JSON
    (adding the field again shows them again)."""
    require(actor, "core.manage_custom_fields")
    field.delete()


def versioned_save(
    instance: TenantModelT, *, expected_version: int | None, fields: list[str]
) -> TenantModelT:
    """Save ``fields`` only if the row is still at ``expected_version``; bump the version.

    The version check and the write are one conditional UPDATE, so two concurrent editors can
    never both succeed from the same version.
    """
    model = type(instance)
    if expected_version is not None:
        updated = model.all_objects.filter(pk=instance.pk, version=expected_version).update(
            version=F("version") + 1
        )
        if not updated:
            current = model.all_objects.filter(pk=instance.pk).values_list("version", flat=True)
            raise ConflictError(current.first() or 0)
        instance.version = expected_version + 1
    else:
        model.all_objects.filter(pk=instance.pk).update(version=F("version") + 1)
        instance.version = model.all_objects.values_list("version", flat=True).get(pk=instance.pk)
    instance.save(update_fields=[*fields, "updated_at"])
    return instance


def saved_view_create(*, actor: User, name: str, list_name: str, query: str = "") -> SavedView:
    """Save the actor's own named filter of a list page (any signed-in staff user may)."""
    return SavedView.objects.create(organization_id=org_id(actor), user=actor, name=name,
                                    list_name=list_name, query=query)


def sequence_next(*, organization_id: int, prefix: str, year: int, width: int = 6) -> str:
    """The next document number of a series, e.g. ``F-2026-000124``; call inside the
    document's transaction (the series row stays locked until it commits)."""
    from django.db import IntegrityError

    from vinculo.core.models import DocumentSequence

    key = f"{prefix}-{year}"
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("sequence_next must run inside the document's transaction")
    for _attempt in range(2):
        row = (DocumentSequence.objects.select_for_update()
               .filter(organization_id=organization_id, key=key).first())
        if row is not None:
            break
        try:
            with transaction.atomic():
                DocumentSequence.objects.create(organization_id=organization_id, key=key)
        except IntegrityError:
            pass  # another issuer created the series first; lock theirs
    else:  # pragma: no cover - the series exists after the first attempt
        raise RuntimeError(f"could not lock numbering series {key}")
    DocumentSequence.objects.filter(pk=row.pk).update(last_number=F("last_number") + 1)
    row.refresh_from_db(fields=["last_number"])
    return f"{key}-{row.last_number:0{width}d}"
