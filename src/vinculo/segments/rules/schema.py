"""The OpenAPI description of the rule language, shared by every API that takes a rule
(segments, and the conditions of exception rules)."""

from __future__ import annotations

from typing import Any

from vinculo.segments.rules.registry import OPERATORS

RULE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": (
        "The rule: `match` (`all` = AND, `any` = OR; `all` when left out) over `conditions`, "
        "each a condition `{field, op, value}` (plus `days`, the period, for the fields that "
        "take one) or a nested group `{match, conditions}`. Fields and the operators each "
        "takes: `GET /api/segments/fields/`. Values: numbers, `YYYY-MM-DD` dates, true/false, "
        "texts; a list for `in`/`not_in`, `[from, to]` for `between`, a number of days for "
        "`in_last_days` and `before_last_days`, none for `empty`/`not_empty`. A bad rule is a "
        "400 keyed by the path of the part at fault, e.g. `rule.conditions[2].field`."),
    "properties": {
        "match": {"type": "string", "enum": ["all", "any"]},
        "conditions": {"type": "array", "items": {
            "type": "object",
            "properties": {
                "field": {"type": "string", "example": "analytics.clv"},
                "op": {"type": "string", "enum": list(OPERATORS)},
                "value": {"description": "number, text, date, boolean or a list of them"},
                "days": {"type": "integer", "minimum": 1},
                "match": {"type": "string", "enum": ["all", "any"]},
                "conditions": {"type": "array", "items": {"type": "object"}},
            }}},
    },
    "example": {"match": "all", "conditions": [
        {"field": "analytics.clv", "op": "gte", "value": 1000},
        {"field": "activity.last_order", "op": "before_last_days", "value": 90}]},
}
