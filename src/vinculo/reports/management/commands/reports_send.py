"""``vinculo reports_send``: e-mail the scheduled reports that are due (the scheduler runs it
every five minutes; a sending claimed by one run is never sent again by another)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError

from vinculo.core.management.base import OperatorCommand
from vinculo.core.models import Organization
from vinculo.core.tenancy import organization_scope
from vinculo.reports.schedules import schedules_send


class Command(OperatorCommand):
    help = "E-mail the scheduled reports that are due, each run with its recipient's rights."

    def add_arguments(self, parser: Any) -> None:
        who = parser.add_mutually_exclusive_group(required=True)
        who.add_argument("--organization", help="name of the organisation")
        who.add_argument("--all", action="store_true", help="every organisation")

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["all"]:
            organizations = list(Organization.objects.order_by("name"))
        else:
            organizations = list(Organization.objects.filter(name=opts["organization"]))
            if not organizations:
                raise CommandError(f"no organisation named {opts['organization']!r}")
        for org in organizations:
            with organization_scope(org):
                sent = schedules_send(organization_id=org.pk)
            self.stdout.write(f"{org}: {sent.reports} reports, {sent.emails} e-mails, "
                              f"{sent.skipped} recipients skipped, {sent.stopped} stopped")
