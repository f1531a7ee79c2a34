"""PDF rendering of priced documents (quotes, invoices, credit notes) with ReportLab.

ReportLab is pure Python (no system libraries), so it installs with pip alone. Each app
renders its own document through :func:`render_document` (``sales.documents.pdf``,
``billing.pdf``).
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from typing import Any

from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from vinculo.core.formats import format_money, format_number


def _money(value: Any) -> str:
    return format_number(value, 2)


def render_document(*, title: str, document: Any, facts: Iterable[tuple[str, str]],
                    lines: Iterable[Any]) -> bytes:
    """A one-document PDF: heading, organisation and customer, facts, lines, tax and totals."""
    buffer = io.BytesIO()
    styles = getSampleStyleSheet()
    pdf = SimpleDocTemplate(buffer, pagesize=A4, title=title, leftMargin=18 * mm,
                            rightMargin=18 * mm, topMargin=18 * mm, bottomMargin=18 * mm)
    story: list[Any] = [
        Paragraph(document.organization.name, styles["Heading2"]),
        Paragraph(title, styles["Title"]),
        Paragraph(f"{_('Customer')}: {document.account.name}", styles["Normal"]),
    ]
    for label, value in facts:
        story.append(Paragraph(f"{label}: {value}", styles["Normal"]))
    story.append(Spacer(1, 6 * mm))
    rows = [[_("Description"), _("Quantity"), _("Unit price"), _("Discount (%)"),
             _("Tax (%)"), _("Net")]]
    by_rate: dict[Any, Any] = {}
    for line in lines:
        rows.append([Paragraph(line.description, styles["Normal"]),
                     format_number(line.quantity, "-3"), _money(line.unit_price),
                     format_number(line.discount_percent, "-2"),
                     format_number(line.tax_rate, "-2"), _money(line.net_amount)])
        by_rate[line.tax_rate] = by_rate.get(line.tax_rate, 0) + line.tax_amount
    table = Table(rows, colWidths=[70 * mm, 18 * mm, 24 * mm, 20 * mm, 16 * mm, 26 * mm],
                  repeatRows=1)
    table.setStyle(TableStyle([
        ("FONTNAME", (0, 0), (-1, 0), "Helvetica-Bold"),
        ("LINEBELOW", (0, 0), (-1, 0), 0.5, colors.black),
        ("ALIGN", (1, 1), (-1, -1), "RIGHT"),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]))
    story += [table, Spacer(1, 6 * mm)]
    totals = [[_("Net"), format_money(document.net_amount, document.currency)]]
    for rate, tax in sorted(by_rate.items()):
        totals.append([_("Tax %(rate)s %%") % {"rate": format_number(rate, "-2")},
                       format_money(tax, document.currency)])
    totals.append([_("Total"), format_money(document.total_amount, document.currency)])
    summary = Table(totals, colWidths=[40 * mm, 40 * mm], hAlign="RIGHT")
    summary.setStyle(TableStyle([("ALIGN", (1, 0), (1, -1), "RIGHT"),
                                 ("FONTNAME", (0, -1), (-1, -1), "Helvetica-Bold"),
                                 ("LINEABOVE", (0, -1), (-1, -1), 0.5, colors.black)]))
    story.append(summary)
    if getattr(document, "notes", ""):
        story += [Spacer(1, 6 * mm), Paragraph(document.notes, styles["Normal"])]
    pdf.build(story)
    return buffer.getvalue()
