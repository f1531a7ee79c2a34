"""Base API classes: scope the organisation after DRF authenticated the caller."""

from __future__ import annotations

from contextlib import ExitStack

from django.db.models import QuerySet
from rest_framework import viewsets

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

    def finalize_response(self, request, response, *args, **kwargs):  # type: ignore[no-untyped-def]
        try:
            return super().finalize_response(request, response, *args, **kwargs)
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
