"""``vinculo reminders_send``: e-mail assignees the tasks whose reminder time has come."""

from __future__ import annotations

from typing import Any

from vinculo.core.management.base import OperatorCommand
from vinculo.interactions.agenda import services


class Command(OperatorCommand):
    help = "Send the task reminders that are due (each one once)."

    def handle(self, *args: Any, **opts: Any) -> None:
        self.stdout.write(f"reminders sent: {services.reminders_due()}")
