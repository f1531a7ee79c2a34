"""Stored files: kept under unguessable names and served only by views that check who asks.

Nothing serves the storage itself, in any profile: ``PrivateStorage.url`` refuses, so a
template or serializer that tries to link straight to a file fails loudly instead of
publishing a path (or a bucket's address). Each model with a ``FileField`` has a view that
finds the row among those the user may see and answers it with :func:`serve`
(``tests/core/test_stored_files.py`` walks every ``FileField`` of every model and proves it).

Where the bytes live is the install's choice (``VINCULO_FILE_STORAGE``): the data directory by
default, or any Django storage backend — a shared folder, an S3-compatible service through
django-storages — which ``PrivateStorage`` wraps. The code reads and writes files only through
the storage API (``open``, ``save``, ``delete``, ``exists``, ``size``), never a local path, so
several app hosts share one store (``tests/core/test_file_storage.py`` runs the flows on a
storage with no filesystem).
"""

from __future__ import annotations

import os
import uuid
from datetime import datetime
from typing import Any

from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.core.files.base import File
from django.core.files.storage import Storage, storages
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404
from django.utils.deconstruct import deconstructible
from django.utils.module_loading import import_string

FILESYSTEM = "django.core.files.storage.FileSystemStorage"


class PrivateStorage(Storage):
    """The default storage: the backend the install chose, with no public address.

    ``backend`` is a dotted path to a Django storage class (``VINCULO_FILE_STORAGE``; files in
    ``MEDIA_ROOT`` by default) and ``options`` its keyword arguments
    (``VINCULO_FILE_STORAGE_OPTIONS``). Every call goes to that backend except ``url``, which
    refuses whatever the backend: a bucket would otherwise hand out links that skip the
    organisation and permission checks of the views."""

    def __init__(self, backend: str = FILESYSTEM, **options: Any) -> None:
        try:
            backend_class = import_string(backend)
        except ImportError as exc:
            raise ImproperlyConfigured(
                f"VINCULO_FILE_STORAGE names {backend!r}, which cannot be imported ({exc}); "
                "install its package (django-storages for S3) or fix the dotted path."
            ) from exc
        if not (isinstance(backend_class, type) and issubclass(backend_class, Storage)):
            raise ImproperlyConfigured(
                f"VINCULO_FILE_STORAGE names {backend!r}, which is not a Django storage class.")
        try:
            self.backend: Storage = backend_class(**options)
        except TypeError as exc:
            raise ImproperlyConfigured(
                f"VINCULO_FILE_STORAGE_OPTIONS do not suit {backend}: {exc}") from exc

    def url(self, name: str | None) -> str:
        raise ValueError("stored files have no public URL; serve them through a view")

    # Everything else is the backend's own, including how it names and opens files.

    def open(self, name: str, mode: str = "rb") -> File:
        return self.backend.open(name, mode)

    def save(self, name: str | None, content: Any, max_length: int | None = None) -> str:
        return self.backend.save(name, content, max_length=max_length)

    def _open(self, name: str, mode: str = "rb") -> File:
        return self.backend.open(name, mode)

    def _save(self, name: str, content: Any) -> str:
        return self.backend.save(name, content)

    def get_valid_name(self, name: str) -> str:
        return self.backend.get_valid_name(name)

    def get_alternative_name(self, file_root: str, file_ext: str) -> str:
        return self.backend.get_alternative_name(file_root, file_ext)

    def get_available_name(self, name: str, max_length: int | None = None) -> str:
        return self.backend.get_available_name(name, max_length=max_length)

    def is_name_available(self, name: str, max_length: int | None = None) -> bool:
        return bool(self.backend.is_name_available(name, max_length=max_length))

    def generate_filename(self, filename: str | os.PathLike[str]) -> str:
        return self.backend.generate_filename(filename)

    def path(self, name: str) -> str:
        """A local path only when the backend is a filesystem; Vínculo itself never asks."""
        return self.backend.path(name)

    def delete(self, name: str) -> None:
        self.backend.delete(name)

    def exists(self, name: str) -> bool:
        return self.backend.exists(name)

    def listdir(self, path: str) -> tuple[list[str], list[str]]:
        return self.backend.listdir(path)

    def size(self, name: str) -> int:
        return self.backend.size(name)

    def get_accessed_time(self, name: str) -> datetime:
        return self.backend.get_accessed_time(name)

    def get_created_time(self, name: str) -> datetime:
        return self.backend.get_created_time(name)

    def get_modified_time(self, name: str) -> datetime:
        return self.backend.get_modified_time(name)


def check_file_storage(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """A system check (so ``vinculo serve`` and ``vinculo check`` stop at start): the storage
    that ``VINCULO_FILE_STORAGE`` names can be built, rather than failing the first upload."""
    try:
        storages["default"]
    except ImproperlyConfigured as exc:
        return [checks.Error(str(exc), id="vinculo.E001")]
    return []


@deconstructible
class UnguessableName:
    """``upload_to`` that files a row's upload as ``<prefix>/<organisation id>/<random hex>``:
    the original name is kept on the row, never in the path, so no one can guess another
    organisation's file from a name, a date or a sequence."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix

    def __call__(self, instance: Any, filename: str) -> str:
        return f"{self.prefix}/{instance.organization_id}/{uuid.uuid4().hex}"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, UnguessableName) and other.prefix == self.prefix

    def __hash__(self) -> int:
        return hash(self.prefix)


def serve(file: FieldFile, *, filename: str, content_type: str = "",
          inline: bool = False) -> FileResponse:
    """The stored ``file`` as a download named ``filename``; 404 when nothing is stored.

    Always ``nosniff``, and a download unless asked otherwise, so an uploaded HTML file never
    runs as a page of this site."""
    if not file:
        raise Http404
    try:
        handle = file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(handle, as_attachment=not inline, filename=filename,
                            content_type=content_type or "application/octet-stream")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


def serve_logo(logo: FieldFile, *, inline: bool = False) -> FileResponse:
    """An organisation's logo (staff settings, the portal's header). Stored names carry no
    extension (``core.models.logo_path``): the first bytes say which of the two formats the
    settings accept it is. 404 when there is none."""
    if not logo:
        raise Http404
    try:
        with logo.open("rb") as handle:
            png = handle.read(4) == b"\x89PNG"
    except FileNotFoundError:
        raise Http404 from None
    return serve(logo, filename="logo.png" if png else "logo.jpg", inline=inline,
                 content_type="image/png" if png else "image/jpeg")
