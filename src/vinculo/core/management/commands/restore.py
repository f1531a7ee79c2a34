"""``vinculo restore ARCHIVE [--force]``: an installation as ``vinculo backup`` archived it.

Into an empty installation (no organisation, no user); over one with data only with
``--force``. The archive is verified whole before anything is written
(``vinculo.core.backup``); then this version's pending migrations are applied."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _

from vinculo.core.backup import BackupError, restore_run, vendor_name
from vinculo.core.management.base import OperatorCommand
from vinculo.core.management.commands.serve import migrate_if_needed


class Command(OperatorCommand):
    help = ("Restore a `vinculo backup` archive: database and stored files. Refused over an "
            "installation that has data unless --force.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("archive")
        parser.add_argument("--force", action="store_true",
                            help="Replace an installation that has data (every row and every "
                                 "stored file of it).")

    def handle(self, *args: Any, archive: str, force: bool, **options: Any) -> None:
        path = Path(archive).resolve()
        try:
            manifest = restore_run(path=path, force=force)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        migrate_if_needed()  # an archive of an older version: its database, brought up to date
        self.stdout.write(_(
            "Restored %(path)s (made %(created)s by Vínculo %(version)s): %(vendor)s database "
            "and %(files)d stored files.") % {
                "path": path, "created": manifest["created_at"],
                "version": manifest["vinculo_version"],
                "vendor": vendor_name(manifest["database"]["vendor"]),
                "files": len(manifest["files"])})
