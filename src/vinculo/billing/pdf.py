"""The PDF of an invoice or credit note (ReportLab, through ``core.pdf``)."""

from __future__ import annotations

from django.utils.formats import date_format
from django.utils.translation import gettext as _

from vinculo.billing.models import Invoice
from vinculo.core.pdf import render_document


def invoice_pdf(invoice: Invoice) -> bytes:
    number = invoice.number or _("(draft)")
    if invoice.is_credit_note:
        title = _("Credit note %(number)s") % {"number": number}
    else:
        title = _("Invoice %(number)s") % {"number": number}
    facts = []
    if invoice.issue_date:
        facts.append((_("Issue date"), date_format(invoice.issue_date)))
    if invoice.due_date and not invoice.is_credit_note:
        facts.append((_("Due date"), date_format(invoice.due_date)))
    if invoice.credited_invoice_id:
        facts.append((_("Corrects invoice"), invoice.credited_invoice.number))
    if invoice.order_id:
        facts.append((_("Order"), invoice.order.number))
    return render_document(title=title, document=invoice, facts=facts,
                           lines=invoice.lines.all())
