"""Encryption of secrets stored in the database (mailbox passwords), with key rotation.

Keys come from ``VINCULO_ENCRYPTION_KEYS`` (comma-separated Fernet keys, newest first; read in
settings). Without it a key is derived from ``SECRET_KEY``, so a trial install needs nothing
set; production installs should set their own keys, because rotating ``SECRET_KEY`` would then
make the stored secrets unreadable. Older keys stay in the list to decrypt; encryption always
uses the first.
"""

from __future__ import annotations

import base64
import hashlib
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


class SecretUnreadableError(Exception):
    """A stored secret cannot be decrypted with any configured key."""


@cache
def _fernet(keys: tuple[str, ...], secret_key: str) -> MultiFernet:
    if not keys:
        derived = hashlib.sha256(b"vinculo-secrets:" + secret_key.encode()).digest()
        keys = (base64.urlsafe_b64encode(derived).decode(),)
    return MultiFernet([Fernet(key.encode()) for key in keys])


def _current() -> MultiFernet:
    return _fernet(tuple(settings.VINCULO_ENCRYPTION_KEYS), settings.SECRET_KEY)


def encrypt(plain: str) -> str:
    """Ciphertext (URL-safe text) of ``plain``; the empty string stays empty."""
    if not plain:
        return ""
    return _current().encrypt(plain.encode()).decode()


def decrypt(token: str) -> str:
    if not token:
        return ""
    try:
        return _current().decrypt(token.encode()).decode()
    except InvalidToken:
        raise SecretUnreadableError(
            "A stored secret cannot be decrypted: VINCULO_ENCRYPTION_KEYS (or SECRET_KEY) "
            "changed since it was saved. Enter it again."
        ) from None
