"""The generic API suites for files and comments on records.

Each row is built on an account of ``owner`` and added by ``owner`` (``per_user``): everyone
who may remove files or comments removes their own; removing someone else's is a manager's
(tests/attachments/test_files.py, test_comments.py). Rows are made directly, since read-only
roles may hold a row (added before their role changed) but cannot add one."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile

from tests.core.factories import as_user
from tests.customers.factories import AccountFactory
from tests.generic import Api, ApiSuite, Call
from vinculo.attachments.models import Comment, RecordFile


def _on_account(admin, owner, row):
    account = AccountFactory(actor=admin, owner=owner, team=owner.team)
    row.organization_id = owner.organization_id
    row.record_type = ContentType.objects.get_for_model(type(account))
    row.record_id = account.pk
    return row


def record_file(admin, owner):
    row = _on_account(admin, owner, RecordFile(filename="plano.pdf", size=3, uploaded_by=owner))
    with as_user(owner):
        row.file.save("plano.pdf", ContentFile(b"PDF"), save=True)
    return row


def comment(admin, owner):
    row = _on_account(admin, owner, Comment(body="Revisar", author=owner))
    with as_user(owner):
        row.save()
    return row


class TestRecordFileApi(ApiSuite):
    api = Api("recordfile", "attachments", record_file, versioned=False, per_user=True,
              delete=True, calls=(Call("download", "attachments.view", method="get"),))


class TestCommentApi(ApiSuite):
    api = Api("comment", "comments", comment, versioned=False, per_user=True, delete=True,
              create=lambda admin, user: {
                  "record": f"customers.account:"
                            f"{AccountFactory(actor=admin, owner=user, team=user.team).uuid}",
                  "body": "Hola"})
