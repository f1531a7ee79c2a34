"""Forms of the billing pages; the services decide and save."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from vinculo.billing.models import PaymentMethod
from vinculo.core.forms_lines import LinesForm, StyledForm
from vinculo.core.limits import TEXT_MAX_LENGTH


class InvoiceForm(LinesForm):
    payment_terms_days = forms.IntegerField(
        label=_("Payment terms (days)"), min_value=0, max_value=365, required=False,
        help_text=_("Empty: the payment terms of the customer's service package, else 30 "
                    "days."))
    notes = forms.CharField(label=_("Notes"), required=False, max_length=TEXT_MAX_LENGTH,
                            widget=forms.Textarea(attrs={"rows": 2}))


class InvoiceSendForm(StyledForm):
    to = forms.EmailField(label=_("Send to"), max_length=254, required=False,
                          help_text=_("Empty: the invoice's contact, else its account's "
                                      "e-mail."))


class PaymentForm(StyledForm):
    amount = forms.DecimalField(label=_("Amount"), max_digits=14, decimal_places=2)
    paid_on = forms.DateField(label=_("Paid on"), required=False,
                              widget=forms.DateInput(attrs={"type": "date"}))
    method = forms.ChoiceField(label=_("Method"), choices=PaymentMethod.choices)
    reference = forms.CharField(label=_("Reference"), max_length=100, required=False)
