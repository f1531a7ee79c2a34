"""A quote's or an invoice's PDF shows what users typed as text: ReportLab reads markup in a
paragraph, and an ``<img src>`` in a line or a note would make the server fetch a file."""

from __future__ import annotations

import io
from decimal import Decimal
from types import SimpleNamespace

from pypdf import PdfReader

from vinculo.core.pdf import render_document


def test_typed_markup_is_printed_not_obeyed():
    party = SimpleNamespace(name="Hnos. Gil", legal_name="", tax_id="", logo=None,
                            country="ES")
    line = SimpleNamespace(description='<b>Tornillos</b> <img src="/etc/hostname"/>',
                           quantity=Decimal(1), unit_price=Decimal(2), discount_percent=0,
                           tax_rate=Decimal(21), net_amount=Decimal(2),
                           tax_amount=Decimal("0.42"))
    document = SimpleNamespace(organization=party, account=party, net_amount=Decimal(2),
                               total_amount=Decimal("2.42"), currency="EUR",
                               notes="Entrega <font size=40>urgente</font>")
    pdf = render_document(title="Factura F-1", document=document,
                          facts=[("Pedido", "<i>P-1</i>")], lines=[line])
    text = "".join("".join(page.extract_text().split())
                   for page in PdfReader(io.BytesIO(pdf)).pages)  # a cell wraps its line
    assert "<b>Tornillos</b>" in text
    assert '<imgsrc="/etc/hostname"/>' in text
    assert "<fontsize=40>urgente</font>" in text
    assert "<i>P-1</i>" in text
