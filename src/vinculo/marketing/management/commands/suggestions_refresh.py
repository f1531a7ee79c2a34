"""``vinculo suggestions_refresh``: the daily run of the next-best action rules.

For each organisation: open the suggestions the latest analytics snapshot calls for (and
expire those that no longer apply), then settle the outcomes of accepted ones (an order within
``rules.HIT_DAYS`` days is a hit). The analytics recomputation triggers the first part too
(``snapshot.recomputed``); running it twice does no harm::

    0 4 * * *  cd /srv/vinculo && .venv/bin/vinculo suggestions_refresh --all
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError

from vinculo.core.management.base import OperatorCommand
from vinculo.core.models import Organization
from vinculo.core.tenancy import organization_scope
from vinculo.marketing.actions import services


class Command(OperatorCommand):
    help = "Suggest next-best actions from the latest analytics and record their outcomes."

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
        for organization in organizations:
            with organization_scope(organization):
                result = services.suggestions_refresh(organization=organization)
                settled = services.suggestion_outcomes_record()
            self.stdout.write(
                f"{organization}: {result.created} suggested, {result.expired} expired, "
                f"{result.open} open; {settled['hit']} hits, {settled['miss']} misses")
