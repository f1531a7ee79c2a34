"""The chart of a report as Plotly data (drawn by ``static/vinculo/figures.js``, like the
analytics pages): bars, a line or an area per measure — one trace per value of the second
grouping when there are two — or a pie of the first measure."""

from __future__ import annotations

from typing import Any

from vinculo.analytics.charts import LEGEND, separators
from vinculo.reports import present
from vinculo.reports.query import Result


def _number(value: Any) -> float | None:
    return float(value) if value is not None else None


def figure(result: Result, chart: str) -> dict[str, Any] | None:
    """The figure, or None for a table, a pivot table or a result without groups."""
    groups = [c for c in result.columns if c.kind == "group"]
    measures = [(i, c) for i, c in enumerate(result.columns) if c.kind == "measure"]
    if chart in ("table", "pivot") or not groups or not measures or not result.rows:
        return None
    first = groups[0]
    traces: list[dict[str, Any]] = []
    if chart == "pie":
        index, measure = measures[0]
        traces.append({"type": "pie", "hole": 0.35, "sort": False,
                       "labels": [present.label(result, first, r[0]) for r in result.rows],
                       "values": [_number(r[index]) for r in result.rows], "name": measure.label})
    else:
        series: dict[str, list[list[Any]]] = {}
        if len(groups) == 2:
            index, measure = measures[0]
            for row in result.rows:
                name = present.label(result, groups[1], row[1])
                series.setdefault(name, []).append([present.label(result, first, row[0]),
                                                    _number(row[index])])
        else:
            for index, measure in measures:
                series[str(measure.label)] = [[present.label(result, first, r[0]),
                                               _number(r[index])] for r in result.rows]
        for name, points in series.items():
            trace: dict[str, Any] = {"name": name, "x": [p[0] for p in points],
                                     "y": [p[1] for p in points]}
            if chart == "bar":
                trace["type"] = "bar"
            else:
                trace.update(type="scatter", mode="lines+markers")
                if chart == "area":
                    trace["fill"] = "tozeroy" if not traces else "tonexty"
                    trace["stackgroup"] = "one"
            traces.append(trace)
    layout: dict[str, Any] = {
        "height": 340, "margin": {"l": 55, "r": 20, "t": 50, "b": 70},
        "template": "plotly_white", "separators": separators(), "legend": LEGEND,
        "showlegend": len(traces) > 1 or chart == "pie",
        "xaxis": {"type": "category", "automargin": True}, "yaxis": {"automargin": True},
    }
    if chart == "bar" and len(traces) > 1:
        layout["barmode"] = "group"
    return {"data": traces, "layout": layout,
            "config": {"displaylogo": False, "responsive": True}}


def pivot(result: Result) -> dict[str, Any] | None:
    """Rows by the first grouping, columns by the second, the first measure in the cells."""
    groups = [c for c in result.columns if c.kind == "group"]
    if len(groups) != 2 or len(result.columns) < 3:
        return None
    measure = result.columns[2]
    row_keys: list[str] = []
    column_keys: list[str] = []
    cells: dict[tuple[str, str], str] = {}
    for row in result.rows:
        a, b = present.label(result, groups[0], row[0]), present.label(result, groups[1], row[1])
        if a not in row_keys:
            row_keys.append(a)
        if b not in column_keys:
            column_keys.append(b)
        cells[(a, b)] = present.cell(result, measure, row[2])
    return {"corner": f"{groups[0].label} / {groups[1].label}", "measure": measure.label,
            "columns": column_keys,
            "rows": [[a, *(cells.get((a, b), "") for b in column_keys)] for a in row_keys]}
