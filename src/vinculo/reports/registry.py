"""The datasets reports are built on, from the apps' declarations (``Contract.datasets``).

A declaration names fields by their ORM path; here each becomes a :class:`Field` with its
label, type, choices and the aggregates it allows, read from the model when the field does not
say them itself. The rows of a dataset are those its list shows the user: the organisation by
scope, then the record rule (``TenantQuerySet.restrict``); lines read with their document
follow the rule of the document's dataset (``Dataset.parent``). Nothing here knows an app:
what exists is what the installed apps declared.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from django.apps import apps
from django.db import models
from django.db.models import QuerySet
from django.utils.text import capfirst, format_lazy

from vinculo.core import plugins
from vinculo.core.models import User
from vinculo.core.plugins import CAPTURE_KINDS, DEFAULT_AGGREGATES, FIELD_TYPES, Dataset
from vinculo.core.roles import role_has


@dataclass(frozen=True)
class Field:
    """A field of a dataset as a report sees it (``key`` is what a definition names)."""

    key: str  # "total_amount", or "account.industry" through a join
    path: str  # the ORM path from the dataset's model
    label: Any  # lazily translated
    type: str
    aggregates: frozenset[str]
    groupable: bool
    permissions: tuple[str, ...]  # every permission reading it needs
    choices: tuple[tuple[Any, Any], ...] = ()
    related_model: type[models.Model] | None = None
    join_label: Any = ""
    currency: str = ""  # money: the ORM path of the row's currency code, when declared
    dataset: str = ""  # the key of the dataset that declares the field (a join's target)
    origin: str = ""  # its key in that dataset ("industry" for "account.industry")

    @property
    def full_label(self) -> str:
        """The label as people read it: "Account · Industry" through a join."""
        own = capfirst(str(self.label))
        return f"{self.join_label} · {own}" if self.join_label else own

    def choice_label(self, value: Any) -> Any:
        for key, label in self.choices:
            if key == value:
                return label
        return value


@dataclass(frozen=True)
class Source:
    """A dataset, resolved: its model and its fields, joined ones included."""

    key: str
    label: Any
    model: type[models.Model]
    permission: str
    fields: dict[str, Field]
    declaration: Dataset

    @property
    def date_field(self) -> str:
        return self.declaration.date_field


def _type_of(field: models.Field) -> str:
    if field.is_relation:
        return "reference"
    if getattr(field, "choices", None):
        return "choice"
    if isinstance(field, models.BooleanField):
        return "boolean"
    if isinstance(field, models.DateTimeField):
        return "datetime"
    if isinstance(field, models.DateField):
        return "date"
    if isinstance(field, models.IntegerField):
        return "integer"
    if isinstance(field, (models.DecimalField, models.FloatField)):
        return "number"
    return "text"


def _model_field(model: type[models.Model], path: str) -> models.Field:
    current: Any = model
    field: Any = None
    for part in path.split("__"):
        field = current._meta.get_field(part)
        current = field.related_model
    return field


def _own_fields(declaration: Dataset) -> dict[str, Field]:
    model = apps.get_model(declaration.model)
    fields: dict[str, Field] = {}
    names = {spec.name for spec in declaration.fields}
    for capture in declaration.capture:
        if capture.kind not in CAPTURE_KINDS or set(capture.fields) - names:
            raise ValueError(f"dataset {declaration.key}: capture {capture.label!r} names "
                             f"{sorted(set(capture.fields) - names)} / kind {capture.kind!r}")
    for spec in declaration.fields:
        model_field = _model_field(model, spec.name)
        kind = spec.type or _type_of(model_field)
        if kind not in FIELD_TYPES:
            raise ValueError(f"dataset {declaration.key}: {spec.name} has type {kind!r}")
        permissions = (declaration.permission,) + ((spec.permission,) if spec.permission else ())
        fields[spec.name] = Field(
            key=spec.name, path=spec.name,
            label=spec.label or model_field.verbose_name,
            type=kind,
            aggregates=spec.aggregates if spec.aggregates is not None
            else DEFAULT_AGGREGATES[kind],
            groupable=spec.group,
            permissions=permissions,
            choices=tuple(getattr(model_field, "flatchoices", None) or ()),
            related_model=model_field.related_model if model_field.is_relation else None,
            currency=declaration.currency if kind == "money" else "",
            dataset=declaration.key, origin=spec.name,
        )
    return fields


def _all_fields(key: str, declarations: dict[str, Dataset], own: dict[str, dict[str, Field]],
                depth: int = 0) -> dict[str, Field]:
    """A dataset's own fields and, through its joins, those of the related datasets (and
    theirs: an order line reaches its order's account), two joins deep at most."""
    declaration = declarations[key]
    fields = dict(own[key])
    if depth >= 2:
        return fields
    for join in declaration.joins:
        if join.dataset not in declarations:
            raise ValueError(f"dataset {key} joins unknown {join.dataset!r}")
        target = declarations[join.dataset]
        for name, field in _all_fields(join.dataset, declarations, own, depth + 1).items():
            name_key = f"{join.key}.{name}"
            fields[name_key] = Field(
                key=name_key, path=f"{join.path}__{field.path}", label=field.label,
                type=field.type, aggregates=field.aggregates, groupable=field.groupable,
                permissions=tuple(dict.fromkeys((declaration.permission, *field.permissions,
                                                 target.permission))),
                choices=field.choices, related_model=field.related_model,
                currency=f"{join.path}__{field.currency}" if field.currency else "",
                dataset=field.dataset, origin=field.origin,
                # lazy: the registry is built once per process, read in each user's language
                join_label=(format_lazy("{} · {}", join.label or target.label, field.join_label)
                            if field.join_label else join.label or target.label))
    return fields


@cache
def sources() -> dict[str, Source]:
    """Every declared dataset, by key, in the declarations' order."""
    ordered = sorted(plugins.collect("datasets"), key=lambda d: d.order)
    declarations = {d.key: d for d in ordered}
    own = {d.key: _own_fields(d) for d in ordered}
    return {d.key: Source(key=d.key, label=d.label, model=apps.get_model(d.model),
                          permission=d.permission,
                          fields=_all_fields(d.key, declarations, own), declaration=d)
            for d in ordered}


def may_read(user: User, field: Field) -> bool:
    return all(role_has(user.role, permission) for permission in field.permissions)


def readable(user: User) -> list[Source]:
    """The datasets ``user``'s role may read."""
    return [s for s in sources().values() if role_has(user.role, s.permission)]


def readable_fields(user: User, source: Source) -> list[Field]:
    return [f for f in source.fields.values() if may_read(user, f)]


def rows(source: Source, user: User) -> QuerySet:
    """The rows of ``source`` that ``user`` may read: exactly what its list shows them."""
    declaration = source.declaration
    if declaration.queryset:
        return plugins.resolve(declaration.queryset)(user)
    manager: Any = source.model._default_manager
    queryset = manager.all()
    if declaration.parent:
        if not user.is_owner_scoped:
            return queryset  # the scope already limits it to the organisation
        parent_model = source.model._meta.get_field(declaration.parent).related_model
        parent = next((s for s in sources().values() if s.model is parent_model), None)
        parents = (rows(parent, user) if parent is not None
                   else parent_model._default_manager.all().restrict(user))
        return queryset.filter(**{f"{declaration.parent}__in": parents.values("pk")})
    restrict = getattr(queryset, "restrict", None)
    return restrict(user) if restrict is not None else queryset
