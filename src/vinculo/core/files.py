"""Stored files: kept under unguessable names and served only by views that check who asks.

Nothing serves the storage directory itself, in any profile: ``PrivateStorage.url`` refuses,
so a template or serializer that tries to link straight to a file fails loudly instead of
publishing a path. Each model with a ``FileField`` has a view that finds the row among those
the user may see and answers it with :func:`serve` (``tests/core/test_stored_files.py`` walks
every ``FileField`` of every model and proves it).
"""

from __future__ import annotations

import uuid
from typing import Any

from django.core.files.storage import FileSystemStorage
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404
from django.utils.deconstruct import deconstructible


class PrivateStorage(FileSystemStorage):
    """The default storage: files on disk with no public address."""

    def url(self, name: str | None) -> str:
        raise ValueError("stored files have no public URL; serve them through a view")


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
