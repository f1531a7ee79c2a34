"""The files and comments panels of record pages (``core.record_panels``), downloads, removal.

A panel is asked for with ``?record=<app_label.model:uuid>`` and finds the record among those
the user may read, like every other page: anything else is a 404. Writes answer the panel
again (htmx) or go back to the record's page (a plain form post).
"""

from __future__ import annotations

import uuid
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.views import View

from vinculo.attachments import selectors, services
from vinculo.attachments.models import Comment, RecordFile
from vinculo.core.files import serve
from vinculo.core.models import TenantModel
from vinculo.core.permissions import RoleRequiredMixin
from vinculo.core.pickers import related_ref
from vinculo.core.roles import role_has
from vinculo.core.services import PermissionDeniedError
from vinculo.core.views_base import RecordMixin

PANEL_ROWS = 50


def _errors(exc: ValidationError) -> list[str]:
    if hasattr(exc, "message_dict"):
        return [m for messages in exc.message_dict.values() for m in messages]
    return list(exc.messages)


class _PanelView(RoleRequiredMixin, View):
    """GET draws the panel of ``?record=``; POST adds to it (``add_permission``)."""

    template_name = ""
    add_permission = ""
    rows = PANEL_ROWS

    def record(self) -> TenantModel:
        ref = self.request.GET.get("record") or self.request.POST.get("record") or ""
        record = selectors.record_resolve(ref, self.request.user)
        if record is None:
            raise Http404
        return record

    def context(self, record: TenantModel) -> dict[str, Any]:
        raise NotImplementedError

    def render_panel(self, record: TenantModel, errors: list[str] | None = None,
                     status: int = 200, **extra: Any) -> HttpResponse:
        context = {"record": record, "ref": related_ref(record), "errors": errors or [],
                   "can_add": role_has(self.request.user.role, self.add_permission),
                   "back": selectors.record_url(record), **self.context(record), **extra}
        return render(self.request, self.template_name, context, status=status)

    def get(self, request: HttpRequest) -> HttpResponse:
        return self.render_panel(self.record())

    def post(self, request: HttpRequest) -> HttpResponseBase:
        record = self.record()
        if not role_has(request.user.role, self.add_permission):
            raise PermissionDenied
        try:
            self.add(record)
        except ValidationError as exc:
            # htmx swaps only 2xx answers: the panel comes back with the error on it
            return self.render_panel(record, _errors(exc), status=200 if request.htmx else 400,
                                     **self.kept())
        if request.htmx:
            return self.render_panel(record)
        return HttpResponseRedirect(selectors.record_url(record) or "/")

    def add(self, record: TenantModel) -> None:
        raise NotImplementedError

    def kept(self) -> dict[str, Any]:
        return {}


class FilePanelView(_PanelView):
    permission = "attachments.view"
    add_permission = "attachments.add"
    template_name = "attachments/_files.html"

    def context(self, record: TenantModel) -> dict[str, Any]:
        return {"files": list(selectors.files_of(record)[:self.rows]),
                "limit": filesizeformat(services.max_upload_bytes())}

    def add(self, record: TenantModel) -> None:
        upload = self.request.FILES.get("file")
        if upload is None:
            raise ValidationError({"file": _("Choose a file to attach.")})
        services.file_attach(actor=self.request.user, record=record, upload=upload,
                             filename=upload.name, content_type=upload.content_type or "")


class CommentPanelView(_PanelView):
    permission = "comments.view"
    add_permission = "comments.add"
    template_name = "attachments/_comments.html"

    def context(self, record: TenantModel) -> dict[str, Any]:
        return {"comments": list(selectors.comments_of(record)[:self.rows])}

    def add(self, record: TenantModel) -> None:
        services.comment_add(actor=self.request.user, record=record,
                             body=self.request.POST.get("body", ""))

    def kept(self) -> dict[str, Any]:
        return {"body": self.request.POST.get("body", "")}


class FileDownloadView(RecordMixin, View):
    """A file, to someone who may read its record (and nobody else: a 404)."""

    model = RecordFile
    permission = "attachments.view"

    def get(self, request: HttpRequest, uuid: uuid.UUID) -> HttpResponseBase:
        row = self.get_object()
        return serve(row.file, filename=row.filename, content_type=row.content_type)


class _DeleteView(RecordMixin, View):
    panel: type[_PanelView]

    def remove(self, row: Any) -> None:
        raise NotImplementedError

    def post(self, request: HttpRequest, uuid: uuid.UUID) -> HttpResponseBase:
        row = self.get_object()
        record = row.record
        try:
            self.remove(row)
        except PermissionDeniedError as exc:
            raise PermissionDenied(str(exc)) from None
        if request.htmx:
            view = self.panel()
            view.request = request
            return view.render_panel(record)
        return HttpResponseRedirect(selectors.record_url(record) or "/")


class FileDeleteView(_DeleteView):
    model = RecordFile
    permission = "attachments.delete"
    panel = FilePanelView

    def remove(self, row: Any) -> None:
        services.file_delete(actor=self.request.user, file=row)


class CommentDeleteView(_DeleteView):
    model = Comment
    permission = "comments.delete"
    panel = CommentPanelView

    def remove(self, row: Any) -> None:
        services.comment_delete(actor=self.request.user, comment=row)
