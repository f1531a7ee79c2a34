"""``vinculo demo``: a demo organisation, a user for every role, and realistic customer data.

Demo rows are bulk-loaded (see ``vinculo.core.demo``): they are created by "system" and are not
in the audit log; every change made afterwards is.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError, CommandParser

from vinculo.core.demo import (
    DEFAULT_COUNTRY,
    DEFAULT_ORG_NAME,
    DemoExistsError,
    demo_run,
)
from vinculo.core.management.base import OperatorCommand
from vinculo.core.management.commands.serve import (
    address,
    default_host,
    default_port,
    migrate_if_needed,
)


class Command(OperatorCommand):
    help = (
        "Create a demo organisation with a user for every role and realistic Spanish and "
        "English customers (--customers N contacts, about N/3 accounts and N/5 leads)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--customers", type=int, default=2000, help="Number of contacts (default 2000)."
        )
        parser.add_argument(
            "--seed",
            type=int,
            default=1,
            help="Random seed: the same seed gives the same data (default 1).",
        )
        parser.add_argument(
            "--org",
            default=DEFAULT_ORG_NAME,
            help=f"Organisation name (default {DEFAULT_ORG_NAME!r}).",
        )
        parser.add_argument("--country", default=DEFAULT_COUNTRY)
        parser.add_argument(
            "--language",
            default="",
            help="The organisation's language, in which the demo names its segments, "
            "campaigns, templates and tasks: es or en (default: the country's, else en).",
        )
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Delete the organisation and all its data first, if it exists.",
        )
        parser.add_argument(
            "--password",
            default=None,
            help="Password of every demo user (default: a random one, printed).",
        )
        parser.add_argument("--no-progress", action="store_true", help="No progress bar.")
        parser.add_argument(
            "--host",
            default=default_host(),
            help="Host of the login address printed: the one `vinculo serve` binds "
            "(default: VINCULO_HOST or 127.0.0.1).",
        )
        parser.add_argument(
            "--port",
            type=int,
            default=default_port(),
            help="Port of the login address printed (default: PORT or 8000, as `vinculo serve`).",
        )

    def handle(self, *args: Any, **o: Any) -> None:
        if o["customers"] < 0:
            raise CommandError("--customers must be 0 or more.")
        migrate_if_needed()  # a fresh data directory, before `vinculo serve` ever ran
        try:
            result = demo_run(
                name=o["org"],
                country=o["country"],
                language=o["language"],
                customers=o["customers"],
                seed=o["seed"],
                reset=o["reset"],
                password=o["password"],
                progress=not o["no_progress"],
            )
        except DemoExistsError as exc:
            raise CommandError(str(exc)) from exc
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        out = self.stdout
        out.write(
            f"Organisation: {result.organization.name} "
            f"({result.organization.country}, {result.organization.language}, "
            f"{result.organization.uuid})"
        )
        out.write("Users (every one has the password below):")
        for user in result.users.values():
            team = f", team {user.team.name}" if user.team_id else ""
            out.write(f"  {user.email:<40} {user.get_role_display()}{team}")
        out.write(f"Password: {result.password}")
        rows = sum(result.counts.values())
        details = ", ".join(f"{count:,} {label}" for label, count in result.counts.items())
        out.write(f"Data: {details}")
        out.write(
            f"{rows:,} rows in {result.seconds:.1f} s "
            f"({rows / max(result.seconds, 1e-9):,.0f} rows/s). The records are bulk-loaded "
            "by 'system' and not listed in the audit log (only the settings made through "
            "the services are); every change from now on is."
        )
        login_url = address(o["host"], o["port"])
        out.write(f"Log in at {login_url} as {result.admin.email} / {result.password}")
