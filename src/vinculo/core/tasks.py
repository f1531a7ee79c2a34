"""Background tasks of the core app: thin wrappers over services."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django_tasks import task

from vinculo.core.models import User


@task()
def outgoing_email_deliver(message_pk: int) -> str:
    """Send one queued e-mail to a person of the organisation (retried on failure)."""
    from vinculo.core import mailqueue

    return mailqueue.email_deliver(message_pk)


@task()
def send_notification(user_id: int, subject: str, body: str, url: str = "") -> bool:
    """Send one notification e-mail (kept for tasks queued before notifications went through
    the outgoing e-mail queue; ``core.notifications.notify`` no longer enqueues it)."""
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None or not user.email:
        return False
    send_mail(subject, f"{body}\n\n{url}" if url else body, settings.DEFAULT_FROM_EMAIL,
              [user.email])
    return True
