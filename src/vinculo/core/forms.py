"""Form helpers: custom fields as form fields, and service errors shown on the right field."""

from __future__ import annotations

from collections.abc import Callable, MutableMapping
from typing import Any

from django import forms
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django_scopes.forms import SafeModelChoiceField

from vinculo.core.limits import SHORT_TEXT_MAX_LENGTH, TEXT_MAX_LENGTH
from vinculo.core.models import CustomField, CustomFieldType, SavedView
from vinculo.core.pickers import style

CF_PREFIX = "cf_"


def scoped_formfield(field: models.Field, **kwargs: Any) -> forms.Field | None:
    """``formfield_callback`` for model forms of tenant rows.

    Relations start empty (built at import time, outside any organisation's scope); each form
    sets their choices per request, inside it. Dates get the browser's date picker, and URLs
    typed without a scheme are taken as https.
    """
    if isinstance(field, models.ForeignKey):
        return field.formfield(form_class=SafeModelChoiceField, **kwargs)
    if isinstance(field, models.DateField) and not isinstance(field, models.DateTimeField):
        kwargs.setdefault("widget", forms.DateInput(attrs={"type": "date"}))
    if isinstance(field, models.URLField):
        kwargs.setdefault("assume_scheme", "https")
    return field.formfield(**kwargs)


def custom_form_field(definition: CustomField) -> forms.Field:
    common = {"label": definition.label, "required": definition.required}
    kind = definition.type
    if kind == CustomFieldType.NUMBER:
        return forms.IntegerField(**common)
    if kind == CustomFieldType.DECIMAL:
        return forms.DecimalField(**common)
    if kind == CustomFieldType.DATE:
        return forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), **common)
    if kind == CustomFieldType.BOOLEAN:
        return forms.BooleanField(label=definition.label, required=False)
    choices = [(c, c) for c in definition.choices]
    if kind == CustomFieldType.CHOICE:
        return forms.ChoiceField(choices=[("", "—"), *choices], **common)
    if kind == CustomFieldType.MULTI_CHOICE:
        return forms.MultipleChoiceField(
            choices=choices, widget=forms.CheckboxSelectMultiple, **common
        )
    return forms.CharField(max_length=SHORT_TEXT_MAX_LENGTH, **common)


class CustomFieldsFormMixin:
    """Adds one form field per custom-field definition; ``custom_values()`` collects them."""

    custom_field_model = ""
    # Provided by the form this mixes into.
    fields: dict[str, forms.Field]
    initial: MutableMapping[str, Any]
    cleaned_data: dict[str, Any]

    def add_custom_fields(self, initial: dict[str, Any]) -> None:
        self.custom_definitions = list(CustomField.objects.filter(model=self.custom_field_model))
        for definition in self.custom_definitions:
            name = CF_PREFIX + definition.key
            self.fields[name] = custom_form_field(definition)
            if definition.key in initial:
                self.initial[name] = initial[definition.key]

    def custom_values(self) -> dict[str, Any]:
        data = self.cleaned_data
        values = {}
        for definition in self.custom_definitions:
            value = data.get(CF_PREFIX + definition.key)
            if definition.type == CustomFieldType.DATE and value:
                value = value.isoformat()
            elif definition.type == CustomFieldType.DECIMAL and value is not None:
                value = str(value)
            values[definition.key] = value
        return values


def apply_service_errors(form: forms.Form, exc: ValidationError) -> None:
    """Show a service's ``ValidationError`` on the form field it names."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for field, errors in exc.error_dict.items():
        name = field.replace("custom_fields.", CF_PREFIX)
        for error in errors:
            if name in form.fields:
                form.add_error(name, error)
            else:
                label = _field_label(form, field)
                message = " ".join(error.messages)
                form.add_error(None, f"{label}: {message}" if label else message)


def _field_label(form: forms.Form, name: str) -> str:
    """The label people know a field by, or "" when it has none: a page never shows the
    service's key (``lines``, ``customers.account``) to the user."""
    model = getattr(getattr(form, "_meta", None), "model", None)
    if model is not None:
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:
            return ""
        return capfirst(str(getattr(field, "verbose_name", "")))
    return ""


class TagsField(forms.CharField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("label", _("Tags"))
        kwargs.setdefault("help_text", _("Separated by commas."))
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        text = super().to_python(value) or ""
        return [t.strip() for t in text.split(",") if t.strip()]


class SavedViewForm(forms.ModelForm):
    class Meta:
        model = SavedView
        fields = ["name", "list_name", "query"]
        widgets = {"list_name": forms.HiddenInput, "query": forms.HiddenInput}


class CustomFieldForm(forms.ModelForm):
    choices_text = forms.CharField(max_length=TEXT_MAX_LENGTH,
        label=_("Choices"),
        required=False,
        help_text=_("For choice fields: one per line."),
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    class Meta:
        model = CustomField
        fields = ["model", "key", "label", "type", "required"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        style(self)  # the settings page's other forms carry Bootstrap's classes too

    def cleaned_data_for_service(self) -> dict:
        return {k: self.cleaned_data[k] for k in ("model", "key", "label", "type", "required")}

    def choices(self) -> list[str]:
        text = self.cleaned_data.get("choices_text") or ""
        return [line.strip() for line in text.splitlines() if line.strip()]


class DatalistInput(forms.TextInput):
    """A text input that suggests ``options`` (a ``<datalist>``) and still takes any words:
    for choice lists whose values are kept as text (an account's industry)."""

    def __init__(self, options: Callable[[], list[str]] | list[str] | None = None, *,
                 list_id: str, attrs: dict[str, Any] | None = None) -> None:
        super().__init__({**(attrs or {}), "list": list_id, "autocomplete": "off"})
        # a callable is read only when the input is drawn (the API, which filters with the
        # same filterset, never reads the list)
        self.options = options or []
        self.list_id = list_id

    def render(self, name: str, value: Any, attrs: dict[str, Any] | None = None,
               renderer: Any = None) -> SafeString:
        values = self.options() if callable(self.options) else self.options
        options = format_html_join("", '<option value="{}">', ((o,) for o in values))
        return format_html('{}<datalist id="{}">{}</datalist>',
                           super().render(name, value, attrs, renderer), self.list_id, options)
