"""The builder page's fields ↔ a report definition. The page posts plain fields (a dataset,
columns, three filters, two groupings, three aggregates, a sort, a chart); this module turns
them into the definition the API takes, and a definition back into the fields to edit it.
The checks are the definition's own (``definition.check``)."""

from __future__ import annotations

from typing import Any

from django.http import QueryDict

FILTER_ROWS, GROUP_ROWS, AGGREGATE_ROWS = 3, 2, 3
TRUE = {"1", "true", "yes", "si", "sí", "y", "s"}


def _value(op: str, raw: str) -> Any:
    raw = raw.strip()
    if op in ("empty", "not_empty"):
        return None
    if op in ("in", "not_in", "between"):
        return [part.strip() for part in raw.split(",") if part.strip()]
    if op == "in_last_days":
        return int(raw) if raw.isdigit() else raw
    if raw.lower() in ("true", "false", "sí", "si", "no", "yes"):
        return raw.lower() in TRUE
    return raw


def definition_from(data: QueryDict) -> dict[str, Any]:
    """The definition the builder's fields describe (unchecked)."""
    definition: dict[str, Any] = {"dataset": data.get("dataset", "")}
    columns = [c for c in data.getlist("columns") if c]
    if columns:
        definition["columns"] = columns
    filters = []
    for i in range(FILTER_ROWS):
        field, op = data.get(f"f{i}_field", ""), data.get(f"f{i}_op", "")
        if field:
            filters.append({"field": field, "op": op,
                            "value": _value(op, data.get(f"f{i}_value", ""))})
    if filters:
        definition["filters"] = filters
    groups = []
    for i in range(GROUP_ROWS):
        field = data.get(f"g{i}_field", "")
        if field:
            group = {"field": field}
            if data.get(f"g{i}_bucket"):
                group["bucket"] = data.get(f"g{i}_bucket", "")
            groups.append(group)
    if groups:
        definition["group_by"] = groups
    aggregates = []
    for i in range(AGGREGATE_ROWS):
        fn = data.get(f"a{i}_fn", "")
        if fn:
            aggregate = {"fn": fn}
            if data.get(f"a{i}_field"):
                aggregate["field"] = data.get(f"a{i}_field", "")
            aggregates.append(aggregate)
    if aggregates:
        definition["aggregates"] = aggregates
    if data.get("sort"):
        definition["sort"] = [{"key": data.get("sort"), "desc": data.get("desc") == "1"}]
    definition["chart"] = data.get("chart") or "table"
    limit = data.get("limit", "")
    if limit:
        definition["limit"] = int(limit) if limit.isdigit() else limit
    return definition


def fields_from(definition: dict[str, Any]) -> dict[str, Any]:
    """The builder's field values for a saved definition."""
    values: dict[str, Any] = {"dataset": definition.get("dataset", ""),
                              "columns": list(definition.get("columns") or []),
                              "chart": definition.get("chart", "table"),
                              "limit": definition.get("limit", 500)}
    for i, item in enumerate((definition.get("filters") or [])[:FILTER_ROWS]):
        value = item.get("value")
        if isinstance(value, list):
            value = ", ".join(str(v) for v in value)
        values.update({f"f{i}_field": item.get("field", ""), f"f{i}_op": item.get("op", ""),
                       f"f{i}_value": "" if value is None else str(value)})
    for i, item in enumerate((definition.get("group_by") or [])[:GROUP_ROWS]):
        values.update({f"g{i}_field": item.get("field", ""),
                       f"g{i}_bucket": item.get("bucket", "")})
    for i, item in enumerate((definition.get("aggregates") or [])[:AGGREGATE_ROWS]):
        values.update({f"a{i}_fn": item.get("fn", ""), f"a{i}_field": item.get("field", "")})
    sort = (definition.get("sort") or [None])[0]
    if isinstance(sort, dict):
        values.update(sort=sort.get("key", ""), desc="1" if sort.get("desc") else "")
    return values
