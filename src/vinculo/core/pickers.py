"""Pieces every page form uses: Bootstrap styling, and records picked by UUID among those the
user may see (an account, a contact, the record an activity is about)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.contenttypes.models import ContentType
from django.utils.translation import gettext_lazy as _

from vinculo.core.models import TenantModel, User


def style(form: forms.Form) -> None:
    """Bootstrap classes on every visible widget."""
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.HiddenInput):
            continue
        if isinstance(widget, forms.CheckboxInput):
            widget.attrs.setdefault("class", "form-check-input")
        elif isinstance(widget, forms.Select | forms.SelectMultiple):
            widget.attrs.setdefault("class", "form-select")
        else:
            widget.attrs.setdefault("class", "form-control")


def related_ref(record: TenantModel | None) -> str:
    """How a page names a related record in a form: ``app_label.model:uuid``."""
    if record is None:
        return ""
    return f"{record._meta.label_lower}:{record.uuid}"


def resolve_related(ref: str, user: User) -> TenantModel | None:
    """The record a ``related_ref`` names, if ``user`` may see it; None otherwise."""
    label, _sep, uuid = (ref or "").partition(":")
    app_label, _dot, model_name = label.partition(".")
    try:
        model = ContentType.objects.get_by_natural_key(app_label, model_name).model_class()
    except ContentType.DoesNotExist:
        return None
    if model is None or not issubclass(model, TenantModel):
        return None
    try:
        return model.objects.all().restrict(user).filter(uuid=uuid).first()
    except (ValueError, forms.ValidationError):
        return None


class RecordPicker:
    """Records (an account, a contact…) chosen by UUID among those the user may see."""

    def pick(self, model: type, value: Any, field: str) -> Any:
        if not value:
            return None
        found = model.objects.all().restrict(self.user).filter(uuid=value).first()  # type: ignore[attr-defined]
        if found is None:
            self.add_error(field, _("Not found."))  # type: ignore[attr-defined]
        return found
