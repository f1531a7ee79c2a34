"""Plotly figures of the analytics pages, as plain data.

Each function takes the rows a selector returned and gives a figure as a dictionary
(``{"data": [...], "layout": {...}}``) that the page embeds as JSON (``json_script``) and
``static/vinculo/figures.js`` draws with the local ``plotly.min.js``. Building dictionaries
instead of ``plotly.graph_objects`` figures keeps the Python plotly package (and its
validation of every attribute) out of the request: the dashboard's eight figures cost
milliseconds instead of most of a second, and no inline script is written (CSP).

Everything a person reads is in their language: trace names, axis titles, categories
(sources, segments), month names (``M Y`` through Django's date format), and the numbers
(``layout.separators`` from the active language).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import formats
from django.utils.translation import get_language, pgettext
from django.utils.translation import gettext as _

Figure = dict[str, Any]

#: Thousands separator per language where Django's own differs from the product's (Spanish
#: groups with a dot in the product's tables and PDFs: 3.844,36 €; Django ships a space).
THOUSANDS = {"es": "."}

CONFIG = {"displaylogo": False, "responsive": True}
#: A horizontal legend above the plot area: below it, it covers the axis labels.
LEGEND = {"orientation": "h", "x": 0, "xanchor": "left", "y": 1.02, "yanchor": "bottom"}


def separators() -> str:
    """Plotly's ``separators`` (decimal mark, then thousands) for the active language."""
    decimal = str(formats.get_format("DECIMAL_SEPARATOR"))
    language = (get_language() or "en").split("-")[0]
    thousands = THOUSANDS.get(language) or str(formats.get_format("THOUSAND_SEPARATOR"))
    return decimal + thousands


def month_label(month: dt.date) -> str:
    """A month as people read it in their language ("Mar 2025", "mar 2025")."""
    return formats.date_format(month, "M Y")


def _figure(data: list[dict[str, Any]], layout: dict[str, Any], *, height: int = 320,
            legend: bool = False) -> Figure:
    top = 60 if legend else 30
    full = {"height": height, "margin": {"l": 55, "r": 55, "t": top, "b": 60},
            "template": "plotly_white", "separators": separators(), **layout}
    if legend:
        full["legend"] = LEGEND
    else:
        full["showlegend"] = False
    return {"data": data, "layout": full, "config": CONFIG}


#: An axis that counts (customers): whole numbers, thousands grouped with the language's mark
#: (Plotly groups only from five digits unless told).
COUNT_AXIS = {"tickformat": ",d", "separatethousands": True}


def count_axis(largest: float) -> dict[str, Any]:
    """``COUNT_AXIS`` with a tick per unit when counts are small: Plotly would put ticks at
    0.5 steps and ",d" prints them as "0, 1, 1, 2, 2, 3"."""
    return {**COUNT_AXIS, "dtick": 1} if largest <= 8 else dict(COUNT_AXIS)


def retention(rows: list[dict[str, Any]]) -> Figure:
    months = [month_label(r["month"]) for r in rows]
    return _figure([
        {"type": "bar", "x": months, "y": [r["active"] for r in rows],
         "name": _("Active customers"), "yaxis": "y2", "opacity": 0.3},
        {"type": "scatter", "x": months, "y": [r["retention"] for r in rows],
         "name": _("Retention (%)"), "mode": "lines+markers"},
        {"type": "scatter", "x": months, "y": [r["churn"] for r in rows],
         "name": _("Churn (%)"), "mode": "lines+markers"},
    ], {"xaxis": {"type": "category"},
        "yaxis": {"title": {"text": "%"}, "range": [0, 100]},
        "yaxis2": {"overlaying": "y", "side": "right", "showgrid": False, **COUNT_AXIS,
                   "title": {"text": _("Customers")}, "rangemode": "tozero"}}, legend=True)


def histogram(rows: list[dict[str, Any]], *, x_title: str) -> Figure:
    fmt = _number
    return _figure([{
        "type": "bar", "x": [(r["from"] + r["to"]) / 2 for r in rows],
        "y": [r["customers"] for r in rows], "width": [r["to"] - r["from"] for r in rows],
        "hovertext": [f"{fmt(r['from'])} – {fmt(r['to'])}" for r in rows],
        "name": _("Customers"),
    }], {"xaxis": {"title": {"text": x_title}},
         "yaxis": {"title": {"text": _("Customers")}, **COUNT_AXIS}, "bargap": 0.05})


def _number(value: float) -> str:
    return formats.number_format(value, 2, use_l10n=True, force_grouping=True)


def conversion(rows: list[dict[str, Any]]) -> Figure:
    keys = [r.get("label") or r["key"] or _("Unknown") for r in rows]
    return _figure([
        {"type": "bar", "x": keys, "y": [r["leads"] for r in rows], "name": _("Leads")},
        {"type": "bar", "x": keys, "y": [r["opportunities"] for r in rows],
         "name": _("Opportunities")},
        {"type": "bar", "x": keys, "y": [r["won"] for r in rows],
         "name": pgettext("opportunities", "Won")},
    ], {"barmode": "group", "xaxis": {"type": "category"}}, legend=True)


def whale(data: dict[str, Any]) -> Figure:
    pts = data["points"]
    return _figure([{
        "type": "scatter", "x": [p["share"] for p in pts], "y": [p["profit_pct"] for p in pts],
        "mode": "lines", "fill": "tozeroy", "name": _("Cumulative profit"),
    }], {"xaxis": {"title": {"text": _("Customers, most profitable first (%)")}},
         "yaxis": {"title": {"text": _("Cumulative profit (% of total)")}},
         "shapes": [{"type": "line", "xref": "paper", "x0": 0, "x1": 1, "y0": 100, "y1": 100,
                     "line": {"dash": "dot"}}]})


def segments(rows: list[dict[str, Any]]) -> Figure:
    labels = [r["label"] for r in rows]
    return _figure([
        {"type": "bar", "x": labels, "y": [r["customers"] for r in rows],
         "name": _("Customers")},
        {"type": "scatter", "x": labels, "y": [round(float(r["clv"]), 2) for r in rows],
         "name": _("Total CLV"), "yaxis": "y2", "mode": "markers", "marker": {"size": 12}},
    ], {"xaxis": {"type": "category", "automargin": True},
        "yaxis": {"title": {"text": _("Customers")}, **COUNT_AXIS},
        "yaxis2": {"overlaying": "y", "side": "right", "showgrid": False,
                   "separatethousands": True, "title": {"text": _("CLV")}}}, legend=True)


def migration(m: Any) -> Figure:
    rows = [label for label, _c, _t in m.labelled]
    return _figure([{
        "type": "heatmap", "z": m.counts, "x": m.column_labels, "y": rows,
        "colorscale": "Blues", "text": m.counts, "texttemplate": "%{text}",
    }], {"xaxis": {"title": {"text": formats.date_format(m.date_2)}, "type": "category",
                   "automargin": True},
         "yaxis": {"title": {"text": formats.date_format(m.date_1)}, "autorange": "reversed",
                   "type": "category", "automargin": True}}, height=440)


def demand_forecast(months: list[Any], history: list[float], future: list[Any],
                    forecast: list[float], *, y_title: str) -> Figure:
    """One series' monthly history (bars) and its forecast (dashed line from the last month)."""
    x_hist = [month_label(m) for m in months]
    x_next = [month_label(m) for m in future]
    return _figure([
        {"type": "bar", "x": x_hist, "y": history, "name": _("History")},
        {"type": "scatter", "x": x_hist[-1:] + x_next,
         "y": history[-1:] + [round(v, 2) for v in forecast], "name": _("Forecast"),
         "mode": "lines+markers", "line": {"dash": "dash"}},
    ], {"xaxis": {"type": "category"},
        "yaxis": {"title": {"text": y_title}, "rangemode": "tozero"}}, legend=True)


def holdout(result: dict[str, Any], names: dict[str, str]) -> Figure:
    """Actual versus predicted holdout purchases per customer, by calibration repeat
    purchases (0..7+): the validation chart of the buy-till-you-die papers."""
    buckets = result["buckets"]
    data = [{"type": "bar", "x": buckets, "y": [round(v, 3) for v in result["actual"]],
             "name": _("Actual"), "opacity": 0.5}]
    for key, values in result["predicted"].items():
        data.append({"type": "scatter", "x": buckets, "y": [round(v, 3) for v in values],
                     "name": names.get(key, key), "mode": "lines+markers"})
    return _figure(data, {
        "xaxis": {"type": "category",
                  "title": {"text": _("Repeat purchases before the holdout")}},
        "yaxis": {"title": {"text": _("Purchases per customer in the holdout")},
                  "rangemode": "tozero"}}, legend=True)
