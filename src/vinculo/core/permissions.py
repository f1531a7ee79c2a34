"""Role checks for pages and the API, from the one table in ``roles.py``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponseBase
from rest_framework import permissions
from rest_framework.request import Request

if TYPE_CHECKING:  # DRF imports these modules while rest_framework.views loads
    from rest_framework.views import APIView

from vinculo.core.roles import role_has

METHOD_ACTIONS = {
    "GET": "view",
    "HEAD": "view",
    "OPTIONS": "view",
    "POST": "add",
    "PUT": "change",
    "PATCH": "change",
    "DELETE": "delete",
}


def required_permission(view: Any, method: str) -> str | None:
    action = getattr(view, "action", None)
    explicit = getattr(view, "action_permissions", {}).get(action)
    if explicit:
        return explicit
    domain = getattr(view, "permission_domain", None)
    if not isinstance(domain, str):  # None: any signed-in staff user, on their own data
        return None
    return f"{domain}.{METHOD_ACTIONS.get(method, 'change')}"


def credential_permits(request: Request, permission: str | None) -> bool:
    """What the credential itself allows, beside the user's role: a scoped credential (an
    integration key, ``integrations``) answers ``permits(permission, method)``; a session or a
    personal token has no scope of its own."""
    permits = getattr(request.auth, "permits", None)
    return permits is None or bool(permits(permission, request.method))


class RolePermission(permissions.BasePermission):
    """Staff user of an organisation whose role holds the permission the view asks for, by a
    credential whose scope allows it."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        user = request.user
        if not user or not user.is_authenticated or user.organization_id is None:
            return False
        if request.method not in view.allowed_methods:
            return True  # the view answers 405 itself
        permission = required_permission(view, request.method)
        if not credential_permits(request, permission):
            return False
        return permission is None or role_has(user.role, permission)


class RoleRequiredMixin(LoginRequiredMixin):
    """Page mixin: the user needs ``permission`` (or the method's default for the domain)."""

    permission: str | None = None
    permission_domain: str | None = None

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if request.user.organization_id is None:
            raise PermissionDenied
        permission = self.permission or required_permission(self, request.method)
        if permission is not None and not role_has(request.user.role, permission):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)
