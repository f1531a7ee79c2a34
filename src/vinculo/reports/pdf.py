"""A saved report as a PDF (ReportLab): its title, the filters in words, when and for whom it
was counted (in the organisation's time zone), the chart drawn with ``reportlab.graphics``
(bars, a line, an area or a pie; a table or a pivot table as a table), the figures in the
reader's language, warnings (money of several currencies added up) and page numbers.

It draws the same :class:`~vinculo.reports.query.Result` the page and the other exports read,
with the same labels (``present``), so the three never disagree. Called under the reader's
active language: the page's request, or the recipient's language in a scheduled e-mail.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any
from xml.sax.saxutils import escape

from django.utils import formats, timezone
from django.utils.translation import gettext as _
from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.charts.linecharts import HorizontalLineChart
from reportlab.graphics.charts.piecharts import Pie
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

from vinculo.core.formats import format_number
from vinculo.core.models import User
from vinculo.core.pdf import data_table, numbered_canvas
from vinculo.reports import charts, present
from vinculo.reports.definition import Checked
from vinculo.reports.models import Report
from vinculo.reports.query import Result, user_zone

PALETTE = [colors.HexColor(c) for c in (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
    "#bcbd22", "#17becf")]
MAX_CATEGORIES = 40  # a chart past this many groups is unreadable: the table has them all
MAX_SLICES = 12


def _number(value: Any) -> float:
    return float(value) if value is not None else 0.0


def _axis_label(value: float) -> str:
    return format_number(value, "-2")


def _series(result: Result) -> tuple[list[str], list[tuple[str, list[float]]]]:
    """The categories (first grouping) and one series per measure — or, with two groupings,
    one per value of the second grouping for the first measure."""
    groups = [c for c in result.columns if c.kind == "group"]
    measures = [(i, c) for i, c in enumerate(result.columns) if c.kind == "measure"]
    first = groups[0]
    categories: list[str] = []
    for row in result.rows:
        name = present.label(result, first, row[0])
        if name not in categories:
            categories.append(name)
    categories = categories[:MAX_CATEGORIES]
    if len(groups) == 2:
        index = measures[0][0]
        by_name: dict[str, dict[str, float]] = {}
        for row in result.rows:
            series = by_name.setdefault(present.label(result, groups[1], row[1]), {})
            series[present.label(result, first, row[0])] = _number(row[index])
        return categories, [(name, [values.get(c, 0.0) for c in categories])
                            for name, values in list(by_name.items())[:len(PALETTE)]]
    return categories, [(str(column.label), [_number(r[index]) for r in result.rows]
                         [:MAX_CATEGORIES]) for index, column in measures[:len(PALETTE)]]


def _legend(names: list[str], x: float, y: float) -> Legend:
    legend = Legend()
    legend.x, legend.y = x, y
    legend.fontName, legend.fontSize = "Helvetica", 7
    legend.alignment = "right"
    legend.columnMaximum = 4
    legend.dx = legend.dy = 6
    legend.deltax = 100
    legend.colorNamePairs = [(PALETTE[i % len(PALETTE)], name[:40])
                             for i, name in enumerate(names)]
    return legend


def chart_drawing(result: Result, chart: str, width: float) -> Drawing | None:
    """The report's chart as a ReportLab drawing, or None (a table, a pivot, no groups)."""
    groups = [c for c in result.columns if c.kind == "group"]
    if chart not in ("bar", "line", "area", "pie") or not groups or not result.rows or not any(
            c.kind == "measure" for c in result.columns):
        return None
    height = 80 * mm
    drawing = Drawing(width, height)
    categories, series = _series(result)
    if chart == "pie":
        pie = Pie()
        pie.x, pie.y, pie.width, pie.height = 10 * mm, 8 * mm, 62 * mm, 62 * mm
        values = series[0][1][:MAX_SLICES]
        pie.data = [max(v, 0.0) for v in values] if any(v > 0 for v in values) else [1.0]
        pie.labels = None
        for i in range(len(pie.data)):
            pie.slices[i].fillColor = PALETTE[i % len(PALETTE)]
            pie.slices[i].strokeColor = colors.white
        drawing.add(pie)
        legend = _legend([f"{name}: {_axis_label(value)}" for name, value in
                          zip(categories, values, strict=False)], 85 * mm, height - 8 * mm)
        legend.alignment, legend.columnMaximum = "right", MAX_SLICES
        drawing.add(legend)
        return drawing
    plot: Any = VerticalBarChart() if chart == "bar" else HorizontalLineChart()
    legend_rows = min(len(series), 4) if len(series) > 1 else 0
    plot.x, plot.y = 18 * mm, 22 * mm
    plot.width = width - 24 * mm
    plot.height = height - 30 * mm - legend_rows * 12  # the legend sits above the plot
    plot.data = [values for _name, values in series]
    step = -(-len(categories) // 16)  # at most 16 labels under the axis: every step-th
    plot.categoryAxis.categoryNames = [name[:18] if i % step == 0 else ""
                                       for i, name in enumerate(categories)]
    plot.categoryAxis.labels.fontName = plot.valueAxis.labels.fontName = "Helvetica"
    plot.categoryAxis.labels.fontSize = plot.valueAxis.labels.fontSize = 7
    slanted = len(categories) > 6
    plot.categoryAxis.labels.boxAnchor = "ne" if slanted else "n"
    plot.categoryAxis.labels.angle = 30 if slanted else 0
    plot.valueAxis.labelTextFormat = _axis_label
    plot.valueAxis.forceZero = True
    for i in range(len(series)):
        color = PALETTE[i % len(PALETTE)]
        if chart == "bar":
            plot.bars[i].fillColor = color
            plot.bars[i].strokeColor = None
        else:
            plot.lines[i].strokeColor = color
            plot.lines[i].strokeWidth = 1.5
            # an area's fill is see-through, so a series behind another still shows
            plot.lines[i].fillColor = colors.Color(color.red, color.green, color.blue,
                                                   alpha=0.3)
    if chart == "area":
        plot.inFill = True  # each series filled down to the axis, drawn over the previous
    drawing.add(plot)
    if len(series) > 1:
        drawing.add(_legend([name for name, _values in series], 18 * mm, height - 2 * mm))
    return drawing


def _table_rows(result: Result, chart: str) -> tuple[list[list[str]], list[bool]]:
    if chart == "pivot":
        pivot = charts.pivot(result)
        if pivot is not None:
            header = [pivot["corner"], *pivot["columns"]]
            return [header, *pivot["rows"]], [False] + [True] * len(pivot["columns"])
    numeric = [present.numeric(c) for c in result.columns]
    return ([[result.header(c) for c in result.columns], *present.table(result)], numeric)


def generated_words(user: User, now: dt.datetime | None = None) -> str:
    """When the figures were counted, in the organisation's time zone, in the reader's words."""
    zone = user_zone(user)
    local = timezone.localtime(now or timezone.now(), zone)
    return _("Generated on %(when)s (%(zone)s) for %(user)s, with their rights.") % {
        "when": formats.date_format(local, "DATETIME_FORMAT"), "zone": str(zone),
        "user": user}


def report_pdf(report: Report, checked: Checked, result: Result, user: User, *,
               now: dt.datetime | None = None) -> bytes:
    """The report as ``user`` reads it, as a PDF file's bytes."""
    table_rows, numeric = _table_rows(result, checked.chart)
    wide = len(numeric) > 5
    pagesize = landscape(A4) if wide else A4
    margin = 15 * mm
    width = pagesize[0] - 2 * margin
    buffer = io.BytesIO()
    document = SimpleDocTemplate(buffer, pagesize=pagesize, title=report.name,
                                 author=str(user), leftMargin=margin, rightMargin=margin,
                                 topMargin=margin, bottomMargin=18 * mm)
    styles = getSampleStyleSheet()
    small = styles["Normal"].clone("report-small", fontSize=9, leading=12)
    warning = small.clone("report-warning", textColor=colors.HexColor("#8a4b00"))
    story: list[Any] = [Paragraph(escape(report.name), styles["Title"])]
    if report.description:
        story.append(Paragraph(escape(report.description), small))
    story.append(Paragraph(escape(_("Data: %(dataset)s.") % {"dataset": checked.source.label}),
                           small))
    phrases = present.filter_words(checked)
    story.append(Paragraph(escape(_("Filters: %(filters)s.") % {"filters": "; ".join(phrases)}
                                  if phrases else _("Filters: none, every record you may read.")),
                           small))
    story.append(Paragraph(escape(generated_words(user, now)), small))
    for text in result.warnings():
        story.append(Paragraph(escape(_("Warning: %(text)s") % {"text": text}), warning))
    story.append(Spacer(1, 5 * mm))
    drawing = chart_drawing(result, checked.chart, width)
    if drawing is not None:
        story += [drawing, Spacer(1, 5 * mm)]
    if len(table_rows) > 1:
        story.append(data_table(table_rows, numeric=numeric, width=width))
    else:
        story.append(Paragraph(escape(_("No records match: loosen a filter.")), small))
    if result.truncated:
        story += [Spacer(1, 3 * mm), Paragraph(escape(_(
            "Only the first rows are shown: raise the number of rows or narrow the report.")),
            small)]
    document.build(story, canvasmaker=numbered_canvas(_("Page %(page)s of %(pages)s")))
    return buffer.getvalue()
