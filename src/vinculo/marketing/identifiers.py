"""The keys that tie what comes back (an open, a click, a bounce, a reply) to one recipient.

A recipient's ``token`` is 128 random bits in hex: tracking links carry it signed, and each
campaign e-mail's Message-ID carries it, so a bounce report (DSN) or a reply that quotes the
Message-ID finds its recipient without a lookup table.
"""

from __future__ import annotations

import re
import secrets

_MESSAGE_ID = re.compile(r"<?campaign\.([0-9a-f]{32})@[^>\s]+>?")


def new_token() -> str:
    return secrets.token_hex(16)


def message_id(token: str, domain: str) -> str:
    """The Message-ID header of the campaign e-mail sent to the recipient with ``token``."""
    return f"<campaign.{token}@{domain}>"


def token_from_message_id(value: str) -> str | None:
    """The recipient token in a Message-ID (or a References/In-Reply-To value), if it is ours."""
    found = _MESSAGE_ID.search(value or "")
    return found.group(1) if found else None
