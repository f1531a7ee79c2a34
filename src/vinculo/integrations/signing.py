"""The webhook signature, with no Django import: what Vínculo sends and what a receiver checks.

Header ``Vinculo-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>``, the HMAC keyed with the
subscription's secret over ``"<t>.<raw body>"``. The timestamp is signed, so a receiver refuses
an old signature (``tolerance``) and a body cannot be replayed under a new time.
"""

from __future__ import annotations

import hashlib
import hmac
import time

HEADER = "Vinculo-Signature"
TOLERANCE_SECONDS = 300


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """Hex HMAC-SHA256 of ``"<timestamp>.<body>"``."""
    message = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def header(secret: str, body: bytes, timestamp: int | None = None) -> str:
    """The value of the ``Vinculo-Signature`` header for ``body`` now."""
    t = int(time.time()) if timestamp is None else timestamp
    return f"t={t},v1={signature(secret, t, body)}"


def verify(secret: str, body: bytes, value: str, *, tolerance: int = TOLERANCE_SECONDS,
           now: float | None = None) -> bool:
    """True when ``value`` (the header) signs ``body`` with ``secret`` within ``tolerance``."""
    try:
        parts = dict(item.split("=", 1) for item in value.split(","))
        t = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs((time.time() if now is None else now) - t) > tolerance:
        return False
    return hmac.compare_digest(signature(secret, t, body), parts.get("v1", ""))
