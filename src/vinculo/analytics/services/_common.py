"""What the analytics services share: the progress callback and the permission check."""

from __future__ import annotations

from collections.abc import Callable

from vinculo.core.models import User
from vinculo.core.roles import role_has
from vinculo.core.services import PermissionDeniedError

Progress = Callable[[int, str], None]


def require_role(actor: User | None, permission: str) -> None:
    """Refuse ``actor`` without ``permission``; ``None`` is the system (task, command, demo)."""
    if actor is not None and not role_has(actor.role, permission):
        raise PermissionDeniedError(permission)
