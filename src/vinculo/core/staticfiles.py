"""Static files: compressed, under content-hashed names, cached for good (whitenoise).

``StaticStorage`` is ``STORAGES["staticfiles"]`` in every profile; ``vinculo serve`` runs
``collectstatic``, which writes the hashed copies, their ``.gz`` beside them and the manifest.
"""

from __future__ import annotations

from django.core.files.storage import FileSystemStorage
from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticStorage(CompressedManifestStaticFilesStorage):
    """The hashed name whenever the manifest has the file, even with ``DEBUG`` on (so the
    development profile's ``vinculo serve`` is cached and compressed like production); a
    file the manifest lacks (no ``collectstatic`` yet: ``runserver``, the test suite) keeps its
    own name, found by whitenoise's finders in development."""

    def url(self, name: str | None, force: bool = False) -> str:
        if name and self.hashed_files.get(self.hash_key(self.clean_name(name))) is not None:
            return super().url(name, force=True)
        return FileSystemStorage.url(self, name)
