"""Forms of the document pages: a header and a fixed number of line rows. Services decide."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from vinculo.core.forms_lines import LinesForm
from vinculo.core.limits import TEXT_MAX_LENGTH


class QuoteForm(LinesForm):
    valid_until = forms.DateField(label=_("Valid until"), required=False,
                                  widget=forms.DateInput(attrs={"type": "date"}))
    notes = forms.CharField(label=_("Notes"), required=False, max_length=TEXT_MAX_LENGTH,
                            widget=forms.Textarea(attrs={"rows": 2}))


class AcceptForm(forms.Form):
    promised_date = forms.DateField(label=_("Promised delivery date"),
                                    widget=forms.DateInput(attrs={"type": "date"}))


class SendForm(forms.Form):
    to = forms.EmailField(label=_("Send to"), required=False)
