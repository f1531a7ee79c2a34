"""`vinculo webhooks_dispatch`: enqueue the sending of every webhook delivery that is due
(every minute from the scheduler), so a task lost between a commit and the queue delays a
delivery by a minute instead of losing it."""

from __future__ import annotations

from typing import Any

from vinculo.core.management.base import OperatorCommand
from vinculo.integrations import delivery


class Command(OperatorCommand):
    help = "Enqueue the sending of due webhook deliveries."

    def handle(self, *args: Any, **options: Any) -> None:
        count = delivery.deliveries_dispatch()
        self.stdout.write(f"{count} subscription(s) with deliveries due")
