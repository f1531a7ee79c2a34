"""Forms of the administrators' settings pages (mailboxes, queues, SLA policies…).

``SettingsForm`` collects what a settings service takes without touching the record (a
ModelForm would write the typed values onto the instance before the service compares them
with the stored ones); the service decides.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.forms.models import fields_for_model, model_to_dict

from vinculo.core.forms import apply_service_errors, scoped_formfield
from vinculo.core.models import User
from vinculo.core.pickers import style


class SettingsForm(forms.Form):
    """The model's fields named in ``field_names`` (labels, help and limits from the model), a
    hidden ``version``, and the record kept as ``instance`` for the page."""

    model: type[models.Model]
    field_names: tuple[str, ...] = ()
    #: service error keys → form fields, for keys that are not a field's name (``targets.high``)
    error_fields: dict[str, str] = {}

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, data: Any = None, *, instance: models.Model, user: User,
                 initial: dict[str, Any] | None = None, **kwargs: Any) -> None:
        self.instance = instance
        self.user = user
        values = self.initial_values() if instance.pk else {}
        super().__init__(data, initial={**values, **(initial or {})}, **kwargs)
        model_fields = fields_for_model(self.model, fields=self.field_names,
                                        formfield_callback=scoped_formfield)
        self.fields = {**model_fields, **self.fields}
        self.setup()
        style(self)

    def initial_values(self) -> dict[str, Any]:
        values = model_to_dict(self.instance, fields=self.field_names)
        for name in values:  # a relation as its row, shown by the choice's key (UUID, name)
            if isinstance(self.model._meta.get_field(name), models.ForeignKey):
                values[name] = getattr(self.instance, name)
        return {**values, "version": self.instance.version}

    def setup(self) -> None:
        """Per-request choices (inside the organisation's scope)."""

    def data_for_service(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.field_names}

    def show_service_errors(self, exc: ValidationError) -> None:
        """A service's ``ValidationError`` on the field it names (``error_fields`` maps keys
        that are not form fields)."""
        if hasattr(exc, "error_dict"):
            exc = ValidationError({self.error_fields.get(key, key): errors
                                   for key, errors in exc.error_dict.items()})
        apply_service_errors(self, exc)


def users_field(field: forms.ModelChoiceField, user: User) -> None:
    """Choose among the active users of ``user``'s organisation, by UUID."""
    field.queryset = User.objects.filter(organization_id=user.organization_id,
                                         is_active=True).order_by("first_name", "email")
    field.to_field_name = "uuid"
