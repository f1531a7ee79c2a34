"""REST API for imports: upload a file (multipart), then follow the job's progress.

``POST /api/imports/`` stores the file, checks it and its column mapping, and starts the job:
small files are done when the answer comes (201 with the outcome); large ones run in the
background and ``GET /api/imports/{id}/`` shows how far they got.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from vinculo.core.api_base import TenantScopedMixin
from vinculo.customers.imports import services as importing
from vinculo.customers.models import DuplicateMode, ImportJob


class ImportErrorSerializer(serializers.Serializer):
    line = serializers.IntegerField(allow_null=True,
                                    help_text="Line of the file (header = 1), or card number.")
    field = serializers.CharField(allow_blank=True)
    message = serializers.CharField()
    text = serializers.CharField(help_text='E.g. "line 7, email: Enter a valid e-mail address."')


class ImportDuplicateSerializer(serializers.Serializer):
    line = serializers.IntegerField(help_text="Line of the file (header = 1), or card number.")
    duplicate_of_line = serializers.IntegerField(
        allow_null=True, help_text="The earlier line of the same file it duplicates.")
    duplicate_of_record = serializers.CharField(
        allow_null=True, help_text="Or the existing record it duplicates.")
    skipped = serializers.BooleanField(help_text="Skipped; else merged into what it duplicates.")
    text = serializers.CharField(help_text='E.g. "line 14 duplicates line 3: skipped".')


class ImportNewAccountSerializer(serializers.Serializer):
    line = serializers.IntegerField(help_text="The first line naming the company.")
    name = serializers.CharField()


class ImportJobSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    progress = serializers.IntegerField(read_only=True, help_text="Percent of rows checked.")
    errors = ImportErrorSerializer(many=True, read_only=True)
    duplicates = ImportDuplicateSerializer(many=True, read_only=True)
    new_accounts = ImportNewAccountSerializer(
        many=True, read_only=True,
        help_text="Accounts the company column of a contact import created (or, in a dry run, "
                  "would create).")

    class Meta:
        model = ImportJob
        fields = ("id", "target", "original_name", "encoding", "delimiter", "mapping",
                  "duplicate_mode", "all_or_nothing", "dry_run", "status", "total_rows",
                  "processed_rows", "progress", "created_count", "updated_count",
                  "skipped_count", "errors", "duplicates", "new_accounts", "created_at",
                  "finished_at")
        read_only_fields = fields


class ImportCreateSerializer(serializers.Serializer):
    target = serializers.ChoiceField(choices=list(importing.TARGETS))
    file = serializers.FileField(help_text="CSV (UTF-8 or Latin-1, ',' or ';'), XLSX, or vCard "
                                           "(.vcf, contacts only).")
    mapping = serializers.JSONField(
        required=False, help_text='Column header -> field key, e.g. {"Correo": "email"}; a JSON '
                                  "string in multipart. Omitted: suggested from the headers.")
    duplicate_mode = serializers.ChoiceField(choices=DuplicateMode.choices,
                                             default=DuplicateMode.SKIP)
    all_or_nothing = serializers.BooleanField(default=False)
    dry_run = serializers.BooleanField(default=False,
                                       help_text="Check and count, write nothing.")


class ImportJobViewSet(TenantScopedMixin, mixins.CreateModelMixin, mixins.RetrieveModelMixin,
                       mixins.ListModelMixin, viewsets.GenericViewSet):
    """Imports of accounts, contacts and leads; each caller sees only their own."""

    queryset = ImportJob.objects.none()
    serializer_class = ImportJobSerializer
    parser_classes = [MultiPartParser, FormParser]
    lookup_field = "uuid"
    lookup_value_regex = "[0-9a-f-]{36}"
    permission_domain = "customers"
    action_permissions = {"create": "customers.import", "retrieve": "customers.import",
                          "list": "customers.import"}
    filter_backends: list[Any] = []

    def get_queryset(self) -> QuerySet:  # type: ignore[override]
        return ImportJob.objects.filter(user=self.request.user).order_by("-created_at", "-id")

    @extend_schema(request={"multipart/form-data": ImportCreateSerializer},
                   responses={201: ImportJobSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        payload = ImportCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        # A ValidationError from the services becomes a 400 naming the field (core.api_errors).
        mapping = importing.parse_mapping(data.get("mapping"))
        job = importing.import_job_create(
            actor=request.user, target=data["target"], file=data["file"], mapping=mapping,
            duplicate_mode=data["duplicate_mode"], all_or_nothing=data["all_or_nothing"],
            dry_run=True)
        job = importing.import_job_start(actor=request.user, job=job, dry_run=data["dry_run"])
        return Response(ImportJobSerializer(job).data, status=status.HTTP_201_CREATED)
