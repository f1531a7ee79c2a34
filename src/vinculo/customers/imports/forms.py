"""Forms of the import pages: the upload, then the column mapping and options."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from vinculo.customers.models import DuplicateMode

TARGET_CHOICES = [("account", gettext_lazy("Accounts")), ("contact", gettext_lazy("Contacts")),
                  ("lead", gettext_lazy("Leads"))]


class UploadForm(forms.Form):
    target = forms.ChoiceField(label=gettext_lazy("Import into"), choices=TARGET_CHOICES,
                               widget=forms.Select(attrs={"class": "form-select"}))
    file = forms.FileField(
        label=gettext_lazy("File"),
        help_text=gettext_lazy("CSV (comma or semicolon; UTF-8 or Latin-1), XLSX, or vCard "
                               "(.vcf) for contacts. The first line holds the column names."),
        widget=forms.ClearableFileInput(attrs={"class": "form-control",
                                               "accept": ".csv,.txt,.xlsx,.vcf"}))


class OptionsForm(forms.Form):
    duplicate_mode = forms.ChoiceField(
        label=gettext_lazy("When a row matches an existing record"),
        choices=DuplicateMode.choices, widget=forms.RadioSelect, initial=DuplicateMode.SKIP)
    all_or_nothing = forms.BooleanField(
        label=gettext_lazy("Import nothing if any row is bad"), required=False,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}))

    def __init__(self, *args: Any, headers: list[str], choices: list[tuple[str, str]],
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.headers = headers
        options = [("", _("— do not import —")), *choices]
        for index, header in enumerate(headers):
            self.fields[f"col_{index}"] = forms.ChoiceField(
                label=header or _("(column %(n)d)") % {"n": index + 1}, choices=options,
                required=False, widget=forms.Select(attrs={"class": "form-select form-select-sm"}))

    def mapping(self) -> dict[str, str]:
        return {header: self.cleaned_data.get(f"col_{i}") or ""
                for i, header in enumerate(self.headers)}

    def column_fields(self) -> list[Any]:
        return [self[f"col_{i}"] for i in range(len(self.headers))]
