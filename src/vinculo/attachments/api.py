"""Files and comments of records through the API: ``/api/files/`` and ``/api/comments/``.

``?record=<app_label.model>:<uuid>`` narrows a list to one record (``customers.account:…``);
without it a list holds every row on records the caller may read. Uploads are multipart.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import FileResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from vinculo.attachments import selectors, services
from vinculo.attachments.models import Comment, RecordFile
from vinculo.core.api_base import ServiceDestroyMixin, TenantScopedMixin
from vinculo.core.files import serve
from vinculo.core.limits import REFERENCE_MAX_LENGTH
from vinculo.core.models import TenantModel

RECORD_HELP = ("The record, as `<app_label.model>:<uuid>`: customers.account, customers.contact, "
               "customers.lead, sales.opportunity, sales.quote, sales.order or service.ticket.")
RECORD_PARAM = OpenApiParameter("record", OpenApiTypes.STR, description=RECORD_HELP)


def _record(ref: str, user: Any) -> TenantModel:
    record = selectors.record_resolve(ref, user)
    if record is None:
        raise ValidationError({"record": _("Not found.")})
    return record


class _LinkSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    record = serializers.SerializerMethodField(help_text=RECORD_HELP)

    def get_record(self, row: Any) -> str:
        record = row.record
        return f"{row.record_type.app_label}.{row.record_type.model}:{record.uuid}"


class RecordFileSerializer(_LinkSerializer):
    uploaded_by = serializers.SlugRelatedField(slug_field="uuid", read_only=True,
                                               allow_null=True)

    class Meta:
        model = RecordFile
        fields = ("id", "record", "filename", "content_type", "size", "uploaded_by",
                  "created_at")


class FileUploadSerializer(serializers.Serializer):
    record = serializers.CharField(help_text=RECORD_HELP, max_length=REFERENCE_MAX_LENGTH)
    file = serializers.FileField(help_text="At most VINCULO_MAX_UPLOAD_MB (25 MB by default).")


class CommentSerializer(_LinkSerializer):
    author = serializers.SlugRelatedField(slug_field="uuid", read_only=True, allow_null=True)
    mentions = serializers.SlugRelatedField(slug_field="uuid", many=True, read_only=True,
                                            help_text="Users the comment @mentions.")

    class Meta:
        model = Comment
        fields = ("id", "record", "body", "author", "mentions", "created_at")


class CommentInputSerializer(serializers.Serializer):
    record = serializers.CharField(help_text=RECORD_HELP, max_length=REFERENCE_MAX_LENGTH)
    body = serializers.CharField(
        max_length=services.MAX_COMMENT, trim_whitespace=True,
        help_text="Plain text; `@e-mail` or `@Full Name` mentions a colleague, who is told.")


class _RecordRowsViewSet(TenantScopedMixin, ServiceDestroyMixin, mixins.ListModelMixin,
                         mixins.RetrieveModelMixin, mixins.DestroyModelMixin,
                         viewsets.GenericViewSet):
    lookup_field = "uuid"
    lookup_value_regex = "[0-9a-f-]{36}"
    filter_backends: list[Any] = []

    def get_queryset(self) -> QuerySet:  # type: ignore[override]
        if getattr(self, "swagger_fake_view", False):
            return self.queryset.model.objects.none()
        rows = self.queryset.model.objects.all().restrict(self.request.user)
        ref = self.request.query_params.get("record") if self.action == "list" else None
        if ref is not None:
            record = _record(ref, self.request.user)
            rows = rows.filter(record_type__app_label=record._meta.app_label,
                               record_type__model=record._meta.model_name,
                               record_id=record.pk)
        return self.related(rows.select_related("record_type"))

    def related(self, rows: QuerySet) -> QuerySet:
        return rows


@extend_schema_view(list=extend_schema(parameters=[RECORD_PARAM]))
class RecordFileViewSet(_RecordRowsViewSet):
    """Files attached to records; each is read, downloaded and removed like its record."""

    queryset = RecordFile.objects.none()
    serializer_class = RecordFileSerializer
    parser_classes = [MultiPartParser, FormParser]
    permission_domain = "attachments"
    delete_service = services.file_delete
    instance_kwarg = "file"

    def related(self, rows: QuerySet) -> QuerySet:
        return rows.select_related("uploaded_by").prefetch_related("record")

    @extend_schema(request={"multipart/form-data": FileUploadSerializer},
                   responses={201: RecordFileSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        payload = FileUploadSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        upload = payload.validated_data["file"]
        row = services.file_attach(actor=request.user,
                                   record=_record(payload.validated_data["record"],
                                                  request.user),
                                   upload=upload, filename=upload.name,
                                   content_type=getattr(upload, "content_type", ""))
        return Response(RecordFileSerializer(row).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={(200, "application/octet-stream"): bytes})
    @action(detail=True, methods=["get"])
    def download(self, request: Request, uuid: str | None = None) -> FileResponse:
        row = self.get_object()
        return serve(row.file, filename=row.filename)


@extend_schema_view(list=extend_schema(parameters=[RECORD_PARAM]))
class CommentViewSet(_RecordRowsViewSet, mixins.CreateModelMixin):
    """Comments on records; `@` mentions notify the colleagues named."""

    queryset = Comment.objects.none()
    serializer_class = CommentSerializer
    parser_classes = [JSONParser, FormParser, MultiPartParser]
    permission_domain = "comments"
    delete_service = services.comment_delete
    instance_kwarg = "comment"

    def related(self, rows: QuerySet) -> QuerySet:
        return rows.select_related("author").prefetch_related("mentions", "record")

    @extend_schema(request=CommentInputSerializer, responses={201: CommentSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        payload = CommentInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        comment = services.comment_add(actor=request.user,
                                       record=_record(data["record"], request.user),
                                       body=data["body"])
        return Response(CommentSerializer(comment).data, status=status.HTTP_201_CREATED)
