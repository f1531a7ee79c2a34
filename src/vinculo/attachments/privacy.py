"""What attachments holds about a contact (``core/privacy.py``): the files and comments on
their contact record. At an erasure those files go (row and bytes, after commit) and those
comments are blanked; mentions of the person in other records' file names and comments go."""

from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.models import ContentType

from vinculo.attachments.models import Comment, RecordFile
from vinculo.core.privacy import MARK, Subject, delete_files_on_commit, plain, scrub_org


def _on_contact(model: Any, subject: Subject) -> Any:
    kind = ContentType.objects.get_for_model(type(subject.contact))
    return model.all_objects.filter(organization_id=subject.organization_id,
                                    record_type=kind, record_id=subject.contact.pk)


def export_files(subject: Subject) -> dict[str, Any]:
    return plain({
        "files": list(_on_contact(RecordFile, subject).order_by("created_at", "id")
                      .values("filename", "size", "created_at")),
        "comments": list(_on_contact(Comment, subject).order_by("created_at", "id")
                         .values("body", "created_at")),
    })


def erase_files(subject: Subject) -> None:
    files = _on_contact(RecordFile, subject)
    delete_files_on_commit(files.values_list("file", flat=True))
    files.delete()
    comments = _on_contact(Comment, subject)
    subject.mark(Comment, comments.values_list("pk", flat=True))
    comments.update(body=MARK)
    scrub_org(subject, RecordFile, "filename")
    scrub_org(subject, Comment, "body")
