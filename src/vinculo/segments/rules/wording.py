"""A segment rule in words (the segment's page, an exception rule's page)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from vinculo.segments.rules.registry import OPERATORS


def describe_rule(rule: dict[str, Any], registry: dict[str, Any]) -> list[str]:
    """The rule in words, one line per condition (nested groups indented with "·")."""
    lines: list[str] = []

    def walk(node: dict[str, Any], depth: int) -> None:
        for child in node.get("conditions", []) or []:
            if "conditions" in child:
                lines.append("· " * depth + (_("any of:") if child.get("match") == "any"
                                             else _("all of:")))
                walk(child, depth + 1)
                continue
            definition = registry.get(child.get("field"))
            label = (f"{definition.group} · {definition.label}" if definition
                     else child.get("field", ""))
            value = child.get("value", "")
            if definition is not None and definition.choices is not None:
                names = dict((str(k), str(v)) for k, v in definition.choice_list())
                items = value if isinstance(value, list) else [value]
                value = ", ".join(names.get(str(v), str(v)) for v in items)
            elif isinstance(value, list):
                value = " – ".join(str(v) for v in value)
            elif isinstance(value, bool):
                value = _("yes") if value else _("no")
            text = f"{label} {OPERATORS.get(child.get('op'), '')} {value}".strip()
            if child.get("days"):
                text += " " + _("(last %(days)s days)") % {"days": child["days"]}
            lines.append("· " * depth + text)
    walk(rule or {}, 0)
    return lines
