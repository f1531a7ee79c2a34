"""Static files: compressed, under content-hashed names, cached for good (whitenoise).

``StaticStorage`` is ``STORAGES["staticfiles"]`` in every profile; ``vinculo serve`` runs
``collectstatic``, which writes the hashed copies, their ``.gz`` beside them and the manifest.
It does so only when the sources changed since the last collection (``collect_if_changed``):
hashing and compressing every file again took ~6 s of each start for nothing, a restart's
downtime on a one-host install.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from whitenoise.storage import CompressedManifestStaticFilesStorage

# Beside the collected files: the fingerprint of the sources they were collected from.
FINGERPRINT_NAME = ".sources-fingerprint"
IGNORE_PATTERNS = ["CVS", ".*", "*~"]  # collectstatic's defaults


def sources_fingerprint() -> str:
    """What every static source file is (its path, size and modification time, as found by
    the finders) and where it is published: any change, an upgrade included, changes it."""
    from django.contrib.staticfiles.finders import get_finders  # the storage module stays light

    entries = [f"{settings.STATIC_URL}\0{settings.STORAGES['staticfiles']['BACKEND']}"]
    for finder in get_finders():
        for path, storage in finder.list(IGNORE_PATTERNS):
            stat = os.stat(storage.path(path))
            entries.append(f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}")
    return hashlib.sha256("\n".join(sorted(entries)).encode()).hexdigest()


def collect_if_changed() -> bool:
    """Run ``collectstatic`` unless the collected files come from the same sources and their
    manifest is there; whether it ran."""
    from django.core.management import call_command

    root = Path(settings.STATIC_ROOT)
    recorded = root / FINGERPRINT_NAME
    current = sources_fingerprint()
    manifest = root / StaticStorage.manifest_name
    if manifest.exists() and recorded.exists() and recorded.read_text() == current:
        return False
    call_command("collectstatic", interactive=False, verbosity=0)
    recorded.write_text(current)
    return True


class StaticStorage(CompressedManifestStaticFilesStorage):
    """The hashed name whenever the manifest has the file, even with ``DEBUG`` on (so the
    development profile's ``vinculo serve`` is cached and compressed like production); a
    file the manifest lacks (no ``collectstatic`` yet: ``runserver``, the test suite) keeps its
    own name, found by whitenoise's finders in development."""

    def url(self, name: str | None, force: bool = False) -> str:
        if name and self.hashed_files.get(self.hash_key(self.clean_name(name))) is not None:
            return super().url(name, force=True)
        return FileSystemStorage.url(self, name)
