"""Puts the signed-in user's organisation in scope and names the actor for the audit log."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import translation

from vinculo.core.audit import acting_as
from vinculo.core.tenancy import organization_scope


class OrganizationScopeMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.request_id = str(uuid.uuid4())
        user = getattr(request, "user", None)
        org_id = getattr(user, "organization_id", None) if user is not None else None
        if user is None or not user.is_authenticated or org_id is None:
            # No scope: any read of tenant data raises instead of leaking rows.
            return self.get_response(request)
        if user.language and "django_language" not in request.COOKIES:
            translation.activate(user.language)
            request.LANGUAGE_CODE = user.language
        with organization_scope(org_id), acting_as(user, request.request_id):
            return self.get_response(request)
