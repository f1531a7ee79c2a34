"""Plotly figure builders for the analytics dashboard.

Each function takes the rows a selector returned and gives an HTML fragment (a ``div`` with the
figure as JSON, drawn by ``static/vinculo/charts.js``). ``plotly.min.js`` itself is a local
static file (``vendor/plotly.min.js``, ``analytics/staticfiles.py``); no CDN is involved.
"""

from __future__ import annotations

import json
from typing import Any

from django.utils.html import format_html
from django.utils.translation import gettext as _

CONFIG = {"displaylogo": False, "responsive": True}
LAYOUT = {"margin": {"l": 50, "r": 20, "t": 30, "b": 50}, "template": "plotly_white"}


def _html(fig: Any, height: int = 320) -> str:
    """A ``div`` holding the figure as JSON; ``static/vinculo/charts.js`` draws it (the
    Content-Security-Policy allows no inline script, which ``to_html`` would write)."""
    fig.update_layout(height=height, **LAYOUT)
    return format_html('<div class="vinculo-chart" data-plotly-figure="{}" '
                       'data-plotly-config="{}"></div>', fig.to_json(), json.dumps(CONFIG))


def retention(rows: list[dict[str, Any]]) -> str:
    import plotly.graph_objects as go

    months = [r["month"].isoformat() for r in rows]
    fig = go.Figure()
    fig.add_bar(x=months, y=[r["active"] for r in rows], name=_("Active customers"),
                yaxis="y2", opacity=0.3)
    fig.add_scatter(x=months, y=[r["retention"] for r in rows], name=_("Retention (%)"),
                    mode="lines+markers")
    fig.add_scatter(x=months, y=[r["churn"] for r in rows], name=_("Churn (%)"),
                    mode="lines+markers")
    fig.update_layout(yaxis={"title": "%", "range": [0, 100]},
                      yaxis2={"overlaying": "y", "side": "right", "showgrid": False,
                              "title": _("Customers")},
                      legend={"orientation": "h"})
    return _html(fig)


def histogram(rows: list[dict[str, Any]], *, x_title: str) -> str:
    import plotly.graph_objects as go

    fig = go.Figure(go.Bar(x=[(r["from"] + r["to"]) / 2 for r in rows],
                           y=[r["customers"] for r in rows],
                           width=[r["to"] - r["from"] for r in rows],
                           hovertext=[f"{r['from']} – {r['to']}" for r in rows]))
    fig.update_layout(xaxis={"title": x_title}, yaxis={"title": _("Customers")}, bargap=0.05)
    return _html(fig)


def conversion(rows: list[dict[str, Any]]) -> str:
    import plotly.graph_objects as go

    keys = [r["key"] or "—" for r in rows]
    fig = go.Figure()
    fig.add_bar(x=keys, y=[r["leads"] for r in rows], name=_("Leads"))
    fig.add_bar(x=keys, y=[r["opportunities"] for r in rows], name=_("Opportunities"))
    fig.add_bar(x=keys, y=[r["won"] for r in rows], name=_("Won"))
    fig.update_layout(barmode="group", legend={"orientation": "h"})
    return _html(fig)


def whale(data: dict[str, Any]) -> str:
    import plotly.graph_objects as go

    pts = data["points"]
    fig = go.Figure(go.Scatter(x=[p["share"] for p in pts], y=[p["profit_pct"] for p in pts],
                               mode="lines", fill="tozeroy", name=_("Cumulative profit")))
    fig.add_hline(y=100, line_dash="dot")
    fig.update_layout(xaxis={"title": _("Customers, most profitable first (%)")},
                      yaxis={"title": _("Cumulative profit (% of total)")})
    return _html(fig)


def segments(rows: list[dict[str, Any]]) -> str:
    import plotly.graph_objects as go

    labels = [r["label"] for r in rows]
    fig = go.Figure()
    fig.add_bar(x=labels, y=[r["customers"] for r in rows], name=_("Customers"))
    fig.add_scatter(x=labels, y=[float(r["clv"]) for r in rows], name=_("Total CLV"),
                    yaxis="y2", mode="markers", marker={"size": 12})
    fig.update_layout(yaxis={"title": _("Customers")},
                      yaxis2={"overlaying": "y", "side": "right", "showgrid": False,
                              "title": _("CLV")},
                      legend={"orientation": "h"})
    return _html(fig)


def migration(m: Any) -> str:
    import plotly.graph_objects as go

    rows = [label for label, _c, _t in m.labelled]
    fig = go.Figure(go.Heatmap(z=m.counts, x=m.column_labels, y=rows, colorscale="Blues",
                               text=m.counts, texttemplate="%{text}"))
    fig.update_layout(xaxis={"title": str(m.date_2)}, yaxis={"title": str(m.date_1),
                                                             "autorange": "reversed"},
                      )
    return _html(fig, height=440)


def demand_forecast(months: list[Any], history: list[float], future: list[Any],
                    forecast: list[float], *, y_title: str) -> str:
    """One series' monthly history (bars) and its forecast (dashed line from the last month)."""
    import plotly.graph_objects as go

    x_hist = [m.isoformat() for m in months]
    x_next = [m.isoformat() for m in future]
    fig = go.Figure()
    fig.add_bar(x=x_hist, y=history, name=_("History"))
    fig.add_scatter(x=x_hist[-1:] + x_next, y=history[-1:] + [round(v, 2) for v in forecast],
                    name=_("Forecast"), mode="lines+markers", line={"dash": "dash"})
    fig.update_layout(yaxis={"title": y_title, "rangemode": "tozero"},
                      legend={"orientation": "h"})
    return _html(fig)
