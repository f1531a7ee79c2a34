"""Base API classes: scope the organisation after DRF authenticated the caller."""

from __future__ import annotations

from contextlib import ExitStack
from typing import Any

from django.db.models import QuerySet
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from rest_framework import serializers, viewsets

from vinculo.core.audit import acting_as
from vinculo.core.tenancy import organization_scope


class TenantScopedMixin:
    """Token-authenticated calls only know their user inside DRF, so the scope starts here."""

    def get_queryset(self) -> QuerySet:  # type: ignore[override]
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user, no scope
            return self.queryset.model.objects.none()
        return self.scoped_queryset()

    def scoped_queryset(self) -> QuerySet:
        return self.queryset.model.objects.all()

    def initial(self, request, *args, **kwargs):  # type: ignore[no-untyped-def]
        self._scope_stack = ExitStack()
        super().initial(request, *args, **kwargs)  # authentication + permission checks
        user = request.user
        if user.is_authenticated and user.organization_id is not None:
            self._scope_stack.enter_context(organization_scope(user.organization_id))
            self._scope_stack.enter_context(
                acting_as(user, getattr(request._request, "request_id", None))
            )

    def dispatch(self, request, *args, **kwargs):  # type: ignore[no-untyped-def]
        # The scope opened in initial() closes whatever happens: an error DRF does not turn
        # into a response propagates past finalize_response, and must not leave the
        # organisation (and the audit actor) in scope for whatever this thread runs next.
        try:
            return super().dispatch(request, *args, **kwargs)
        finally:
            stack = getattr(self, "_scope_stack", None)
            if stack is not None:
                stack.close()


class TenantViewSet(TenantScopedMixin, viewsets.ModelViewSet):
    """CRUD over a tenant model: UUID lookups, record-level restriction, audit by signals."""

    lookup_field = "uuid"
    lookup_value_regex = "[0-9a-f-]{36}"
    permission_domain = "customers"

    def get_queryset(self) -> QuerySet:  # type: ignore[override]
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user, no scope
            return self.queryset.model.objects.none()
        return self.scoped_queryset().restrict(self.request.user)

    def scoped_queryset(self) -> QuerySet:
        """The rows of the caller's organisation, before the record-level rule."""
        return self.queryset.model.objects.all()


class ScopedRelatedField(serializers.SlugRelatedField):
    """A reference to a row of the caller's organisation (others look nonexistent)."""

    def __init__(self, model: type, slug_field: str = "uuid", **kwargs: Any) -> None:
        self.model = model
        super().__init__(slug_field=slug_field, **kwargs)

    def get_queryset(self) -> QuerySet:
        from vinculo.core.models import User

        user = self.context["request"].user
        if self.model is User:
            return User.objects.filter(organization_id=user.organization_id)
        return self.model.objects.all()


class SlugRelatedFieldSchema(OpenApiSerializerFieldExtension):
    """References by UUID are UUIDs in the OpenAPI schema, also where no model says so."""

    target_class = serializers.SlugRelatedField
    match_subclasses = True

    def map_serializer_field(self, auto_schema: Any, direction: str) -> dict[str, str]:
        if self.target.slug_field == "uuid":
            return {"type": "string", "format": "uuid"}
        return {"type": "string"}
