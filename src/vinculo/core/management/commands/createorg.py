from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError, CommandParser

from vinculo.core.management.base import OperatorCommand
from vinculo.core.services import organization_create


class Command(OperatorCommand):
    help = "Create an organisation (a tenant)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name")
        parser.add_argument("--country", default="ES", help="ISO 3166 code (phones, tax ids).")
        parser.add_argument("--currency", default="EUR", help="Base currency (ISO 4217).")

    def handle(self, *args: Any, name: str, country: str, currency: str, **options: Any) -> None:
        try:
            org = organization_create(name=name, country=country, base_currency=currency)
        except ValidationError as exc:
            raise CommandError(
                "; ".join(m for ms in exc.message_dict.values() for m in ms)
            ) from exc
        self.stdout.write(f"Organisation created: {org.name} ({org.uuid})")
