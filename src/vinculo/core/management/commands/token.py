from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError, CommandParser

from vinculo.core.management.base import OperatorCommand
from vinculo.core.models import User
from vinculo.core.services import api_token_create


class Command(OperatorCommand):
    help = "Print a new API token for a user (the key is the last word of the output)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--email", required=True)
        parser.add_argument("--name", default="command line")

    def handle(self, *args: Any, email: str, name: str, **options: Any) -> None:
        user = User.objects.filter(email=email.strip().lower()).first()
        if user is None:
            raise CommandError(f"No user with e-mail {email!r}.")
        _token, key = api_token_create(user=user, name=name)
        self.stdout.write(f"API token for {user.email}: {key}")
