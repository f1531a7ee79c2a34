"""``vinculo backup [ARCHIVE]``: the database and every stored file in one archive, consistent
with each other, made while the app runs (``vinculo.core.backup``)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _

from vinculo.core.backup import BackupError, backup_create, vendor_name
from vinculo.core.management.base import OperatorCommand


def default_name() -> str:
    return f"vinculo-backup-{datetime.now(UTC):%Y%m%d-%H%M%S}.tar.gz"


class Command(OperatorCommand):
    help = ("Back up the database and the stored files into one archive (a .tar.gz with a "
            "manifest and checksums); the app may keep running.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("archive", nargs="?", default=None,
                            help="Where to write it (default: vinculo-backup-<UTC time>.tar.gz "
                                 "in the current folder); it must not exist.")

    def handle(self, *args: Any, archive: str | None, **options: Any) -> None:
        path = Path(archive or default_name()).resolve()
        try:
            result = backup_create(path=path)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        manifest = result.manifest
        files = manifest["files"]
        self.stdout.write(_(
            "Backup written to %(path)s: %(vendor)s database (%(migrations)d migrations "
            "applied), %(files)d stored files (%(bytes)s bytes).") % {
                "path": result.path, "vendor": vendor_name(manifest["database"]["vendor"]),
                "migrations": len(manifest["migrations"]), "files": len(files),
                "bytes": f"{sum(entry['size'] for entry in files):,}"})
        for name in result.missing:
            self.stderr.write(_(
                "Warning: %(name)s is named by a row of the database but was not in the "
                "storage (deleted while the backup ran, or lost before).") % {"name": name})
