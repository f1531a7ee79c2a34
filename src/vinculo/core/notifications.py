"""E-mail notifications to the organisation's own users (reminders, escalations, warnings).

These are messages to staff, not contacts with customers, so they are not interactions. They
are queued as a background task once the transaction that caused them commits, each written
in its recipient's language.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.conf import settings
from django.db import transaction
from django.utils import translation

from vinculo.core.models import User

#: Builds (subject, body) in the active language; called once per recipient.
Message = Callable[[], tuple[str, str]]


def notify(users: Iterable[User | None], message: Message, *, url: str = "") -> int:
    """Queue one e-mail per distinct active recipient with an address; returns how many."""
    from vinculo.core.tasks import send_notification

    recipients = {u.pk: u for u in users if u is not None and u.is_active and u.email}
    for user in recipients.values():
        with translation.override(user.language or settings.LANGUAGE_CODE):
            subject, body = message()
        transaction.on_commit(
            lambda pk=user.pk, s=subject, b=body: send_notification.enqueue(pk, s, b, url))
    return len(recipients)
