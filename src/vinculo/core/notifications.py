"""E-mail notifications to the organisation's own users (reminders, escalations, warnings).

These are messages to staff, not contacts with customers, so they are not interactions. They
go through the outgoing e-mail queue (``core.mailqueue``: sent by a background task once the
transaction that caused them commits, retried when SMTP fails), each written in its
recipient's language.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.conf import settings
from django.utils import translation

from vinculo.core.models import User

#: Builds (subject, body) in the active language; called once per recipient.
Message = Callable[[], tuple[str, str]]


def notify(users: Iterable[User | None], message: Message, *, url: str = "") -> int:
    """Queue one e-mail per distinct active recipient with an address; returns how many."""
    from vinculo.core.mailqueue import email_queue

    recipients = {u.pk: u for u in users if u is not None and u.is_active and u.email}
    for user in recipients.values():
        with translation.override(user.language or settings.LANGUAGE_CODE):
            subject, body = message()
        email_queue(to=user.email, subject=subject, body=f"{body}\n\n{url}" if url else body,
                    organization_id=user.organization_id)
    return len(recipients)
