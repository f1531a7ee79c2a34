"""REST API of reports: saved reports through the services, their result, the live preview of
a definition (with the fill rate of the fields it needs, and sample figures while the dataset
is empty) and the datasets with the fields the caller's role may read."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import FileResponse, HttpResponse, StreamingHttpResponse
from django.utils.text import slugify
from django.utils.translation import gettext as _
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from vinculo.core.api_base import ServiceSerializer, TenantViewSet
from vinculo.core.roles import Role
from vinculo.reports import exports, registry, schedules, selectors, services
from vinculo.reports.definition import AGGREGATES, BUCKETS, CHARTS, TYPE_OPERATORS, check
from vinculo.reports.models import Frequency, Report, ReportSchedule
from vinculo.reports.pdf import report_pdf
from vinculo.reports.query import ReportTimeout, Result, timeout_message

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DEFINITION_SCHEMA = {
    "type": "object",
    "description": "A report definition: dataset, columns, filters, group_by (at most two, "
                   "dates by day/week/month/quarter/year), aggregates, sort, chart, limit.",
    "properties": {
        "dataset": {"type": "string"},
        "columns": {"type": "array", "items": {"type": "string"}},
        "filters": {"type": "array", "items": {"type": "object", "properties": {
            "field": {"type": "string"}, "op": {"type": "string"}, "value": {}}}},
        "group_by": {"type": "array", "maxItems": 2, "items": {"type": "object", "properties": {
            "field": {"type": "string"},
            "bucket": {"type": "string", "enum": list(BUCKETS)}}}},
        "aggregates": {"type": "array", "items": {"type": "object", "properties": {
            "fn": {"type": "string", "enum": list(AGGREGATES)}, "field": {"type": "string"}}}},
        "sort": {"type": "array", "items": {"type": "object", "properties": {
            "key": {"type": "string"}, "desc": {"type": "boolean"}}}},
        "chart": {"type": "string", "enum": list(CHARTS)},
        "limit": {"type": "integer", "minimum": 1, "maximum": 1000},
    },
}


@extend_schema_field(DEFINITION_SCHEMA)
class DefinitionField(serializers.JSONField):
    pass


class ReportSerializer(ServiceSerializer):
    definition = DefinitionField()
    owner = serializers.CharField(source="owner.__str__", read_only=True)
    shared_roles = serializers.ListField(child=serializers.ChoiceField(choices=Role.choices),
                                         required=False, max_length=10)
    shared_teams = serializers.ListField(child=serializers.UUIDField(), required=False,
                                         max_length=100)

    class Meta:
        model = Report
        fields = ("id", "version", "name", "description", "definition", "owner",
                  "shared_roles", "shared_teams", "created_at", "updated_at")
        read_only_fields = ("created_at", "updated_at")

    create_service = staticmethod(services.report_create)
    update_service = staticmethod(services.report_update)
    instance_kwarg = "report"

    def to_representation(self, instance: Report) -> Any:
        data = super().to_representation(instance)
        shares = list(instance.shares.all())
        data["shared_roles"] = [s.role for s in shares if s.role]
        data["shared_teams"] = [str(s.team.uuid) for s in shares if s.team_id]
        return data


class ScheduleSerializer(serializers.Serializer):
    """A report's e-mail schedule. Recipients are user ids (UUID) of the organisation who may
    open the report; each gets it run with their own rights, with the chosen files attached."""

    frequency = serializers.ChoiceField(choices=Frequency.choices)
    time = serializers.TimeField(help_text="local time, HH:MM")
    timezone = serializers.CharField(max_length=64, help_text="IANA name: Europe/Madrid")
    weekday = serializers.IntegerField(required=False, allow_null=True,
                                       help_text="weekly: 0 Monday … 6 Sunday")
    day = serializers.IntegerField(required=False, allow_null=True,
                                   help_text="monthly: 1 … 28")
    recipients = serializers.ListField(child=serializers.UUIDField(), max_length=50)
    formats = serializers.ListField(
        child=serializers.ChoiceField(choices=list(exports.FORMATS)), required=False,
        max_length=3, help_text="the files attached (csv and xlsx by default; pdf: with the "
        "report's chart)")
    active = serializers.BooleanField(read_only=True)
    stopped_reason = serializers.CharField(read_only=True)
    next_run_at = serializers.DateTimeField(read_only=True)
    last_sent_at = serializers.DateTimeField(read_only=True, allow_null=True)

    def to_representation(self, instance: ReportSchedule) -> Any:
        from vinculo.core.models import User

        data = super().to_representation(instance)
        data["recipients"] = [str(u) for u in User.objects.filter(
            pk__in=instance.recipients).values_list("uuid", flat=True)]
        return data


class ReportPreviewInput(serializers.Serializer):
    definition = DefinitionField()


ColumnOutput = inline_serializer("ReportColumn", {
    "key": serializers.CharField(), "label": serializers.CharField(),
    "kind": serializers.ChoiceField(choices=["group", "measure", "field"]),
    "type": serializers.CharField()})
FillRate = inline_serializer("ReportFieldFillRate", {
    "field": serializers.CharField(), "label": serializers.CharField(),
    "filled": serializers.IntegerField(), "total": serializers.IntegerField(),
    "rate": serializers.FloatField(allow_null=True),
    "places": inline_serializer("ReportFieldCapturePlace", {
        "label": serializers.CharField(),
        "kind": serializers.CharField(help_text="form, import, touch or computed"),
        "url": serializers.CharField(help_text="the page where it is captured, or empty"),
    }, many=True, help_text="where the field is captured")})
ResultOutput = inline_serializer("ReportResult", {
    "columns": ColumnOutput.__class__(many=True),
    "rows": serializers.ListField(child=serializers.ListField(
        child=serializers.JSONField(allow_null=True))),
    "truncated": serializers.BooleanField(),
    "sample": serializers.BooleanField(),
    "warnings": serializers.ListField(
        child=serializers.CharField(), help_text="what to know before trusting a figure: a "
        "money sum that adds up several currencies as one amount"),
    "fields": FillRate.__class__(many=True),
})
DatasetOutput = inline_serializer("ReportDataset", {
    "key": serializers.CharField(), "label": serializers.CharField(),
    "fields": inline_serializer("ReportDatasetField", {
        "key": serializers.CharField(), "label": serializers.CharField(),
        "type": serializers.CharField(),
        "aggregates": serializers.ListField(child=serializers.CharField()),
        "operators": serializers.ListField(child=serializers.CharField()),
        "groupable": serializers.BooleanField(),
        "buckets": serializers.ListField(child=serializers.CharField()),
    }, many=True),
})


def _json(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


def result_json(result: Result, fill: list[dict[str, Any]]) -> dict[str, Any]:
    return {"columns": [{"key": c.key, "label": str(c.label), "kind": c.kind, "type": c.type}
                        for c in result.columns],
            "rows": [[_json(v) for v in row] for row in result.rows],
            "truncated": result.truncated, "sample": result.sample,
            "warnings": result.warnings(),
            "fields": [{**f, "label": str(f["label"])} for f in fill]}


def _run(definition: Any, request: Request, *, sample: bool) -> dict[str, Any]:
    checked = check(definition, request.user)
    try:
        result = selectors.report_result(checked, request.user, sample_when_empty=sample)
        fill = selectors.fill_rates(checked, request.user) if sample else []
    except ReportTimeout as stopped:
        raise ValidationError({"non_field_errors": [timeout_message(stopped.args[0])]}) from None
    return result_json(result, fill)


class ReportViewSet(TenantViewSet):
    """Saved reports: yours and those shared with your role or team. Each runs with the
    reader's rights: the rows their role and record rule read, no more."""

    queryset = Report.objects.none()
    serializer_class = ReportSerializer
    permission_domain = "reports"
    action_permissions = {"preview": "reports.view", "datasets": "reports.view",
                          "result": "reports.view", "export": "reports.export",
                          "schedule": "reports.view"}
    delete_service = staticmethod(services.report_delete)
    instance_kwarg = "report"

    def scoped_queryset(self) -> QuerySet:
        return selectors.visible_reports(self.request.user).prefetch_related("shares__team")

    def get_queryset(self) -> QuerySet:
        if getattr(self, "swagger_fake_view", False):
            return Report.objects.none()
        return self.scoped_queryset()

    @extend_schema(request=ReportPreviewInput, responses=ResultOutput)
    @action(detail=False, methods=["post"])
    def preview(self, request: Request) -> Response:
        """Run a definition without saving it: its figures (sample figures while the dataset
        has no rows), and the fill rate of every field it needs."""
        payload = ReportPreviewInput(data=request.data)
        payload.is_valid(raise_exception=True)
        return Response(_run(payload.validated_data["definition"], request, sample=True))

    @extend_schema(responses=ResultOutput)
    @action(detail=True, methods=["get"])
    def result(self, request: Request, uuid: str | None = None) -> Response:
        """The saved report's figures, read with the caller's rights."""
        report = self.get_object()
        return Response(_run(report.definition, request, sample=False))

    @extend_schema(parameters=[OpenApiParameter("as", str, enum=list(exports.FORMATS),
                                                description="the file's kind (csv by default); "
                                                "pdf carries the chart")],
                   responses={(200, "text/csv"): bytes, (200, XLSX): bytes,
                              (200, "application/pdf"): bytes})
    @action(detail=True, methods=["get"])
    def export(self, request: Request,
               uuid: str | None = None) -> HttpResponse | StreamingHttpResponse:
        """The saved report's figures as a CSV, XLSX or PDF file (with its chart), read with
        the caller's rights."""
        report = self.get_object()
        checked = check(report.definition, request.user)
        try:
            result = selectors.report_result(checked, request.user)
        except ReportTimeout as stopped:
            raise ValidationError({"non_field_errors": [timeout_message(stopped.args[0])]}) \
                from None
        name = slugify(report.name) or slugify(_("report"))
        if request.query_params.get("as") == "xlsx":
            return FileResponse(exports.xlsx_file(result, title=report.name), as_attachment=True,
                                filename=f"{name}.xlsx", content_type=XLSX)
        if request.query_params.get("as") == "pdf":
            pdf = HttpResponse(report_pdf(report, checked, result, request.user),
                               content_type="application/pdf")
            pdf["Content-Disposition"] = f'attachment; filename="{name}.pdf"'
            return pdf
        response = StreamingHttpResponse(exports.csv_text(result), content_type="text/csv")
        response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
        return response

    @extend_schema(methods=["GET"], responses=ScheduleSerializer)
    @extend_schema(methods=["PUT"], request=ScheduleSerializer, responses=ScheduleSerializer)
    @extend_schema(methods=["DELETE"], responses={204: None})
    @action(detail=True, methods=["get", "put", "delete"])
    def schedule(self, request: Request, uuid: str | None = None) -> Response:
        """The report's e-mail schedule: read it (404 when none), set it (the owner; bad input
        answered per field) or remove it. A stopped schedule says why in ``stopped_reason``."""
        report = self.get_object()
        if request.method == "GET":
            found = ReportSchedule.objects.filter(report=report).first()
            if found is None:
                raise NotFound(_("This report is not e-mailed."))
            return Response(ScheduleSerializer(found).data)
        if request.method == "DELETE":
            schedules.schedule_delete(actor=request.user, report=report)
            return Response(status=204)
        payload = ScheduleSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        data["recipients"] = [str(r) for r in data["recipients"]]
        saved = schedules.schedule_set(actor=request.user, report=report, data=data)
        return Response(ScheduleSerializer(saved).data)

    @extend_schema(responses=DatasetOutput.__class__(many=True))
    @action(detail=False, methods=["get"])
    def datasets(self, request: Request) -> Response:
        """The datasets the caller's role reads, with the fields they may use."""
        return Response([{
            "key": source.key, "label": str(source.label),
            "fields": [{"key": f.key, "label": f.full_label, "type": f.type,
                        "aggregates": sorted(f.aggregates),
                        "operators": list(TYPE_OPERATORS[f.type]), "groupable": f.groupable,
                        "buckets": list(BUCKETS) if f.type in ("date", "datetime") else []}
                       for f in registry.readable_fields(request.user, source)],
        } for source in registry.readable(request.user)])
