"""Forms of the document pages: a header and a fixed number of line rows. Services decide."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from vinculo.core.forms_lines import LinesForm
from vinculo.core.limits import TEXT_MAX_LENGTH
from vinculo.sales.models import Opportunity
from vinculo.sales.selectors import visible_opportunities


class QuoteForm(LinesForm):
    valid_until = forms.DateField(label=_("Valid until"), required=False,
                                  widget=forms.DateInput(attrs={"type": "date"}))
    notes = forms.CharField(label=_("Notes"), required=False, max_length=TEXT_MAX_LENGTH,
                            widget=forms.Textarea(attrs={"rows": 2}))
    # "New quote" on an opportunity carries it here, so the quote is linked to it.
    opportunity = forms.UUIDField(required=False, widget=forms.HiddenInput)

    def clean_opportunity(self) -> Opportunity | None:
        """The opportunity the quote is for, among those the user may see (else an error)."""
        value = self.cleaned_data.get("opportunity")
        if not value:
            return None
        opportunity = visible_opportunities(self.user).filter(uuid=value).first()
        if opportunity is None:
            raise forms.ValidationError(_("Choose an opportunity you can see."))
        return opportunity

    def opportunity_record(self) -> Opportunity | None:
        """The opportunity named by the form's initial data (the "New quote" link), to show."""
        value = self.initial.get("opportunity")
        if not value:
            return None
        try:
            return visible_opportunities(self.user).filter(uuid=value).first()
        except (ValueError, ValidationError):
            return None


class AcceptForm(forms.Form):
    promised_date = forms.DateField(
        label=_("Promised delivery date"), required=False,
        help_text=_("Empty: the delivery lead time of the customer's service package."),
        widget=forms.DateInput(attrs={"type": "date"}))


class SendForm(forms.Form):
    to = forms.EmailField(label=_("Send to"), required=False)
