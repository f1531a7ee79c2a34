"""Background tasks of the service desk: thin wrappers over services."""

from __future__ import annotations

from django_tasks import task

from vinculo.core.tenancy import organization_scope
from vinculo.service.models import Ticket


@task()
def survey_send(ticket_pk: int) -> bool:
    """E-mail the satisfaction survey of a resolved ticket."""
    from vinculo.service import services

    organization_id = Ticket.all_objects.values_list("organization_id", flat=True).get(
        pk=ticket_pk)
    with organization_scope(organization_id):
        return services.survey_send(ticket_pk) is not None
