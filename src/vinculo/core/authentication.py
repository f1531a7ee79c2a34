"""API token authentication: ``Authorization: Token <key>``, looked up by hash."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from vinculo.core.models import ApiToken, User


class ApiTokenAuthentication(authentication.TokenAuthentication):
    keyword = "Token"

    def authenticate_credentials(self, key: str) -> tuple[User, ApiToken]:
        token = (
            ApiToken.objects.select_related("user", "user__organization")
            .filter(key_hash=ApiToken.hash_key(key), revoked_at__isnull=True)
            .first()
        )
        if token is None or not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("Invalid or revoked token."))
        now = timezone.now()
        if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return token.user, token


class UserBackend(ModelBackend):
    """Django's model backend, reading the user's organisation in the same query: every page
    needs its time zone and language (``core.middleware``)."""

    def get_user(self, user_id: Any) -> User | None:
        user = (User._default_manager.select_related("organization")
                .filter(pk=user_id).first())
        return user if user is not None and self.user_can_authenticate(user) else None


#: The backend a session names when the product signs someone in itself (accepting an
#: invitation): one of settings.AUTHENTICATION_BACKENDS, or Django drops the session.
BACKEND = f"{UserBackend.__module__}.{UserBackend.__qualname__}"
