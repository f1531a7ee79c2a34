"""Background tasks of the interactions app: thin wrappers over services."""

from __future__ import annotations

from django_tasks import task

from vinculo.core.tenancy import organization_scope
from vinculo.interactions.models import EmailMessage


@task()
def email_deliver(message_pk: int) -> str:
    """Send one queued e-mail through SMTP (retried by the service on failure)."""
    from vinculo.interactions import mailing

    organization_id = EmailMessage.all_objects.values_list(
        "organization_id", flat=True).get(pk=message_pk)
    with organization_scope(organization_id):
        return mailing.email_deliver(message_pk)


@task()
def reminders_send() -> int:
    """Remind assignees of the tasks whose reminder time has come."""
    from vinculo.interactions.agenda import services

    return services.reminders_due()
