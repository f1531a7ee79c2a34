"""Integration keys on the API: ``Authorization: Bearer vk_…`` (or ``Token vk_…``).

Listed before the personal-token authentication (``settings.REST_FRAMEWORK``), which would
refuse a key it does not know. A revoked or expired key is a 401; the key is the request's
``auth``, whose ``permits`` limits the role of its service account to the key's scopes
(``core.permissions.credential_permits``).
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from vinculo.integrations.models import IntegrationKey


class IntegrationKeyAuthentication(authentication.BaseAuthentication):
    keywords = (b"bearer", b"token")

    def authenticate(self, request: Request) -> tuple[Any, IntegrationKey] | None:
        parts = authentication.get_authorization_header(request).split()
        if len(parts) != 2 or parts[0].lower() not in self.keywords:
            return None
        clear = parts[1].decode("latin-1")
        if not clear.startswith(IntegrationKey.PREFIX):
            return None  # a personal token: the next authentication's
        from vinculo.integrations.services import integration_key_touch

        key = (IntegrationKey.all_objects.select_related("user", "user__organization")
               .filter(key_hash=IntegrationKey.hash_key(clear)).first())
        if key is None or not key.is_usable:
            raise exceptions.AuthenticationFailed(_("Invalid, expired or revoked key."))
        integration_key_touch(key)
        return key.user, key

    def authenticate_header(self, request: Request) -> str:
        return "Token"


class IntegrationKeyScheme(OpenApiAuthenticationExtension):
    target_class = "vinculo.integrations.authentication.IntegrationKeyAuthentication"
    name = "integrationKey"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "http", "scheme": "bearer",
                "description": "An integration key of the organisation (vk_…), scoped per "
                               "domain: read, or read and write."}
