"""From a line of the file to the data a service takes, cleaned and matched to duplicates.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import translation
from django.utils.translation import gettext as _

from vinculo.core.models import CustomField, User
from vinculo.customers import normalize, selectors, services
from vinculo.customers.imports.mapping import CF_PREFIX, TARGETS, fold_key
from vinculo.customers.imports.tables import unquote

# ---- from a line of the file to the data a service takes --------------------------------------

_TRUE = {"1", "true", "yes", "y", "si", "s", "x", "on", "verdadero"}
_FALSE = {"0", "false", "no", "n", "off", "falso"}


class ChoiceLookup:
    """Value, or its label in English or Spanish, -> value."""

    def __init__(self, model: type[models.Model]) -> None:
        self.tables: dict[str, dict[str, str]] = {}
        for model_field in model._meta.concrete_fields:
            if not model_field.choices:
                continue
            table: dict[str, str] = {}
            for value, label in model_field.flatchoices:
                table[fold_key(str(value))] = value
                for language in ("en", "es"):
                    with translation.override(language):
                        table.setdefault(fold_key(str(label)), value)
            self.tables[model_field.name] = table

    def convert(self, key: str, value: str) -> str:
        table = self.tables.get(key)
        if table is None:
            return value
        return table.get(fold_key(value), value)  # unknown: the model says "not a valid choice"


def _split_list(value: str) -> list[str]:
    return [part.strip() for part in re.split(r"[,;|\n]", value) if part.strip()]


def row_data(target: str, values: dict[str, str], choices: ChoiceLookup) -> dict[str, Any]:
    """Typed service data from the text of one row; empty cells are left out (never erase)."""
    data: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    custom: dict[str, str] = {}
    for key, raw in values.items():
        value = unquote(str(raw).strip())
        if not value:
            continue
        if key.startswith(CF_PREFIX):
            custom[key[len(CF_PREFIX):]] = value
        elif key in ("tags", "other_emails"):
            data[key] = _split_list(value)
        elif key == "is_person":
            folded = fold_key(value)
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


@dataclass
class Pending:
    """A record this import will create: the line it came from, its data, the cleaned instance
    (saved once written), and for a contact the account it joins."""

    line: int
    data: dict[str, Any]
    instance: Any
    account: Ref | None = None


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
                score = selectors.names_alike(folded, candidate)
                if score is not None and (best is None or score > best[0]):
                    best = (score, ref)
            return best[1] if best else None
        if instance.email and instance.email in self.by_email:
            return self.by_email[instance.email]
        for phone in (instance.phone, getattr(instance, "mobile", "")):
            if phone and phone in self.by_phone:
                return self.by_phone[phone]
        return None


# ---- a contact's company ----------------------------------------------------------------------


def _as_tax_id(text: str) -> str:
    """The compact tax id ``text`` is, or "" when it reads as a name: one word, mostly digits
    ("B-12345674", "30-71234567-1"), where a company name has letters and spaces."""
    compact = "".join(ch for ch in text.upper() if ch.isalnum())
    if not compact or len(text.split()) > 1:
        return ""
    digits = sum(ch.isdigit() for ch in compact)
    return compact if digits * 2 >= len(compact) and len(compact) >= 5 else ""


class CompanyLinker:
    """The account each imported contact joins, from its company column (a name or a tax id).

    An account matches by the duplicate rule of accounts (``Matcher``: tax id, then the one
    name rule of ``selectors.names_alike``); a name that matches none becomes a new account,
    created once however many contacts name it. A tax id that matches no account is an error:
    it cannot name the account to create.
    """

    def __init__(self, actor: User) -> None:
        self.matcher = Matcher("account")
        self.cleaner = RecordCleaner("account", actor)
        self.country = actor.organization.country if actor.organization is not None else ""
        self.creates: list[Pending] = []

    def resolve(self, line: int, text: str) -> Ref:
        """The account of ``text``: ("existing", pk) or ("new", index in ``creates``)."""
        text = " ".join(text.split())
        tax_id = _as_tax_id(text)
        if tax_id:
            candidates = {tax_id}
            with contextlib.suppress(ValidationError):  # not valid there: the compact form
                candidates.add(normalize.normalize_tax_id(text, country=self.country))
            for value in candidates:
                found = self.matcher.by_tax_id.get(value)
                if found:
                    return found
            raise ValidationError({"company": _(
                "No account has the tax id “%(value)s”. Write the company's name to create "
                "its account.") % {"value": text}})
        probe = self.cleaner.spec.model(name=text, tax_id="", email="")
        found = self.matcher.find(probe)
        if found:
            return found
        try:
            instance = self.cleaner.clean({"name": text})
        except ValidationError as exc:
            raise ValidationError({"company": exc.messages}) from None
        self.creates.append(Pending(line, {"name": text}, instance))
        ref: Ref = ("new", len(self.creates) - 1)
        self.matcher.remember(instance, ref)
        return ref
