from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError, CommandParser

from vinculo.core.management.base import OperatorCommand
from vinculo.core.models import Organization
from vinculo.core.roles import Role
from vinculo.core.services import team_get_or_create, user_create


class Command(OperatorCommand):
    help = "Create a user of an organisation with a role."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--org", required=True, help="Organisation name.")
        parser.add_argument("--email", required=True)
        parser.add_argument("--password", required=True)
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument("--first-name", default="")
        parser.add_argument("--last-name", default="")
        parser.add_argument("--team", default="", help="Team name (created if new).")

    def handle(self, *args: Any, **o: Any) -> None:
        org = Organization.objects.filter(name__iexact=o["org"]).first()
        if org is None:
            raise CommandError(f"No organisation named {o['org']!r}.")
        team = team_get_or_create(organization=org, name=o["team"]) if o["team"] else None
        try:
            user = user_create(
                organization=org,
                email=o["email"],
                password=o["password"],
                role=o["role"],
                first_name=o["first_name"],
                last_name=o["last_name"],
                team=team,
            )
        except ValidationError as exc:
            raise CommandError(
                "; ".join(m for ms in exc.message_dict.values() for m in ms)
            ) from exc
        self.stdout.write(f"User created: {user.email} ({user.get_role_display()} at {org.name})")
