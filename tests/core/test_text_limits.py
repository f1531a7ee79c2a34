"""No text is unbounded (issue 17): every model text field, every form built from it and every
request serializer carries a limit from ``vinculo.core.limits``, and enforces it; a 2 MB note is
refused with an error naming the field, on the page and in the API, and nothing is written."""

from __future__ import annotations

import pytest
from django import forms
from django.apps import apps
from django.db import models
from django.urls import reverse
from drf_spectacular.settings import spectacular_settings
from rest_framework import serializers

from tests import openapi
from vinculo.core.limits import LIMITS, TEXT_MAX_LENGTH
from vinculo.core.tenancy import organization_scope
from vinculo.customers.models import Lead

TWO_MB = "x" * (2 * 1024 * 1024)


def _text_fields() -> list[models.TextField]:
    return [field for model in apps.get_models() for field in model._meta.concrete_fields
            if isinstance(field, models.TextField) and model.__module__.startswith("vinculo.")]


def test_every_model_text_field_has_a_shared_limit_and_its_form_field_enforces_it():
    fields = _text_fields()
    assert len(fields) > 20
    unbounded = [str(f) for f in fields if f.max_length not in LIMITS]
    assert unbounded == []
    for field in fields:
        if not field.editable:
            continue
        form_field = field.formfield()
        assert isinstance(form_field, forms.CharField), field
        assert form_field.max_length == field.max_length
        form_field.clean("x" * field.max_length or "x")
        with pytest.raises(forms.ValidationError):
            form_field.clean("x" * (field.max_length + 1))


def _form_classes() -> list[type[forms.BaseForm]]:
    """Every form class of the product (each app's ``forms*`` modules, imported here)."""
    import importlib
    import pkgutil

    import vinculo

    for module in pkgutil.walk_packages(vinculo.__path__, "vinculo."):
        if module.name.rsplit(".", 1)[-1].startswith("forms"):
            importlib.import_module(module.name)
    found, todo = [], [forms.BaseForm]
    while todo:
        for sub in todo.pop().__subclasses__():
            todo.append(sub)
            if sub.__module__.startswith("vinculo."):
                found.append(sub)
    return found


def test_every_text_field_a_form_declares_is_bounded_and_enforces_it():
    classes = _form_classes()
    assert len(classes) > 20
    checked, unbounded = 0, []
    for form_class in classes:
        for name, field in form_class.base_fields.items():
            if type(field) is not forms.CharField:
                continue
            if field.max_length is None:
                unbounded.append(f"{form_class.__module__}.{form_class.__name__}.{name}")
                continue
            with pytest.raises(forms.ValidationError):
                field.clean("x" * (field.max_length + 1))
            checked += 1
    assert unbounded == []
    assert checked > 40


def _request_serializers() -> list[tuple[str, serializers.Serializer]]:
    """Every serializer drf-spectacular documents as a request body, by component name."""
    generator = spectacular_settings.DEFAULT_GENERATOR_CLASS()
    generator.get_schema(request=None, public=True)
    found = []
    for component in generator.registry._components.values():
        if component.type == "schemas" and component.name.endswith("Request"):
            obj = component.object
            if isinstance(obj, serializers.BaseSerializer) or (
                    isinstance(obj, type) and issubclass(obj, serializers.BaseSerializer)):
                found.append((component.name, obj() if isinstance(obj, type) else obj))
    return found


def _char_fields(serializer: serializers.Serializer, prefix: str = ""):
    for name, field in serializer.fields.items():
        if field.read_only:
            continue
        if isinstance(field, serializers.ListSerializer):
            field = field.child
        if isinstance(field, serializers.Serializer):
            yield from _char_fields(field, f"{prefix}{name}.")
        elif isinstance(field, serializers.ListField):
            if type(field.child) is serializers.CharField:
                yield f"{prefix}{name}[]", field.child
        elif type(field) is serializers.CharField:  # not e-mail, URL, slug, regex…
            yield f"{prefix}{name}", field


@pytest.mark.django_db  # a unique field's validator asks the database (the organisation's name)
def test_every_request_serializer_text_field_is_bounded_and_enforces_it():
    checked, unbounded = 0, []
    schema = openapi.description().schema
    for component, serializer in _request_serializers():
        for name, field in _char_fields(serializer):
            if field.max_length is None:
                unbounded.append(f"{component}.{name}")
                continue
            prop = schema["components"]["schemas"][component]["properties"].get(name)
            if prop is not None:  # nested and list fields live in other components
                assert prop.get("maxLength") == field.max_length, (component, name)
            with pytest.raises(serializers.ValidationError):
                field.run_validation("x" * (field.max_length + 1))
            checked += 1
    assert unbounded == []
    assert checked > 50


def test_a_2mb_note_is_refused_by_the_api_naming_the_field_and_nothing_is_written(api, org):
    response = api.post("/api/leads/", {"last_name": "Big", "notes": TWO_MB}, format="json")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert f"no more than {TEXT_MAX_LENGTH} characters" in response.json()["notes"][0]
    with organization_scope(org):
        assert not Lead.objects.exists()


def test_a_2mb_note_is_refused_on_the_page_naming_the_field_and_nothing_is_written(page, org):
    response = page.post(reverse("customers:lead_create"), {"last_name": "Big", "notes": TWO_MB})
    assert response.status_code == 400  # the form again, with its errors
    form = response.context["form"]
    assert f"at most {TEXT_MAX_LENGTH} characters" in form.errors["notes"][0]
    assert form.errors["notes"][0] in response.content.decode()
    assert f'maxlength="{TEXT_MAX_LENGTH}"' in response.content.decode()
    with organization_scope(org):
        assert not Lead.objects.exists()


def test_a_body_over_the_upload_limit_is_a_400_not_a_500(api, page, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
    response = api.post("/api/leads/", {"last_name": "Big", "notes": TWO_MB}, format="json")
    assert response.status_code in (400, 413), response.status_code
    assert response["Content-Type"] == "application/json"
    assert "detail" in response.json()
    response = page.post(reverse("customers:lead_create"), {"last_name": "Big", "notes": TWO_MB})
    assert response.status_code in (400, 413)


def test_a_custom_text_field_takes_the_shared_short_limit(as_admin):
    from django.core.exceptions import ValidationError

    from vinculo.core.limits import SHORT_TEXT_MAX_LENGTH
    from vinculo.core.services import custom_field_create, custom_fields_clean

    field = custom_field_create(organization=as_admin.organization, model="lead", key="origen",
                                label="Origen", type="text")
    values = {"origen": "x" * SHORT_TEXT_MAX_LENGTH}
    clean = custom_fields_clean(organization_id=field.organization_id, model="lead",
                                values=values)
    assert clean == values
    with pytest.raises(ValidationError) as refused:
        custom_fields_clean(organization_id=field.organization_id, model="lead",
                            values={"origen": "x" * (SHORT_TEXT_MAX_LENGTH + 1)})
    assert "custom_fields.origen" in refused.value.message_dict
