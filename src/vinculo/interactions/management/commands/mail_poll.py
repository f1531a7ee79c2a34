"""``vinculo mail_poll``: read the new messages of every active IMAP mailbox.

Every minute from cron (or let ``vinculo scheduler`` run it)::

    * * * * *  cd /srv/vinculo && .venv/bin/vinculo mail_poll
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError

from vinculo.core.management.base import OperatorCommand
from vinculo.interactions import mailing


class Command(OperatorCommand):
    help = "Poll the organisations' IMAP mailboxes and store their new messages."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--mailbox", help="only the mailbox with this address")

    def handle(self, *args: Any, **opts: Any) -> None:
        failed = []
        for mailbox, result in mailing.poll_all(address=opts.get("mailbox")):
            line = (f"{mailbox.address}: fetched {result.fetched}, stored {result.stored}, "
                    f"duplicates {result.duplicates}, rejected {result.rejected}, "
                    f"reports {result.handled}")
            if result.error:
                failed.append(f"{mailbox.address}: {result.error}")
                line += f", error: {result.error}"
            self.stdout.write(line)
        if failed:
            raise CommandError("; ".join(failed))
