"""Background tasks of the customers app: thin wrappers over services."""

from __future__ import annotations

from django_tasks import task

from vinculo.core.audit import acting_as
from vinculo.core.tenancy import organization_scope
from vinculo.customers.models import ImportJob, ImportStatus


@task()
def import_run(job_id: int) -> str:
    """Run an import job in its organisation's scope, as the user who started it."""
    job = ImportJob.all_objects.select_related("user", "user__organization").get(pk=job_id)
    if job.status != ImportStatus.PENDING or job.user is None:
        return job.status
    from vinculo.customers.imports.services import import_job_execute

    with organization_scope(job.organization_id), acting_as(job.user):
        job = import_job_execute(job=job, actor=job.user)
    return job.status
