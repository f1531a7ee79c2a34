"""Writes of exception rules: create, update and delete, checked by ``automation.checks``.
Administrators (``automation.manage``) edit rules; the actions later run as whoever saved
the rule."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from vinculo.automation import checks
from vinculo.automation.models import Rule
from vinculo.core.models import User
from vinculo.core.services import org_id, refuse_unknown, require, versioned_save

RULE_FIELDS = ("name", "description", "active", "trigger", "conditions", "actions")
NAME_MAX_LENGTH = 200


def _values(organization_id: int, data: dict[str, Any], rule: Rule | None) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if "name" in data or rule is None:
        name = " ".join(str(data.get("name") or "").split())
        if not name:
            raise ValidationError({"name": _("Give the rule a name.")})
        values["name"] = name[:NAME_MAX_LENGTH]
    if "description" in data:
        values["description"] = str(data["description"] or "").strip()
    if "active" in data:
        values["active"] = bool(data["active"])
    parts = ("trigger", "conditions", "actions")
    if rule is None or any(p in data for p in parts):
        current = {p: getattr(rule, p) if rule is not None else None for p in parts}
        trigger, conditions, actions = checks.check(
            trigger=data.get("trigger", current["trigger"]),
            conditions=data.get("conditions", current["conditions"]),
            actions=data.get("actions", current["actions"]), organization_id=organization_id)
        values.update(trigger=trigger, conditions=conditions, actions=actions,
                      kind=trigger["kind"], event=checks.trigger_event(trigger))
    return values


@transaction.atomic
def rule_create(*, actor: User, data: dict[str, Any]) -> Rule:
    """A new rule; its actions will run as ``actor``."""
    require(actor, "automation.manage")
    refuse_unknown(data, RULE_FIELDS)
    organization_id = org_id(actor)
    values = _values(organization_id, data, None)
    return Rule.objects.create(organization_id=organization_id, run_as=actor, **values)


@transaction.atomic
def rule_update(*, actor: User, rule: Rule, data: dict[str, Any],
                expected_version: int | None) -> Rule:
    """Change a rule; from now on its actions run as ``actor``, who saved it last."""
    require(actor, "automation.manage")
    refuse_unknown(data, RULE_FIELDS)
    values = _values(rule.organization_id, data, rule)
    values["run_as"] = actor
    for key, value in values.items():
        setattr(rule, key, value)
    return versioned_save(rule, expected_version=expected_version, fields=list(values))


@transaction.atomic
def rule_delete(*, actor: User, rule: Rule) -> None:
    """Remove a rule with its log."""
    require(actor, "automation.manage")
    rule.delete()
