"""Evaluate the scheduled exception rules (orders due, invoices overdue, segment members,
analytics conditions): each fires once per record per episode of its condition."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError

from vinculo.automation.engine import evaluate_all
from vinculo.core.management.base import OperatorCommand
from vinculo.core.models import Organization


class Command(OperatorCommand):
    help = "Evaluate the scheduled exception rules of one or every organisation."

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
            fired = evaluate_all(org)
            self.stdout.write(f"{org}: {fired} rule firing(s)")
