"""Every API error is JSON that names the field; conflicts and scope errors map to status codes."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from vinculo.core.deletion import InUseError
from vinculo.core.services import ConflictError, PermissionDeniedError


def _django_errors(exc: DjangoValidationError) -> Any:
    if hasattr(exc, "error_dict"):
        return {
            field: [str(m) for e in errors for m in e.messages]
            for field, errors in exc.error_dict.items()
        }
    return {"non_field_errors": [str(m) for m in exc.messages]}


def exception_handler(exc: Exception, context: dict) -> Response | None:
    if isinstance(exc, ConflictError):
        return Response(
            {"detail": str(exc), "code": "conflict", "current_version": exc.current_version},
            status=status.HTTP_409_CONFLICT,
        )
    if isinstance(exc, InUseError):
        return Response(
            {"detail": exc.message, "code": exc.code, "deactivate": exc.can_deactivate,
             "references": [{"model": label, "name": name, "count": count}
                            for label, name, count in exc.references]},
            status=status.HTTP_409_CONFLICT,
        )
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(_django_errors(exc))
    if isinstance(exc, PermissionDeniedError):
        exc = exceptions.PermissionDenied(str(exc))
    return drf_exception_handler(exc, context)
