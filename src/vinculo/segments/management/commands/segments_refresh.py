"""``vinculo segments_refresh``: recompute every segment's members (the nightly fallback; the
members also follow each analytics recompute through the ``snapshot.recomputed`` event).

Cron, once a night, after the analytics::

    30 4 * * *  cd /srv/vinculo && .venv/bin/vinculo segments_refresh --all
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError

from vinculo.core.management.base import OperatorCommand
from vinculo.core.models import Organization
from vinculo.segments.services import segments_refresh_all


class Command(OperatorCommand):
    help = "Recompute the members of every segment (who entered, who left)."

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
            results = segments_refresh_all(organization=org)
            entered = sum(r.entered for r in results)
            left = sum(r.left for r in results)
            self.stdout.write(f"{org}: {len(results)} segments, {entered} entered, "
                              f"{left} left")
