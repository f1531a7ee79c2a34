"""The base of Vínculo's operator commands."""

from __future__ import annotations

from django.core.management.base import BaseCommand


class OperatorCommand(BaseCommand):
    """A command an operator or cron runs often (createorg, token, worker, mail_poll…): no
    system checks. The checks import the whole URLconf (every view, SciPy), ~2.4 s of CPU per
    run of a command that needs none of it; `vinculo serve` and `migrate` still run them, and
    `vinculo check --deploy` runs them on demand."""

    requires_system_checks: list[str] = []
