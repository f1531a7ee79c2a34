"""PDF rendering of priced documents (quotes, invoices, credit notes) with ReportLab.

ReportLab is pure Python (no system libraries), so it installs with pip alone. Each app
renders its own document through :func:`render_document` (``sales.documents.pdf``,
``billing.pdf``).
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from typing import Any
from xml.sax.saxutils import escape

from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Image, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from vinculo.core.countries import country_name
from vinculo.core.formats import format_money, format_number


def _money(value: Any) -> str:
    return format_number(value, 2)


def _address(record: Any, prefix: str = "") -> list[str]:
    """Street, postal code and city, region, country (by name): the lines that are filled."""
    street, postal_code, city, region, country = (
        getattr(record, f"{prefix}{name}", "") or ""
        for name in ("street", "postal_code", "city", "region", "country"))
    country = country or getattr(record, "country", "")  # an account's own, if no billing one
    lines = [street, " ".join(p for p in (postal_code, city) if p), region,
             country_name(country)]
    return [line for line in lines if line]


def _logo(organization: Any) -> Any:
    """The organisation's logo scaled into 40 × 20 mm, or None (none set, or unreadable)."""
    if not organization.logo:
        return None
    try:
        with organization.logo.open("rb") as handle:
            data = io.BytesIO(handle.read())
        reader = ImageReader(data)
        width, height = reader.getSize()
    except (OSError, ValueError):
        return None
    scale = min(40 * mm / width, 20 * mm / height)
    data.seek(0)
    return Image(data, width=width * scale, height=height * scale, hAlign="LEFT")


def _parties(organization: Any, account: Any, styles: Any) -> Any:
    """Who issues (logo, legal name, address, tax id) beside who receives (the customer's
    name, billing address and tax id): what a quote or an invoice must carry."""
    seller = [escape(organization.legal_name or organization.name),
              *map(escape, _address(organization))]
    if organization.tax_id:
        seller.append(escape(f"{_('Tax id')}: {organization.tax_id}"))
    buyer = [f"<b>{escape(_('Customer'))}</b>", escape(account.name),
             *map(escape, _address(account, "billing_"))]
    if account.tax_id:
        buyer.append(escape(f"{_('Tax id')}: {account.tax_id}"))
    left: list[Any] = [Paragraph(f"<b>{seller[0]}</b><br/>" + "<br/>".join(seller[1:]),
                                 styles["Normal"])]
    logo = _logo(organization)
    if logo is not None:
        left.insert(0, logo)
    table = Table([[left, Paragraph("<br/>".join(buyer), styles["Normal"])]],
                  colWidths=[87 * mm, 87 * mm])
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
    return table


LINE_COLUMNS = [64 * mm, 18 * mm, 24 * mm, 22 * mm, 20 * mm, 26 * mm]


def line_headings(styles: Any) -> list[Paragraph]:
    """The lines table's headings as paragraphs, so a long one ("Descuento (%)", "Base
    imponible") wraps inside its column instead of running over its neighbour's."""
    left = ParagraphStyle("line-heading", parent=styles["Normal"], fontName="Helvetica-Bold",
                          fontSize=9, leading=11)
    right = ParagraphStyle("line-heading-number", parent=left, alignment=TA_RIGHT)
    names = [_("Description"), _("Quantity"), _("Unit price"), _("Discount (%)"), _("Tax (%)"),
             _("Net")]
    return [Paragraph(escape(name), left if i == 0 else right) for i, name in enumerate(names)]


def render_document(*, title: str, document: Any, facts: Iterable[tuple[str, str]],
                    lines: Iterable[Any]) -> bytes:
    """A one-document PDF: the organisation (logo, fiscal data) and the customer (billing
    address, tax id), heading, facts, lines, tax and totals."""
    buffer = io.BytesIO()
    styles = getSampleStyleSheet()
    pdf = SimpleDocTemplate(buffer, pagesize=A4, title=title, leftMargin=18 * mm,
                            rightMargin=18 * mm, topMargin=18 * mm, bottomMargin=18 * mm)
    story: list[Any] = [
        _parties(document.organization, document.account, styles),
        Paragraph(escape(title), styles["Title"]),
    ]
    for label, value in facts:
        story.append(Paragraph(escape(f"{label}: {value}"), styles["Normal"]))
    story.append(Spacer(1, 6 * mm))
    rows: list[list[Any]] = [line_headings(styles)]
    by_rate: dict[Any, Any] = {}
    for line in lines:
        rows.append([Paragraph(escape(line.description), styles["Normal"]),
                     format_number(line.quantity, "-3"), _money(line.unit_price),
                     format_number(line.discount_percent, "-2"),
                     format_number(line.tax_rate, "-2"), _money(line.net_amount)])
        by_rate[line.tax_rate] = by_rate.get(line.tax_rate, 0) + line.tax_amount
    table = Table(rows, colWidths=LINE_COLUMNS, repeatRows=1)
    table.setStyle(TableStyle([
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
        # escaped: a description or a note is what a user typed, and ReportLab reads markup in
        # a paragraph (an <img src> would be fetched from the server's disk or network)
        story += [Spacer(1, 6 * mm),
                  Paragraph(escape(document.notes).replace("\n", "<br/>"), styles["Normal"])]
    pdf.build(story)
    return buffer.getvalue()


def render_letters(*, organization: Any, title: str,
                   letters: Iterable[tuple[list[str], str, str]]) -> bytes:
    """A mail-merged print run: one A4 page per ``(address lines, subject, body)``, each with
    the organisation's letterhead (logo, name, address) and the date, the address block placed
    for a window envelope (DIN 5008 / C5-C6, left window). ``body`` is plain text; blank lines
    separate paragraphs."""
    from django.utils import timezone
    from django.utils.formats import date_format
    from reportlab.platypus import PageBreak

    buffer = io.BytesIO()
    styles = getSampleStyleSheet()
    pdf = SimpleDocTemplate(buffer, pagesize=A4, title=title, leftMargin=20 * mm,
                            rightMargin=20 * mm, topMargin=15 * mm, bottomMargin=18 * mm)
    sender = [escape(organization.legal_name or organization.name),
              *map(escape, _address(organization))]
    today = date_format(timezone.localdate(), "DATE_FORMAT")
    story: list[Any] = []
    for index, (address, subject, body) in enumerate(letters):
        if index:
            story.append(PageBreak())
        logo = _logo(organization)
        if logo is not None:
            story.append(logo)
        story += [Paragraph(f"<b>{sender[0]}</b><br/>" + "<br/>".join(sender[1:]),
                            styles["Normal"]),
                  Spacer(1, 18 * mm),
                  Paragraph("<br/>".join(escape(line) for line in address), styles["Normal"]),
                  Spacer(1, 14 * mm),
                  Paragraph(escape(today), ParagraphStyle("date", parent=styles["Normal"],
                                                          alignment=TA_RIGHT)),
                  Spacer(1, 6 * mm)]
        if subject:
            story.append(Paragraph(f"<b>{escape(subject)}</b>", styles["Normal"]))
            story.append(Spacer(1, 5 * mm))
        for paragraph in body.replace("\r\n", "\n").split("\n\n"):
            if paragraph.strip():
                story.append(Paragraph(escape(paragraph.strip()).replace("\n", "<br/>"),
                                       styles["Normal"]))
                story.append(Spacer(1, 3 * mm))
    if not story:
        story.append(Paragraph(escape(title), styles["Normal"]))
    pdf.build(story)
    return buffer.getvalue()


def numbered_canvas(label: str) -> type[Canvas]:
    """A canvas class that writes ``label`` ("Page %(page)s of %(pages)s", already in the
    reader's language) at the foot of every page. The total is known only once the document is
    laid out, so the pages are kept and drawn at the end."""

    class NumberedCanvas(Canvas):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._pages: list[dict[str, Any]] = []

        def showPage(self) -> None:
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._pages)
            for state in self._pages:
                self.__dict__.update(state)
                self.setFont("Helvetica", 8)
                self.setFillGray(0.4)
                width = self._pagesize[0]
                self.drawRightString(width - 18 * mm, 10 * mm,
                                     label % {"page": self._pageNumber, "pages": total})
                super().showPage()
            super().save()

    return NumberedCanvas


def data_table(rows: list[list[Any]], *, numeric: list[bool], width: float,
               font_size: float = 8) -> Table:
    """A table of figures for a PDF: headings in bold, repeated on every page, numbers to the
    right, every cell a paragraph so long text wraps inside its column."""
    styles = getSampleStyleSheet()
    base = ParagraphStyle("cell", parent=styles["Normal"], fontSize=font_size,
                          leading=font_size + 2)
    right = ParagraphStyle("cell-number", parent=base, alignment=TA_RIGHT)
    heading = ParagraphStyle("cell-heading", parent=base, fontName="Helvetica-Bold")
    heading_right = ParagraphStyle("cell-heading-number", parent=heading, alignment=TA_RIGHT)
    cells = []
    for index, row in enumerate(rows):
        cells.append([Paragraph(escape(str(value)),
                                (heading_right if numeric[i] else heading) if index == 0
                                else (right if numeric[i] else base))
                      for i, value in enumerate(row)])
    columns = max(1, len(numeric))
    table = Table(cells, colWidths=[width / columns] * columns, repeatRows=1)
    table.setStyle(TableStyle([
        ("LINEBELOW", (0, 0), (-1, 0), 0.5, colors.black),
        ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#f3f5f7")]),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]))
    return table


def address_lines(record: Any, prefix: str = "") -> list[str]:
    """A record's postal address as the lines a letter prints (street, postal code and city,
    region, country by name)."""
    return _address(record, prefix)
