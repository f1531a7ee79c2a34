"""``vinculo loyalty_expire``: expire, first-in first-out, the points due by today (the
scheduler runs it daily)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError

from vinculo.core.management.base import OperatorCommand
from vinculo.core.models import Organization
from vinculo.core.tenancy import organization_scope
from vinculo.loyalty.services import points_expire


class Command(OperatorCommand):
    help = "Expire the loyalty points due by today, oldest first."

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
                rows = points_expire(organization_id=org.pk)
            self.stdout.write(f"{org}: {rows} members with points expired")
