"""The one mechanism that writes the audit log.

Signal receivers on every audited ``TenantModel`` record create, update and delete with the
changed fields before/after. Who did it and under which request comes from ``change_context``,
set once by the request middleware, the API, or a command (``with acting_as(user):``); services
never write audit rows themselves.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models.fields.files import FieldFile
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save
from django.utils import timezone

from vinculo.core.models import AuditAction, AuditEntry, Organization, TenantModel


@dataclass(frozen=True)
class ChangeContext:
    actor: Any | None
    request_id: str


_context: ContextVar[ChangeContext | None] = ContextVar("vinculo_change_context", default=None)


@contextmanager
def acting_as(actor: Any | None, request_id: str | None = None) -> Iterator[None]:
    """Attribute every change made inside the block to ``actor``."""
    token = _context.set(ChangeContext(actor=actor, request_id=request_id or str(uuid.uuid4())))
    try:
        yield
    finally:
        _context.reset(token)


def _json_value(value: Any) -> Any:
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def _stored(value: Any) -> Any:
    """A stored file as its name (a logo), anything else as it is."""
    return value.name if isinstance(value, FieldFile) else value


def snapshot(instance: models.Model) -> dict[str, Any]:
    """The audited concrete fields of a row, as JSON-safe values (FKs as ids); a secret field
    shows only that it is set, and a digest that changes with it."""
    data = {
        field.attname: _stored(field.value_from_object(instance))
        for field in instance._meta.concrete_fields
        if field.name not in instance.audit_exclude and field.name not in ("id", "organization")
    }
    for name in getattr(instance, "audit_secret", ()):
        if data.get(name):
            digest = hashlib.sha256(str(data[name]).encode()).hexdigest()[:8]
            data[name] = f"(secret {digest})"
    return _json_value(data)


def audit_bulk_created(instances: list[Any],
                       m2m_added: dict[int, dict[str, Any]] | None = None) -> None:
    """The bulk path of ``vinculo.core.audit``: one "create" row per bulk-created record.

    ``bulk_create`` sends no signals, so the receivers in ``core.audit`` never see these rows;
    this writes what ``_post_save`` (and ``_m2m_changed`` for ``m2m_added``) would have, with the
    actor and request id of the current ``acting_as`` block.
    """
    ctx = _context.get()
    actor = ctx.actor if ctx else None
    actor_label = str(actor) if actor is not None else "system"
    request_id = ctx.request_id if ctx else ""
    now = timezone.now()
    entries = []
    for instance in instances:
        if not getattr(type(instance), "audited", False):
            continue
        common = {
            "organization_id": instance.organization_id, "timestamp": now,
            "actor_id": getattr(actor, "pk", None), "actor_label": actor_label,
            "object_type": instance._meta.label_lower, "object_id": instance.pk,
            "object_uuid": getattr(instance, "uuid", None),
            "object_repr": str(instance)[:200], "request_id": request_id,
        }
        changes = {k: [None, v] for k, v in snapshot(instance).items()
                   if v not in (None, "", [], {})}
        entries.append(AuditEntry(action=AuditAction.CREATE, changes=changes, **common))
        extra = (m2m_added or {}).get(instance.pk)
        if extra:
            entries.append(AuditEntry(action=AuditAction.UPDATE, changes=extra, **common))
    AuditEntry.all_objects.bulk_create(entries, batch_size=2000)


def audit_bulk_updated(model: type[TenantModel], rows: list[tuple[Any, dict[str, Any]]]) -> None:
    """The bulk path for set-based updates (``queryset.update``), which send no signals.

    ``rows`` pairs each changed record (before the change) with ``{field: [before, after]}``.
    """
    if not getattr(model, "audited", False) or not rows:
        return
    ctx = _context.get()
    actor = ctx.actor if ctx else None
    now = timezone.now()
    AuditEntry.all_objects.bulk_create([
        AuditEntry(organization_id=record.organization_id, timestamp=now,
                   actor_id=getattr(actor, "pk", None),
                   actor_label=str(actor) if actor is not None else "system",
                   action=AuditAction.UPDATE, object_type=model._meta.label_lower,
                   object_id=record.pk, object_uuid=getattr(record, "uuid", None),
                   object_repr=str(record)[:200], changes=_json_value(changes),
                   request_id=ctx.request_id if ctx else "")
        for record, changes in rows], batch_size=2000)


def _is_audited(sender: type) -> bool:
    """Audited business rows, the organisation's own settings (in its own log) and its staff
    users (``User.audited``)."""
    if not getattr(sender, "audited", False):
        return False
    return (issubclass(sender, TenantModel | Organization)
            or sender._meta.label_lower == "core.user")


def _write(instance: TenantModel, action: str, changes: dict[str, Any]) -> None:
    if instance.organization_id is None:  # the platform's superuser belongs to no tenant
        return
    ctx = _context.get()
    actor = ctx.actor if ctx else None
    actor_id = getattr(actor, "pk", None)
    AuditEntry.all_objects.create(
        organization_id=instance.organization_id,
        actor_id=actor_id,
        actor_label=str(actor) if actor is not None else "system",
        action=action,
        object_type=instance._meta.label_lower,
        object_id=instance.pk,
        object_uuid=getattr(instance, "uuid", None),
        object_repr=str(instance)[:200],
        changes=changes,
        request_id=ctx.request_id if ctx else "",
    )


def _pre_save(sender: type, instance: TenantModel, raw: bool = False, **kwargs: Any) -> None:
    if raw or not _is_audited(sender):
        return
    instance._audit_before = None
    if instance.pk is not None:
        old = sender._base_manager.filter(pk=instance.pk).first()
        instance._audit_before = snapshot(old) if old is not None else None


def _post_save(
    sender: type, instance: TenantModel, created: bool, raw: bool = False, **kwargs: Any
) -> None:
    if raw or not _is_audited(sender):
        return
    after = snapshot(instance)
    before = getattr(instance, "_audit_before", None)
    if created or before is None:
        if not getattr(sender, "audit_creation", True):
            return
        changes = {k: [None, v] for k, v in after.items() if v not in (None, "", [], {})}
        _write(instance, AuditAction.CREATE, changes)
        return
    changes = {k: [before.get(k), v] for k, v in after.items() if before.get(k) != v}
    if changes:
        _write(instance, AuditAction.UPDATE, changes)


def _post_delete(sender: type, instance: TenantModel, **kwargs: Any) -> None:
    if not _is_audited(sender) or sender is Organization:  # its log goes with it
        return
    before = snapshot(instance)
    _write(instance, AuditAction.DELETE, {k: [v, None] for k, v in before.items()})


def _m2m_changed(
    sender: type, instance: Any, action: str, pk_set: set | None, model: type, **kwargs: Any
) -> None:
    if not isinstance(instance, TenantModel) or not _is_audited(type(instance)):
        return
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    field_name = next(
        (f.name for f in instance._meta.many_to_many if f.remote_field.through is sender), None
    )
    if field_name is None:
        return
    # tags are tenant rows (``all_objects``); users (a comment's mentions) are not
    manager = getattr(model, "all_objects", model._default_manager)
    names = sorted(str(obj) for obj in manager.filter(pk__in=pk_set or []))
    verb = {"post_add": "added", "post_remove": "removed", "post_clear": "cleared"}[action]
    _write(instance, AuditAction.UPDATE, {field_name: {verb: names}})


def connect() -> None:
    pre_save.connect(_pre_save, dispatch_uid="vinculo_audit_pre_save")
    post_save.connect(_post_save, dispatch_uid="vinculo_audit_post_save")
    post_delete.connect(_post_delete, dispatch_uid="vinculo_audit_post_delete")
    m2m_changed.connect(_m2m_changed, dispatch_uid="vinculo_audit_m2m")
