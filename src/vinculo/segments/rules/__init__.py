"""The rule language of segments: the field registry, the checks and the compiler."""

from vinculo.segments.rules.compiler import as_json, check, compile_rule, matching, references
from vinculo.segments.rules.registry import EXTENSION_POINT, OPERATORS, FieldDef, describe, fields

__all__ = ["EXTENSION_POINT", "OPERATORS", "FieldDef", "as_json", "check", "compile_rule",
           "describe", "fields", "matching", "references"]
