"""Check a rule and compile it to one queryset.

The rule language (JSON; the API schema and ``docs/architecture.md`` describe it)::

    {"match": "all" | "any",            # AND / OR; "all" when left out
     "conditions": [                    # none: every active customer
        {"field": "analytics.clv", "op": "gte", "value": 1000},
        {"field": "activity.orders", "op": "gte", "value": 2, "days": 365},
        {"field": "activity.last_order", "op": "before_last_days", "value": 90},
        {"match": "any", "conditions": [...]}      # a nested group
     ]}

:func:`check` refuses what it cannot compile with a ``ValidationError`` keyed by the path of
the part at fault (``rule.conditions[2].field``) and returns the rule in its canonical form;
:func:`compile_rule` turns a checked rule into a ``Q`` over the segment's subject, and
:func:`matching` into the queryset of the customers it selects: subqueries and ``IN``/``NOT
IN`` on indexed columns, one SQL statement, whatever the size of the customer base.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from vinculo.core.limits import SHORT_TEXT_MAX_LENGTH
from vinculo.customers.models import Account, AccountContact, Contact
from vinculo.segments.rules.registry import (
    DAYS_VALUE,
    LIST_VALUE,
    NO_VALUE,
    OPERATORS,
    Context,
    FieldDef,
    fields,
)

MAX_DEPTH = 5
MAX_CONDITIONS = 100
MAX_DAYS = 36_500
CONDITION_KEYS = {"field", "op", "value"}
GROUP_KEYS = {"match", "conditions"}


class _Checker:
    def __init__(self, organization_id: int, subject: str, segment_uuid: Any) -> None:
        self.organization_id = organization_id
        self.subject = subject
        self.segment_uuid = str(segment_uuid) if segment_uuid else None
        self.fields = fields(organization_id)
        self.errors: dict[str, list[str]] = {}
        self.count = 0

    def error(self, path: str, message: str) -> None:
        self.errors.setdefault(path, []).append(message)

    def group(self, node: Any, path: str, depth: int) -> dict[str, Any]:
        if not isinstance(node, dict):
            self.error(path, _("A group is an object with “match” and “conditions”."))
            return {"match": "all", "conditions": []}
        for key in sorted(set(node) - GROUP_KEYS):
            self.error(f"{path}.{key}", _("Unknown key in a group."))
        match = node.get("match", "all")
        if match not in ("all", "any"):
            self.error(f"{path}.match", _("Choose “all” (and) or “any” (or)."))
        conditions = node.get("conditions", [])
        if not isinstance(conditions, list):
            self.error(f"{path}.conditions", _("Give a list of conditions."))
            conditions = []
        out = []
        for i, child in enumerate(conditions):
            child_path = f"{path}.conditions[{i}]"
            if isinstance(child, dict) and "conditions" in child:
                if depth >= MAX_DEPTH:
                    self.error(child_path, _("Groups nest at most %(n)d deep.") % {"n": MAX_DEPTH})
                    continue
                out.append(self.group(child, child_path, depth + 1))
            else:
                out.append(self.condition(child, child_path))
        return {"match": match, "conditions": out}

    def condition(self, node: Any, path: str) -> dict[str, Any]:
        self.count += 1
        if self.count == MAX_CONDITIONS + 1:
            self.error(path, _("A rule has at most %(n)d conditions.") % {"n": MAX_CONDITIONS})
        if not isinstance(node, dict):
            self.error(path, _("A condition is an object with “field”, “op” and “value”."))
            return {}
        name = node.get("field")
        definition = self.fields.get(name) if isinstance(name, str) else None
        if definition is None:
            self.error(f"{path}.field", _("Unknown field “%(field)s”.") % {"field": name})
            return {}
        for key in sorted(set(node) - CONDITION_KEYS - set(definition.params)):
            self.error(f"{path}.{key}", _("This field takes no “%(key)s”.") % {"key": key})
        op = node.get("op")
        if op not in definition.operators:
            allowed = ", ".join(definition.operators)
            self.error(f"{path}.op", _("“%(field)s” takes the operators %(ops)s.")
                       % {"field": name, "ops": allowed})
            return {}
        out: dict[str, Any] = {"field": name, "op": op}
        for param in definition.params:
            if param in node:
                out[param] = self.days(node[param], f"{path}.{param}")
        if op in NO_VALUE:
            return out
        if "value" not in node:
            self.error(f"{path}.value", _("This condition needs a value."))
            return out
        out["value"] = self.value(definition, op, node["value"], f"{path}.value")
        return out

    def days(self, raw: Any, path: str) -> int:
        if isinstance(raw, bool) or not isinstance(raw, int) or not 0 < raw <= MAX_DAYS:
            self.error(path, _("Give a whole number of days between 1 and %(n)d.")
                       % {"n": MAX_DAYS})
            return 1
        return raw

    def value(self, definition: FieldDef, op: str, raw: Any, path: str) -> Any:
        if op in DAYS_VALUE:
            return self.days(raw, path)
        if op == "between":
            if not isinstance(raw, list) or len(raw) != 2:
                self.error(path, _("Give two values: [from, to]."))
                return None
            low, high = (self.scalar(definition, v, f"{path}[{i}]") for i, v in enumerate(raw))
            if low is not None and high is not None and low > high:
                self.error(path, _("The first value must not be above the second."))
            return [low, high]
        if op in LIST_VALUE or definition.type in ("tags", "segment"):
            items = raw if isinstance(raw, list) else [raw]
            if not items:
                self.error(path, _("Give at least one value."))
            return [self.scalar(definition, v, f"{path}[{i}]") for i, v in enumerate(items)]
        return self.scalar(definition, raw, path)

    def scalar(self, definition: FieldDef, raw: Any, path: str) -> Any:
        kind = definition.type
        if kind == "number":
            try:
                if isinstance(raw, bool):
                    raise InvalidOperation
                number = Decimal(str(raw))
                if not number.is_finite():
                    raise InvalidOperation
            except InvalidOperation:
                self.error(path, _("Enter a number."))
                return None
            return number
        if kind == "date":
            try:
                return dt.date.fromisoformat(raw)
            except (TypeError, ValueError):
                self.error(path, _("Enter a date as YYYY-MM-DD."))
                return None
        if kind == "boolean":
            if not isinstance(raw, bool):
                self.error(path, _("Enter true or false."))
            return bool(raw)
        if not isinstance(raw, str) or not raw or len(raw) > SHORT_TEXT_MAX_LENGTH:
            self.error(path, _("Enter a text of 1 to %(n)d characters.")
                       % {"n": SHORT_TEXT_MAX_LENGTH})
            return None
        if kind in ("user", "team", "segment"):
            try:
                raw = str(uuid.UUID(raw))
            except ValueError:
                self.error(path, _("Enter an identifier (UUID)."))
                return None
        choices = definition.choice_list() if kind != "text" else []
        if choices and raw not in {str(value) for value, _label in choices}:
            self.error(path, _("“%(value)s” is not one of the choices.") % {"value": raw})
            return None
        if kind == "segment" and raw == self.segment_uuid:
            self.error(path, _("A segment cannot contain itself."))
        return raw


def check(rule: Any, *, subject: str, organization_id: int,
          segment_uuid: Any = None) -> dict[str, Any]:
    """The rule in canonical form, or a ``ValidationError`` naming every part at fault."""
    checker = _Checker(organization_id, subject, segment_uuid)
    node = checker.group(rule if rule not in (None, "") else {}, "rule", 1)
    if not checker.errors and segment_uuid:
        _refuse_cycle(node, str(segment_uuid), organization_id, checker)
    if checker.errors:
        raise ValidationError(checker.errors)
    return node


def as_json(node: Any) -> Any:
    """A checked rule as JSON again (decimals and dates back to numbers and ISO text)."""
    if isinstance(node, dict):
        return {k: as_json(v) for k, v in node.items()}
    if isinstance(node, list):
        return [as_json(v) for v in node]
    if hasattr(node, "isoformat"):
        return node.isoformat()
    if isinstance(node, Decimal):
        return int(node) if node == node.to_integral_value() else float(node)
    return node


def references(node: dict[str, Any]) -> list[tuple[str, str]]:
    """(path, segment uuid) of every segment a rule names."""
    found: list[tuple[str, str]] = []

    def walk(group: dict[str, Any], path: str) -> None:
        for i, child in enumerate(group.get("conditions", []) or []):
            child_path = f"{path}.conditions[{i}]"
            if not isinstance(child, dict):
                continue
            if "conditions" in child:
                walk(child, child_path)
            elif child.get("field") == "segment":
                values = child.get("value")
                for value in values if isinstance(values, list) else [values]:
                    found.append((f"{child_path}.value", str(value)))
    walk(node, "rule")
    return found


def _refuse_cycle(node: dict[str, Any], own: str, organization_id: int,
                  checker: _Checker) -> None:
    from vinculo.segments.models import Segment

    rules = {str(u): r for u, r in Segment.all_objects.filter(
        organization_id=organization_id).values_list("uuid", "rule")}
    for path, start in references(node):
        seen: set[str] = set()
        stack = [start]
        while stack:
            current = stack.pop()
            if current == own:
                checker.error(path, _("This refers back to the segment itself (a circular "
                                      "reference)."))
                break
            if current in seen:
                continue
            seen.add(current)
            stack.extend(ref for _p, ref in references(rules.get(current) or {}))


def _subject_model(subject: str) -> type[Account] | type[Contact]:
    return Account if subject == "accounts" else Contact


def _carry(q: Q, base: str, subject: str, ctx: Context) -> Q:
    """A condition over ``base`` records as a condition over the subject's: a contact
    matches an account condition through any of its accounts, and an account a contact
    condition through any of its contacts."""
    if (base == "account") == (subject == "accounts"):
        return q
    links = AccountContact.all_objects.filter(organization_id=ctx.organization_id)
    rows = _plain_subquery(q)
    if rows is not None:
        # already the organisation's ids of the base: the memberships of those records are
        # the organisation's too, so they need no filter of their own, and the database reads
        # them from the (account, contact) or (contact, account) index alone (and the
        # subject's own organisation filter in ``matching`` holds whatever a subquery returns)
        column = "account_id" if base == "account" else "contact_id"
        other = "contact_id" if base == "account" else "account_id"
        return Q(pk__in=AccountContact.all_objects.filter(**{f"{column}__in": rows})
                 .values(other))
    if base == "account":
        matched = Account.all_objects.filter(organization_id=ctx.organization_id).filter(q)
        return Q(pk__in=links.filter(account_id__in=matched.values("pk")).values("contact_id"))
    matched_contacts = Contact.all_objects.filter(organization_id=ctx.organization_id).filter(q)
    return Q(pk__in=links.filter(contact_id__in=matched_contacts.values("pk"))
             .values("account_id"))


def _plain_subquery(q: Q) -> QuerySet | None:
    """The subquery of a bare ``pk IN (subquery)`` condition, or None for anything else.
    Every such subquery a field builds reads the organisation's rows only, so carried across
    the memberships it needs no pass through the accounts (or contacts) table."""
    if q.negated or len(q.children) != 1 or not isinstance(q.children[0], tuple):
        return None
    lookup, rows = q.children[0]
    return rows if lookup == "pk__in" and isinstance(rows, QuerySet) else None


def _membership(condition: dict[str, Any], subject: str, ctx: Context) -> Q:
    from vinculo.segments.models import Segment, SegmentMember

    by_subject: dict[str, list[int]] = {}
    for pk, other in Segment.all_objects.filter(
            organization_id=ctx.organization_id, uuid__in=condition["value"]
    ).values_list("pk", "subject"):
        by_subject.setdefault(other, []).append(pk)
    q = Q(pk__in=[])
    for other, ids in by_subject.items():
        column = "account_id" if other == "accounts" else "contact_id"
        members = SegmentMember.all_objects.filter(segment_id__in=ids, left_at=None)
        q |= _carry(Q(pk__in=members.values(column)),
                    "account" if other == "accounts" else "contact", subject, ctx)
    return q if condition["op"] == "in" else ~q


def compile_rule(rule: dict[str, Any], *, subject: str, organization_id: int,
                 today: dt.date | None = None) -> Q:
    """A checked rule as a ``Q`` over the subject's model (accounts or contacts)."""
    table = fields(organization_id)
    cache: dict[str, Any] = {}
    today = today or timezone.localdate()

    def group(node: dict[str, Any]) -> Q:
        parts = [group(child) if "conditions" in child else condition(child)
                 for child in node.get("conditions", [])]
        if not parts:
            return Q()
        combined = parts[0]
        for part in parts[1:]:
            combined = combined | part if node.get("match") == "any" else combined & part
        return combined

    def condition(node: dict[str, Any]) -> Q:
        definition = table[node["field"]]
        ctx = Context(organization_id=organization_id, today=today, cache=cache,
                      params={p: node[p] for p in definition.params if p in node})
        if definition.type == "segment":
            return _membership(node, subject, ctx)
        q = definition.build(node["op"], node.get("value"), ctx)
        return _carry(q, definition.base, subject, ctx)

    return group(rule)


def matching(rule: dict[str, Any], *, subject: str, organization_id: int,
             today: dt.date | None = None) -> QuerySet:
    """The active accounts or contacts a checked rule selects, as one queryset."""
    model = _subject_model(subject)
    q = compile_rule(rule, subject=subject, organization_id=organization_id, today=today)
    return model.all_objects.filter(organization_id=organization_id, active=True).filter(q)


__all__ = ["OPERATORS", "as_json", "check", "compile_rule", "matching", "references"]
