"""Puts the signed-in user's organisation in scope, names the actor for the audit log, and
shows the pages in the organisation's time zone and (unless the user chose one) language."""

from __future__ import annotations

import uuid
import zoneinfo
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation

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
        organization = user.organization  # joined to the user (core.authentication)
        language = user.language or organization.language
        if not language or "django_language" in request.COOKIES:
            language = translation.get_language()  # LocaleMiddleware's choice stands
        request.LANGUAGE_CODE = language
        # override, not activate: the thread (a gthread worker's, a test's) gets its language
        # back after the response, so nothing written later speaks this user's language.
        with organization_scope(org_id), acting_as(user, request.request_id), \
                timezone.override(_zone(organization.time_zone)), \
                translation.override(language):
            return self.get_response(request)


def _zone(name: str) -> zoneinfo.ZoneInfo | None:
    """The organisation's time zone; the install's (``TIME_ZONE``) if it is no longer known."""
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None
