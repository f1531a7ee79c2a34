"""The PDF of a quote (ReportLab, through ``core.pdf``)."""

from __future__ import annotations

from typing import Any

from django.utils.formats import date_format
from django.utils.translation import gettext as _

from vinculo.core.pdf import render_document


def quote_pdf(quote: Any) -> bytes:
    facts = [(_("Date"), date_format(quote.created_at.date()))]
    if quote.valid_until:
        facts.append((_("Valid until"), date_format(quote.valid_until)))
    return render_document(title=_("Quote %(number)s") % {"number": str(quote)}, document=quote,
                           facts=facts, lines=quote.lines.all())
