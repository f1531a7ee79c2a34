"""Files and comments on records, made through the services as a given user."""

from __future__ import annotations

from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from tests.core.factories import as_user
from vinculo.attachments import services
from vinculo.attachments.models import Comment, RecordFile
from vinculo.core.models import User


def upload(name: str = "oferta.pdf", data: bytes = b"%PDF-1.4 contenido",
           content_type: str = "application/pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def attach(actor: User, record: Any, name: str = "oferta.pdf",
           data: bytes = b"%PDF-1.4 contenido") -> RecordFile:
    with as_user(actor):
        return services.file_attach(actor=actor, record=record, upload=upload(name, data))


def comment(actor: User, record: Any, body: str = "Llamar el lunes") -> Comment:
    with as_user(actor):
        return services.comment_add(actor=actor, record=record, body=body)
